using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;
using VirtualDiskManaged.Cli.Gzip;

namespace VirtualDiskManaged.Cli;

/// <summary>
/// One image as given on the command line. A plain file is opened where it is. <c>X.gz</c> is expanded into a
/// private temp folder under the name <c>X</c> (so the extension still says the format), opened there, reported
/// under the <c>.gz</c> path and deleted on <see cref="Dispose"/>. When the open cannot find a parent, each path it
/// tried inside the temp folder is looked up beside the original (<c>P.gz</c> is expanded, a plain <c>P</c> is
/// linked) and the open is retried, so compressed chains open like uncompressed ones.
/// </summary>
internal sealed class ImageInput : IDisposable
{
    /// <summary>The default cap on an expanded image (8 GiB).</summary>
    public const long DefaultMaxExpandedBytes = 8L << 30;

    /// <summary>Largest expanded size accepted, unless the temp folder has less free space (<see cref="LoadCap"/> sets it).</summary>
    public static long MaxExpandedBytes { get; private set; } = DefaultMaxExpandedBytes;

    /// <summary>
    /// Reads VDISK_GZIP_MAX_BYTES (a byte count from 1, decimal or 0x hex); a value that is not one is a usage error,
    /// never silently replaced by the default.
    /// </summary>
    public static void LoadCap()
    {
        string? s = Environment.GetEnvironmentVariable("VDISK_GZIP_MAX_BYTES");
        if (s is null) return;
        if (!Values.TryParseNumber(s, out ulong n) || n is 0 or > long.MaxValue)
            throw new UsageException($"VDISK_GZIP_MAX_BYTES must be a byte count from 1 to {long.MaxValue} (decimal or 0x hex), not '{s}'");
        MaxExpandedBytes = (long)n;
    }

    private static readonly Lazy<string> SessionFolder = new(() =>
    {
        string p = Path.Combine(Path.GetTempPath(), $"vdisk-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(p);
        else Directory.CreateDirectory(p, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(p);
        return p;
    });

    private readonly string? _folder;
    private readonly string _originalFolder;
    private readonly List<(string Temp, string Original)> _map = [];

    private ImageInput(string displayPath, string openPath, string? folder)
    {
        DisplayPath = displayPath;
        OpenPath = openPath;
        _folder = folder;
        _originalFolder = Path.GetDirectoryName(Path.GetFullPath(displayPath)) ?? "";
        if (folder is not null) _map.Add((openPath, displayPath));
    }

    /// <summary>The path the user gave (or the walk found).</summary>
    public string DisplayPath { get; }

    /// <summary>The path handed to the library.</summary>
    public string OpenPath { get; }

    public bool IsCompressed => _folder is not null;

    public static bool IsGzip(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Prepares <paramref name="path"/> for a command; when a .gz cannot be expanded, says why on stderr (and, with
    /// <paramref name="json"/>, as <c>{"path", "ok": false, "inputError"}</c> on stdout) and returns false.
    /// </summary>
    public static bool TryPrepareForCommand(string path, bool json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ImageInput? input)
    {
        try
        {
            input = Prepare(path);
            return true;
        }
        catch (InputException e)
        {
            Console.Error.WriteLine($"vdisk: input error: {path}: {e.Message}");
            if (json)
            {
                using var stdout = Output.OpenStdout();
                using (var w = new Utf8JsonWriter(stdout, Text.JsonOptions))
                {
                    w.WriteStartObject();
                    w.WriteString("path", path);
                    w.WriteBoolean("ok", false);
                    w.WriteString("inputError", e.Message);
                    w.WriteEndObject();
                }
                stdout.WriteByte((byte)'\n');
            }
            input = null;
            return false;
        }
    }

    /// <summary>Prepares <paramref name="path"/>; throws <see cref="InputException"/> when a .gz cannot be expanded.</summary>
    public static ImageInput Prepare(string path)
    {
        if (!IsGzip(path) || !File.Exists(path)) return new ImageInput(path, path, null);
        string folder = Path.Combine(SessionFolder.Value, Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        string name = Path.GetFileName(path)[..^3];
        if (name.Length == 0) name = "image";
        string target = Path.Combine(folder, name);
        try
        {
            Expand(path, target);
        }
        catch
        {
            TryDelete(folder);
            throw;
        }
        return new ImageInput(path, target, folder);
    }

    private static void Expand(string gzPath, string target)
    {
        long cap = MaxExpandedBytes;
        try
        {
            var drive = new DriveInfo(Path.GetPathRoot(Path.GetFullPath(target)) ?? "/");
            long free = drive.AvailableFreeSpace;
            if (free > 0 && free < cap) cap = free;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { }
        try
        {
            using var input = new FileStream(gzPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            GzipExpander.Expand(input, output, cap, gzPath);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new InputException($"could not decompress: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InputException($"could not decompress: {e.Message}");
        }
    }

    /// <summary>
    /// Opens through the library; for a compressed input whose parent was not found, brings the parents in beside
    /// the expanded child (at most 16 rounds) and retries.
    /// </summary>
    public bool TryOpen(VirtualDiskOpenOptions options, out VirtualDiskHandle? handle, out VirtualDiskDiagnostic? failure)
    {
        // Test aid: VDISK_TEST_FAULT=<file name> makes the open of that file throw, to exercise the internal-error path.
        if (Environment.GetEnvironmentVariable("VDISK_TEST_FAULT") is { Length: > 0 } fault
            && string.Equals(Path.GetFileName(DisplayPath), fault, StringComparison.Ordinal))
            throw new InvalidOperationException("injected fault (VDISK_TEST_FAULT)");
        for (int round = 0; ; round++)
        {
            if (VirtualDisk.TryOpen(OpenPath, options, out handle, out failure)) return true;
            if (_folder is null || round >= 16 || !BringParents(failure)) return false;
        }
    }

    private bool BringParents(VirtualDiskDiagnostic failure)
    {
        bool any = false;
        for (var d = failure; d is not null; d = d.Inner)
        {
            foreach (string tried in d.PathsTried)
            {
                string full;
                try { full = Path.GetFullPath(tried); }
                catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { continue; }
                string rel = Path.GetRelativePath(_folder!, full);
                if (rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) || File.Exists(full)) continue;
                string original = Path.GetFullPath(Path.Combine(_originalFolder, rel));
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                    if (File.Exists(original + ".gz"))
                    {
                        try
                        {
                            Expand(original + ".gz", full);
                        }
                        catch (InputException e)
                        {
                            throw new InputException($"parent {original}.gz: {e.Message}");
                        }
                        _map.Add((full, original + ".gz"));
                        any = true;
                    }
                    else if (File.Exists(original))
                    {
                        File.CreateSymbolicLink(full, original);
                        _map.Add((full, original));
                        any = true;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Leave it: the retry reports the parent as not found.
                }
            }
        }
        return any;
    }

    /// <summary>Replaces temp paths by the paths the user knows (the .gz files).</summary>
    public string? MapPath(string? text)
    {
        if (text is null || _map.Count == 0) return text;
        foreach (var (temp, original) in _map.OrderByDescending(m => m.Temp.Length)) text = text.Replace(temp, original, StringComparison.Ordinal);
        if (_folder is not null) text = text.Replace(_folder, _originalFolder, StringComparison.Ordinal);
        return text;
    }

    public void Dispose()
    {
        if (_folder is not null) TryDelete(_folder);
    }

    private static void TryDelete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
