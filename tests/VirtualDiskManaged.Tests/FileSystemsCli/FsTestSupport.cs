using System.Security.Cryptography;
using System.Text.Json;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.FileSystemsCli;

/// <summary>What one entry of an extracted folder is, read back with lstat (the shape expected.json records).</summary>
internal sealed record HostEntry(string Type, long? Size, string? Sha256, string? Target, long? Mtime);

/// <summary>Opening images as file systems, walking extracted folders, running the independent tools.</summary>
internal static class FsTestSupport
{
    public static string IsoFsFolder => Path.Combine(TestPaths.TestData, "iso-fs");

    private static readonly Lazy<JsonDocument> ExpectedDoc = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(IsoFsFolder, "expected.json"))));

    /// <summary>testdata/iso-fs/expected.json's "images" object.</summary>
    public static JsonElement ExpectedImages => ExpectedDoc.Value.RootElement.GetProperty("images");

    /// <summary>A file system reader over an (already expanded) image file; dispose both.</summary>
    public static (FileStream File, FileSystemReader Reader) Open(string image, FileSystemNamespace ns = FileSystemNamespace.Auto)
    {
        var file = new FileStream(image, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            if (!FileSystem.TryOpen(file, new FileSystemOpenOptions { Namespace = ns }, out var reader, out var failure))
                Assert.Fail($"{image}: the library could not open the {ns} file system: {failure}");
            return (file, reader!);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Every path below the root as the library lists it.</summary>
    public static SortedSet<string> Listing(FileSystemReader reader) => new(reader.EnumerateTree().Select(e => e.Path), StringComparer.Ordinal);

    /// <summary>path → entry of what stands in <paramref name="root"/> (links not followed), like expected.py's walk.</summary>
    public static SortedDictionary<string, HostEntry> Walk(string root)
    {
        var result = new SortedDictionary<string, HostEntry>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false }))
            {
                string rel = "/" + Path.GetRelativePath(root, info.FullName).Replace('\\', '/');
                if (info.LinkTarget is { } target) result[rel] = new("symlink", null, null, target, null);
                else if (info is DirectoryInfo)
                {
                    result[rel] = new("directory", null, null, null, null);
                    pending.Push(info.FullName);
                }
                else
                {
                    using var s = File.OpenRead(info.FullName);
                    result[rel] = new("file", s.Length, Convert.ToHexStringLower(SHA256.HashData(s)), null,
                        new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeSeconds());
                }
            }
        }
        return result;
    }

    /// <summary>expected.json's entries of one tool as HostEntry records.</summary>
    public static SortedDictionary<string, HostEntry> Entries(JsonElement tool)
    {
        var result = new SortedDictionary<string, HostEntry>(StringComparer.Ordinal);
        foreach (var p in tool.GetProperty("entries").EnumerateObject())
        {
            var v = p.Value;
            result[p.Name] = new(v.GetProperty("type").GetString()!,
                v.GetProperty("size").ValueKind == JsonValueKind.Number ? v.GetProperty("size").GetInt64() : null,
                v.GetProperty("sha256").GetString(), v.GetProperty("target").GetString(),
                v.TryGetProperty("mtime", out var m) ? m.GetInt64() : null);
        }
        return result;
    }

    public static SortedSet<string> Listed(JsonElement tool) =>
        new(tool.GetProperty("listed").EnumerateArray().Select(e => e.GetString()!), StringComparer.Ordinal);

    /// <summary>"missing: …; extra: …" between an expected and an actual set (first few of each).</summary>
    public static string Difference(IEnumerable<string> expected, IEnumerable<string> actual)
    {
        var e = expected.ToHashSet(StringComparer.Ordinal);
        var a = actual.ToHashSet(StringComparer.Ordinal);
        var missing = e.Except(a).Order(StringComparer.Ordinal).Take(8).ToList();
        var extra = a.Except(e).Order(StringComparer.Ordinal).Take(8).ToList();
        return $"missing ({e.Except(a).Count()}): {string.Join(", ", missing)}; extra ({a.Except(e).Count()}): {string.Join(", ", extra)}";
    }

    /// <summary>Differences between two extraction walks (types, sizes, bytes, link targets; mtimes of files when asked).</summary>
    public static List<string> Compare(IDictionary<string, HostEntry> expected, IDictionary<string, HostEntry> actual, bool mtimes, Func<string, bool>? skipContent = null)
    {
        var problems = new List<string>();
        foreach (var (path, e) in expected)
        {
            if (!actual.TryGetValue(path, out var a))
            {
                problems.Add($"{path}: not extracted");
                continue;
            }
            if (e.Type != a.Type) problems.Add($"{path}: {a.Type}, expected {e.Type}");
            else if (e.Type == "symlink" && e.Target != a.Target) problems.Add($"{path}: -> {a.Target}, expected -> {e.Target}");
            else if (e.Type == "file" && skipContent?.Invoke(path) != true)
            {
                if (e.Size != a.Size || e.Sha256 != a.Sha256) problems.Add($"{path}: {a.Size} bytes {a.Sha256}, expected {e.Size} bytes {e.Sha256}");
                else if (mtimes && e.Mtime != a.Mtime) problems.Add($"{path}: mtime {a.Mtime}, expected {e.Mtime}");
            }
        }
        foreach (var path in actual.Keys)
            if (!expected.ContainsKey(path)) problems.Add($"{path}: extracted, but the reference has no such entry");
        return problems;
    }

    /// <summary>Runs a tool; returns (exit code, stdout text, stderr text).</summary>
    public static (int Exit, string Stdout, string Stderr) Tool(string name, params string[] args)
    {
        var r = Cli.CliRunner.RunProcess(name, args, timeoutSeconds: 120);
        return (r.ExitCode, r.Stdout, r.Stderr);
    }
}
