using System.IO.Compression;

namespace VirtualDiskManaged.Cli;

/// <summary>A gzip input that could not be expanded (corrupt stream, over the size cap, no temp space).</summary>
internal sealed class InputException(string message) : Exception(message);

/// <summary>
/// One image as given on the command line. A plain file is opened where it is. <c>X.gz</c> is expanded into a
/// private temp folder under the name <c>X</c> (so the extension still says the format), opened there, reported
/// under the <c>.gz</c> path and deleted on <see cref="Dispose"/>. When the open cannot find a parent, each path it
/// tried inside the temp folder is looked up beside the original (<c>P.gz</c> is expanded, a plain <c>P</c> is
/// linked) and the open is retried, so compressed chains open like uncompressed ones.
/// </summary>
internal sealed class ImageInput : IDisposable
{
    /// <summary>Largest expanded size accepted, unless the temp folder has less free space (8 GiB).</summary>
    public static long MaxExpandedBytes { get; set; } = ReadCapFromEnvironment();

    private static long ReadCapFromEnvironment()
    {
        string? s = Environment.GetEnvironmentVariable("VDISK_GZIP_MAX_BYTES");
        return s is not null && ParsedArgs.TryParseNumber(s, out ulong n) && n is > 0 and <= long.MaxValue ? (long)n : 8L << 30;
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

    /// <summary>Prepares <paramref name="path"/> for a command; when a .gz cannot be expanded, says why on stderr and returns false.</summary>
    public static bool TryPrepareForCommand(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ImageInput? input)
    {
        try
        {
            input = Prepare(path);
            return true;
        }
        catch (InputException e)
        {
            Console.Error.WriteLine("vdisk: " + e.Message);
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
            using var input = new GZipStream(new FileStream(gzPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan), CompressionMode.Decompress);
            using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            byte[] buffer = new byte[1 << 20];
            long total = 0;
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                total += n;
                if (total > cap)
                    throw new InputException($"{gzPath}: refusing to decompress: the expanded image exceeds {cap:N0} bytes (the cap is the smaller of VDISK_GZIP_MAX_BYTES, default 8 GiB, and the free temp space)");
                output.Write(buffer, 0, n);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InputException($"{gzPath}: not a valid gzip stream ({e.Message})");
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new InputException($"{gzPath}: could not decompress: {e.Message}");
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
                        Expand(original + ".gz", full);
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
