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

    /// <summary>
    /// ../shared/corpus beside the checkout, else the folder VDM_CORPUS (or its older name VDM_SHARED_CORPUS) names,
    /// for worktrees elsewhere; null when there is none. Every corpus test finds the corpus here.
    /// </summary>
    public static string? SharedCorpus
    {
        get
        {
            string p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "corpus"));
            if (Directory.Exists(p)) return p;
            foreach (string name in (string[])["VDM_CORPUS", "VDM_SHARED_CORPUS"])
                if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } env && Directory.Exists(env)) return env;
            return null;
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

    /// <summary>Whether the run's temp folder was created (so clean-up does not create it just to delete it).</summary>
    internal static bool RunTempFolderCreated => RunTemp.IsValueCreated;

    private static readonly Dictionary<string, string> Extracted = [];

    // Every folder made by NewTempFolder or Gunzip, with the fixture (test class) that made it. Fixtures run one at a
    // time (no test here is [Parallelizable]), so when a test of another fixture starts, or another fixture asks for a
    // folder, the folders of every earlier fixture are deleted: big images do not pile up until the end of the run.
    // Folders made outside any fixture (owner "") live until TestRunCleanup deletes the whole run folder.
    private static readonly List<(string Owner, string Path)> Owned = [];
    private static string _activeOwner = "";

    /// <summary>The fixture the running code belongs to: the class name of the current test or fixture set-up, or "".</summary>
    internal static string CurrentOwner()
    {
        try { return TestContext.CurrentContext.Test.ClassName ?? ""; }
        catch (InvalidOperationException) { return ""; }
        catch (NullReferenceException) { return ""; }
    }

    /// <summary>Notes that <paramref name="owner"/> is now running and deletes the folders of every other fixture.</summary>
    internal static void EnterFixture(string owner)
    {
        if (owner.Length == 0) return;
        List<string> doomed;
        lock (Extracted)
        {
            if (owner == _activeOwner) return;
            _activeOwner = owner;
            doomed = [.. Owned.Where(o => o.Owner.Length > 0 && o.Owner != owner).Select(o => o.Path)];
            Owned.RemoveAll(o => o.Owner.Length > 0 && o.Owner != owner);
            foreach (string key in Extracted.Where(kv => doomed.Contains(Path.GetDirectoryName(kv.Value)!)).Select(kv => kv.Key).ToList())
                Extracted.Remove(key);
        }
        foreach (string folder in doomed) DeleteQuietly(folder);
    }

    /// <summary>The folders made so far that are still on disk, by owner (for the clean-up tests).</summary>
    internal static IReadOnlyList<(string Owner, string Path)> OwnedFolders()
    {
        lock (Extracted) return [.. Owned];
    }

    private static void Own(string owner, string folder)
    {
        lock (Extracted)
        {
            int i = Owned.FindIndex(o => o.Path == folder);
            if (i >= 0)
            {
                // A cached extraction asked for by a later fixture now belongs to it (kept while it runs).
                if (Owned[i].Owner.Length > 0) Owned[i] = (owner, folder);
            }
            else Owned.Add((owner, folder));
        }
    }

    /// <summary>Deletes a folder and everything in it, ignoring one that is gone or cannot be deleted.</summary>
    internal static void DeleteQuietly(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Decompresses <paramref name="gzPath"/> (absolute) once per run into the run's temp folder, keeping its name
    /// without ".gz" (so extension-based detection still sees the right extension); returns the extracted path.
    /// </summary>
    public static string Gunzip(string gzPath)
    {
        string owner = CurrentOwner();
        EnterFixture(owner);
        lock (Extracted)
        {
            if (Extracted.TryGetValue(gzPath, out var done))
            {
                Own(owner, Path.GetDirectoryName(done)!);
                return done;
            }
            string hash = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(gzPath)))[..12];
            string folder = Path.Combine(RunTempFolder, hash);
            Directory.CreateDirectory(folder);
            Own(owner, folder);
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

    /// <summary>
    /// A fresh empty temp folder for one test or fixture: deleted once the fixture that asked for it is done (when the
    /// next fixture starts), or at the end of the run.
    /// </summary>
    public static string NewTempFolder(string prefix = "t")
    {
        string owner = CurrentOwner();
        EnterFixture(owner);
        string p = Path.Combine(RunTempFolder, prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(p);
        Own(owner, p);
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
