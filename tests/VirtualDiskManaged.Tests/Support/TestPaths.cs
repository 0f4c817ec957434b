using System.IO.Compression;
using System.Security.Cryptography;

namespace VirtualDiskManaged.Tests.Support;

/// <summary>Where the repository, its testdata and the shared reference corpus are; gzip extraction with a per-run cache.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VirtualDiskManaged.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root (VirtualDiskManaged.sln) not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The project's own testdata folder.</summary>
    public static string TestData => Path.Combine(RepoRoot, "testdata");

    /// <summary>../shared/corpus beside the checkout (or the folder VDM_CORPUS names, for worktrees elsewhere), or null when it is absent.</summary>
    public static string? SharedCorpus
    {
        get
        {
            string p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "corpus"));
            if (Directory.Exists(p)) return p;
            string? env = Environment.GetEnvironmentVariable("VDM_CORPUS");
            return !string.IsNullOrEmpty(env) && Directory.Exists(env) ? env : null;
        }
    }

    private static readonly Lazy<string> RunTemp = new(() =>
    {
        string p = Path.Combine(Path.GetTempPath(), "vdm-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(p);
        return p;
    });

    /// <summary>A temp folder for this test run (shared by all tests of the process).</summary>
    public static string RunTempFolder => RunTemp.Value;

    private static readonly Dictionary<string, string> Extracted = [];

    /// <summary>
    /// Decompresses <paramref name="gzPath"/> (absolute) once per run into the run's temp folder, keeping its name
    /// without ".gz" (so extension-based detection still sees the right extension); returns the extracted path.
    /// </summary>
    public static string Gunzip(string gzPath)
    {
        lock (Extracted)
        {
            if (Extracted.TryGetValue(gzPath, out var done)) return done;
            string hash = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(gzPath)))[..12];
            string folder = Path.Combine(RunTempFolder, hash);
            Directory.CreateDirectory(folder);
            string name = Path.GetFileName(gzPath);
            if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
            string target = Path.Combine(folder, name);
            using (var input = new GZipStream(File.OpenRead(gzPath), CompressionMode.Decompress))
            using (var output = File.Create(target))
                input.CopyTo(output);
            Extracted[gzPath] = target;
            return target;
        }
    }

    /// <summary>Gunzip of a path relative to testdata/.</summary>
    public static string TestDataImage(string relativeGz) => Gunzip(Path.Combine(TestData, relativeGz));

    /// <summary>A fresh empty temp folder for one test (deleted by the caller or at process end).</summary>
    public static string NewTempFolder(string prefix = "t")
    {
        string p = Path.Combine(RunTempFolder, prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(p);
        return p;
    }

    /// <summary>SHA-256 (lowercase hex) of the whole virtual content of an open handle.</summary>
    public static string ContentSha256(VirtualDiskHandle handle)
    {
        using var stream = handle.OpenStream();
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>Whether an external tool is on PATH (tests that cross-check against it are skipped without it, and the README says why).</summary>
    public static bool HasTool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));
}

/// <summary>Deletes the run's temp folder after all tests.</summary>
[SetUpFixture]
public sealed class TestRunCleanup
{
    /// <summary>Removes extracted images.</summary>
    [OneTimeTearDown]
    public void Cleanup()
    {
        try { Directory.Delete(TestPaths.RunTempFolder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
