using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Host;

/// <summary>
/// One backing file opened for positional reads (<see cref="RandomAccess"/>): no shared position, so any
/// number of threads may read at once. The OS share mode carries the cross-process sharing rules
/// (CONTRACT §11): read-only opens share reading; opens that may write take the file exclusively.
/// </summary>
internal sealed class HostFile : FileView, IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly long _length;

    private HostFile(SafeFileHandle handle, string path, long length, FileIdentity identity, bool exclusive)
    {
        _handle = handle;
        _path = path;
        _length = length;
        Identity = identity;
        Exclusive = exclusive;
    }

    public override string Path => _path;

    public override long Length => _length;

    /// <summary>Same-file identity (device + inode / volume + file index).</summary>
    public FileIdentity Identity { get; }

    /// <summary>True when the file was opened exclusively (an open that may write).</summary>
    public bool Exclusive { get; }

    internal SafeFileHandle Handle => _handle;

    /// <summary>
    /// Opens <paramref name="path"/> as a backing file, mapping every failure to a reason (CONTRACT §4 step 8).
    /// Never opens FIFOs or devices (opening a FIFO would block).
    /// </summary>
    public static VirtualDiskDiagnostic? TryOpen(string path, bool exclusive, out HostFile? file)
    {
        file = null;
        if (path.Length == 0) return new(VirtualDiskErrorReason.EmptyPath, path);
        if (path.Contains('\0')) return new(VirtualDiskErrorReason.PathNotFound, path, "The path contains a NUL character");

        string full;
        try { full = System.IO.Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or IOException)
        {
            return new(VirtualDiskErrorReason.PathNotFound, path, e.Message);
        }

        var typeCheck = CheckType(full);
        if (typeCheck is not null) return typeCheck;

        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read,
                exclusive ? FileShare.None : FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return MapOpenException(full, e);
        }

        try
        {
            long length = RandomAccess.GetLength(handle);
            var identity = GetIdentity(handle, full);
            file = new HostFile(handle, full, length, identity, exclusive);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            handle.Dispose();
            return new(VirtualDiskErrorReason.HostIoError, full, e.Message);
        }
    }

    private static VirtualDiskDiagnostic? CheckType(string full)
    {
        if (OperatingSystem.IsWindows())
        {
            if (full.StartsWith(@"\\.\", StringComparison.Ordinal) || full.StartsWith(@"\\?\GLOBALROOT", StringComparison.OrdinalIgnoreCase))
                return new(VirtualDiskErrorReason.NotARegularFile, full);
            if (Directory.Exists(full)) return new(VirtualDiskErrorReason.PathIsDirectory, full);
            if (!File.Exists(full)) return Missing(full);
            return null;
        }

        if (UnixNative.TryStat(full, out uint mode, out _, out _))
        {
            uint type = mode & UnixNative.S_IFMT;
            if (type == UnixNative.S_IFDIR) return new(VirtualDiskErrorReason.PathIsDirectory, full);
            if (type != UnixNative.S_IFREG) return new(VirtualDiskErrorReason.NotARegularFile, full);
            return null;
        }
        // stat failed: a symbolic link that resolves to no file (dangling, or a loop: ELOOP) names a missing file.
        if (IsSymbolicLink(full)) return Missing(full);
        if (Directory.Exists(full)) return new(VirtualDiskErrorReason.PathIsDirectory, full);
        if (!File.Exists(full)) return Missing(full);
        return null;
    }

    private static bool IsSymbolicLink(string full)
    {
        try { return new FileInfo(full).LinkTarget is not null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>ENOENT splits into a missing file (its folder exists) and a missing folder (CONTRACT §4 step 8).</summary>
    private static VirtualDiskDiagnostic Missing(string full)
    {
        string? dir = System.IO.Path.GetDirectoryName(full);
        bool folderExists = dir is null || Directory.Exists(dir);
        return folderExists ? new(VirtualDiskErrorReason.FileNotFound, full) : new(VirtualDiskErrorReason.PathNotFound, full);
    }

    private static VirtualDiskDiagnostic MapOpenException(string full, Exception e) => e switch
    {
        FileNotFoundException => Missing(full),
        DirectoryNotFoundException => new(VirtualDiskErrorReason.PathNotFound, full),
        UnauthorizedAccessException => Directory.Exists(full)
            ? new(VirtualDiskErrorReason.PathIsDirectory, full)
            : new(VirtualDiskErrorReason.PermissionDenied, full, e.Message),
        PathTooLongException => new(VirtualDiskErrorReason.PathNotFound, full, e.Message),
        IOException io when IsSharingViolation(io) => new(VirtualDiskErrorReason.SharingViolationOtherProcess, full, e.Message),
        _ => new(VirtualDiskErrorReason.HostIoError, full, e.Message),
    };

    private static bool IsSharingViolation(IOException e) =>
        (e.HResult & 0xFFFF) == 32 || e.HResult == 11 /* EWOULDBLOCK from flock */ ||
        e.Message.Contains("being used by another process", StringComparison.OrdinalIgnoreCase);

    private static FileIdentity GetIdentity(SafeFileHandle handle, string full)
    {
        if (OperatingSystem.IsWindows())
            return WindowsNative.TryGetIdentity(handle, out var id) ? id : PathIdentity(full);
        int fd = (int)handle.DangerousGetHandle();
        return UnixNative.TryFStat(fd, out _, out ulong dev, out ulong ino) ? new FileIdentity(dev, ino) : PathIdentity(full);
    }

    // Fallback when the OS gives no id: the case-folded full path (hard links are then not recognised).
    private static FileIdentity PathIdentity(string full) =>
        new(ulong.MaxValue, (ulong)StringComparer.OrdinalIgnoreCase.GetHashCode(full));

    public override int ReadAt(long offset, Span<byte> buffer)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = RandomAccess.Read(_handle, buffer[total..], offset + total);
                if (n == 0) break;
                total += n;
            }
        }
        catch (IOException e)
        {
            ThrowHelper.Throw(VirtualDiskErrorReason.HostIoError, _path, e.Message, offset + total);
        }
        return total;
    }

    public void Dispose() => _handle.Dispose();
}
