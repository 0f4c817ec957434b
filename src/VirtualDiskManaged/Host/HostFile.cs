using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Host;

/// <summary>
/// One backing file opened for positional reads (<see cref="RandomAccess"/>): no shared position, so any
/// number of threads may read at once. The OS share mode carries the cross-process sharing rules
/// (docs/open-path.md §11): read-only opens share reading; opens that may write take the file exclusively.
/// </summary>
internal sealed class HostFile : FileView, IBackingStore, IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private long _length;

    private HostFile(SafeFileHandle handle, string path, long length, FileIdentity identity, bool exclusive, OsLock osLock, bool asParent,
        UnixNative.StatxResult? statx = null, bool writable = false)
    {
        Writable = writable;
        _asParent = asParent;
        Statx = statx;
        _handle = handle;
        _path = path;
        _length = length;
        Identity = identity;
        Exclusive = exclusive;
        _osLock = osLock;
    }

    /// <summary>The advisory lock (flock) an open holds on Unix: <see cref="File.OpenHandle"/> takes LOCK_EX for FileShare.None, LOCK_SH otherwise.</summary>
    private enum OsLock { None, Shared, Exclusive }

    private readonly OsLock _osLock;
    private readonly bool _asParent;
    private int _disposed;

    /// <summary>The locks this process holds on one file, split by who holds them (top-level handles or chain parents).</summary>
    private record struct LockCounts(int TopShared, int TopExclusive, int ParentShared, int ParentExclusive)
    {
        public readonly bool IsEmpty => TopShared <= 0 && TopExclusive <= 0 && ParentShared <= 0 && ParentExclusive <= 0;

        public readonly LockCounts Add(OsLock kind, bool asParent, int delta) => (kind, asParent) switch
        {
            (OsLock.Shared, false) => this with { TopShared = TopShared + delta },
            (OsLock.Exclusive, false) => this with { TopExclusive = TopExclusive + delta },
            (OsLock.Shared, true) => this with { ParentShared = ParentShared + delta },
            (OsLock.Exclusive, true) => this with { ParentExclusive = ParentExclusive + delta },
            _ => this,
        };

        /// <summary>Whether a lock of this kind conflicts with the given holders (flock: EX conflicts with all, SH with EX).</summary>
        public static bool Conflicts(bool exclusive, int shared, int exclusiveHeld) => exclusiveHeld > 0 || (exclusive && shared > 0);
    }

    /// <summary>
    /// The OS locks this process holds, by file (Linux). flock locks conflict between any two open file descriptions,
    /// even in one process; but between top-level handles of one process docs/open-path.md §11's documented rules decide (a
    /// GET_INFO open must succeed while an ATTACH_RW handle holds the file exclusively). So a top-level open of a file
    /// whose conflicting locks are all held by this process's top-level opens is made without a lock, and the handle
    /// table judges it. Locks held by files opened as parents of a chain (which take no part in docs/open-path.md §11) keep their OS
    /// meaning: a parent held for writing (RWDepth) stays exclusive.
    /// </summary>
    private static readonly Dictionary<FileIdentity, LockCounts> LocksHeld = [];

    public override string Path => _path;

    public override long Length => Volatile.Read(ref _length);

    /// <summary>True when the file was opened for writing (a top-level open that may write: docs/write.md).</summary>
    public bool Writable { get; }

    /// <summary>Same-file identity (device + inode / volume + file index).</summary>
    public FileIdentity Identity { get; }

    /// <summary>Linux: what statx said at open (its compressed/encrypted attributes spare HostChecks the inode-flags ioctl).</summary>
    internal UnixNative.StatxResult? Statx { get; }

    /// <summary>Linux: reads with pread(2) directly (RandomAccess would first probe the descriptor with lseek).</summary>
    private readonly bool _directPRead = OperatingSystem.IsLinux();

    /// <summary>True when the file was opened exclusively (an open that may write).</summary>
    public bool Exclusive { get; }

    internal SafeFileHandle Handle => _handle;

    /// <summary>
    /// Opens <paramref name="path"/> as a backing file, mapping every failure to a reason (docs/open-path.md §4 step 8).
    /// Never opens FIFOs or devices (opening a FIFO would block).
    /// </summary>
    /// <param name="path">The path as given.</param>
    /// <param name="exclusive">Take the file exclusively (an open that may write).</param>
    /// <param name="file">The open file on success.</param>
    /// <param name="asParent">The file is opened as a parent of a chain (not a top-level handle: docs/open-path.md §11).</param>
    /// <param name="writable">Open the file for writing too (only top-level opens whose handle may write; never parents).</param>
    public static VirtualDiskDiagnostic? TryOpen(string path, bool exclusive, out HostFile? file, bool asParent = false, bool writable = false)
    {
        file = null;
        writable &= exclusive && !asParent;
        if (path.Length == 0) return new(VirtualDiskErrorReason.EmptyPath, path);
        if (path.Contains('\0')) return new(VirtualDiskErrorReason.PathNotFound, path, "The path contains a NUL character");

        string full;
        try { full = System.IO.Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or IOException)
        {
            return new(VirtualDiskErrorReason.PathNotFound, path, e.Message);
        }

        var typeCheck = CheckType(full, out FileIdentity? statIdentity);
        if (typeCheck is not null) return typeCheck;

        SafeFileHandle handle;
        var osLock = OperatingSystem.IsWindows() ? OsLock.None : exclusive ? OsLock.Exclusive : OsLock.Shared;
        // The lock on LocksHeld spans the open so that two threads of this process cannot both miss each other's lock.
        lock (LocksHeld)
        {
            LockCounts held = default;
            bool heldHere = statIdentity is { } id && LocksHeld.TryGetValue(id, out held);
            bool unlocked = heldHere && !asParent && !LockCounts.Conflicts(exclusive, held.ParentShared, held.ParentExclusive) &&
                LockCounts.Conflicts(exclusive, held.TopShared, held.TopExclusive);
            if (OperatingSystem.IsLinux())
            {
                // open(2) + flock(2) directly: what File.OpenHandle does here, minus its fstat, its POSIX_FADV_RANDOM
                // (which also turns off readahead for sequential readers) and its unlock before close.
                int fd = UnixNative.OpenUnlocked(full, writable, out int errno);
                if (fd < 0) return MapErrno(full, errno);
                handle = new SafeFileHandle(fd, ownsHandle: true);
                if (unlocked || FileLockingDisabled) osLock = OsLock.None;
                else
                {
                    errno = UnixNative.TryFLock(fd, exclusive ? UnixNative.LOCK_EX : UnixNative.LOCK_SH);
                    if (errno == UnixNative.EWOULDBLOCK)
                    {
                        handle.Dispose();
                        // The lock that refused us is (at least) this process's own: a parent of a chain held for writing.
                        return heldHere && LockCounts.Conflicts(exclusive, held.TopShared + held.ParentShared, held.TopExclusive + held.ParentExclusive)
                            ? new(VirtualDiskErrorReason.SharingViolation, full, "A chain open in this process holds the file")
                            : new(VirtualDiskErrorReason.SharingViolationOtherProcess, full, "Another process holds a conflicting lock on the file (flock)");
                    }
                    if (errno != 0) osLock = OsLock.None; // no lock support here (ENOLCK, EINVAL): File.OpenHandle ignores this too
                }
            }
            else if (unlocked)
            {
                // This process already holds a conflicting lock: open without one (docs/open-path.md §11, in-process rules).
                int fd = UnixNative.OpenUnlocked(full, writable, out int errno);
                if (fd < 0) return MapErrno(full, errno);
                handle = new SafeFileHandle(fd, ownsHandle: true);
                osLock = OsLock.None;
            }
            else
            {
                try
                {
                    handle = File.OpenHandle(full, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read,
                        exclusive ? FileShare.None : FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    var failure = MapOpenException(full, e);
                    // The lock that refused us is (at least) this process's own: a parent of a chain held for writing.
                    if (failure.Reason == VirtualDiskErrorReason.SharingViolationOtherProcess && heldHere &&
                        LockCounts.Conflicts(exclusive, held.TopShared + held.ParentShared, held.TopExclusive + held.ParentExclusive))
                        failure = new(VirtualDiskErrorReason.SharingViolation, full, "A chain open in this process holds the file");
                    return failure;
                }
            }

            try
            {
                UnixNative.StatxResult? statx = null;
                FileIdentity identity;
                long length;
                uint type;
                if (OperatingSystem.IsLinux() && UnixNative.TryStatx((int)handle.DangerousGetHandle(), out var sx))
                {
                    // One statx: type, identity, size, and the compressed/encrypted inode attributes.
                    statx = sx;
                    identity = new FileIdentity(sx.Device, sx.Inode);
                    length = sx.Size;
                    type = sx.Type;
                }
                else identity = GetIdentity(handle, full, out length, out type);
                if (type != 0 && type != UnixNative.S_IFREG)
                {
                    // Replaced by a folder or a special file between the stat and the open.
                    handle.Dispose();
                    return new(type == UnixNative.S_IFDIR ? VirtualDiskErrorReason.PathIsDirectory : VirtualDiskErrorReason.NotARegularFile, full);
                }
                if (osLock != OsLock.None)
                {
                    LocksHeld.TryGetValue(identity, out var count);
                    LocksHeld[identity] = count.Add(osLock, asParent, +1);
                }
                file = new HostFile(handle, full, length, identity, exclusive, osLock, asParent, statx, writable);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                handle.Dispose();
                return new(VirtualDiskErrorReason.HostIoError, full, OsDetail(e, full));
            }
        }
    }

    /// <summary>errno of a failed stat/open → reason (docs/open-path.md §4 step 8).</summary>
    private static VirtualDiskDiagnostic MapErrno(string full, int errno) => errno switch
    {
        UnixNative.ENOENT => Missing(full),
        UnixNative.EACCES => new(VirtualDiskErrorReason.PermissionDenied, full, "Permission denied (EACCES)"),
        UnixNative.ENOTDIR => new(VirtualDiskErrorReason.PathNotFound, full, "A component of the path is not a directory"),
        UnixNative.ENAMETOOLONG => new(VirtualDiskErrorReason.PathNotFound, full, "The path is too long"),
        UnixNative.ELOOP => new(VirtualDiskErrorReason.PathNotFound, full, "Too many levels of symbolic links"),
        _ => new(VirtualDiskErrorReason.HostIoError, full, $"errno {errno}"),
    };

    private static VirtualDiskDiagnostic? CheckType(string full, out FileIdentity? identity)
    {
        identity = null;
        if (OperatingSystem.IsWindows())
        {
            if (full.StartsWith(@"\\.\", StringComparison.Ordinal) || full.StartsWith(@"\\?\GLOBALROOT", StringComparison.OrdinalIgnoreCase))
                return new(VirtualDiskErrorReason.NotARegularFile, full);
            if (Directory.Exists(full)) return new(VirtualDiskErrorReason.PathIsDirectory, full);
            if (!File.Exists(full)) return Missing(full);
            return null;
        }

        if (UnixNative.TryStat(full, out uint mode, out ulong device, out ulong inode, out int errno))
        {
            uint type = mode & UnixNative.S_IFMT;
            if (type == UnixNative.S_IFDIR) return new(VirtualDiskErrorReason.PathIsDirectory, full);
            if (type != UnixNative.S_IFREG) return new(VirtualDiskErrorReason.NotARegularFile, full);
            identity = new FileIdentity(device, inode);
            return null;
        }
        // stat failed: a folder without search permission is "no permission" (5), not a missing file (2).
        if (errno != 0) return MapErrno(full, errno);
        if (Directory.Exists(full)) return new(VirtualDiskErrorReason.PathIsDirectory, full);
        if (!File.Exists(full)) return Missing(full);
        return null;
    }

    /// <summary>ENOENT splits into a missing file (its folder exists) and a missing folder (docs/open-path.md §4 step 8).</summary>
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
            : new(VirtualDiskErrorReason.PermissionDenied, full, OsDetail(e, full)),
        PathTooLongException => new(VirtualDiskErrorReason.PathNotFound, full, OsDetail(e, full)),
        IOException io when IsSharingViolation(io) => new(VirtualDiskErrorReason.SharingViolationOtherProcess, full, OsDetail(e, full)),
        _ => new(VirtualDiskErrorReason.HostIoError, full, OsDetail(e, full)),
    };

    /// <summary>The system's message without the path it quotes (the diagnostic names the file once, as FilePath).</summary>
    private static string OsDetail(Exception e, string full) =>
        e.Message.Replace("'" + full + "'", "the file", StringComparison.Ordinal).Replace(full, "the file", StringComparison.Ordinal);

    private static bool IsSharingViolation(IOException e) =>
        (e.HResult & 0xFFFF) == 32 || e.HResult == 11 /* EWOULDBLOCK from flock */ ||
        e.Message.Contains("being used by another process", StringComparison.OrdinalIgnoreCase);

    /// <summary>Identity, length and (Unix) file type bits of an open file: one fstat on Unix.</summary>
    private static FileIdentity GetIdentity(SafeFileHandle handle, string full, out long length, out uint type)
    {
        type = 0;
        if (!OperatingSystem.IsWindows() &&
            UnixNative.TryFStat((int)handle.DangerousGetHandle(), out uint mode, out ulong dev, out ulong ino, out length))
        {
            type = mode & UnixNative.S_IFMT;
            return new FileIdentity(dev, ino);
        }
        length = RandomAccess.GetLength(handle);
        if (OperatingSystem.IsWindows())
            return WindowsNative.TryGetIdentity(handle, out var id) ? id : PathIdentity(full);
        return PathIdentity(full);
    }

    /// <summary>The runtime's switch that turns off advisory locking (File.OpenHandle honours it; so do we).</summary>
    private static readonly bool FileLockingDisabled =
        (AppContext.TryGetSwitch("System.IO.DisableFileLocking", out bool disabled) && disabled) ||
        Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true" or "True" or "TRUE";

    // Fallback when the OS gives no id: the case-folded full path (hard links are then not recognised).
    private static FileIdentity PathIdentity(string full) =>
        new(ulong.MaxValue, (ulong)StringComparer.OrdinalIgnoreCase.GetHashCode(full));

    /// <summary>lseek(SEEK_DATA) on Linux (<see cref="UnixNative.NextData"/>); elsewhere <paramref name="offset"/>.</summary>
    public override long NextData(long offset) => UnixNative.NextData(_handle, offset);

    public override int ReadAt(long offset, Span<byte> buffer)
    {
        if (_directPRead) return ReadAtDirect(offset, buffer);
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

    private int ReadAtDirect(long offset, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            long n = UnixNative.PRead(_handle, buffer[total..], offset + total); // ObjectDisposedException after Dispose, as RandomAccess
            if (n == 0) break;
            if (n < 0) ThrowHelper.Throw(VirtualDiskErrorReason.HostIoError, _path, $"pread failed (errno {-n})", offset + total);
            total += (int)n;
        }
        return total;
    }

    /// <summary>Positional write (docs/write.md); the length seen by readers grows with it. Throws <see cref="VirtualDiskException"/> on I/O faults.</summary>
    public void WriteAt(long offset, ReadOnlySpan<byte> data)
    {
        if (!Writable) ThrowHelper.Throw(VirtualDiskErrorReason.HandleAccessDenied, _path, "The file was opened read-only");
        try { RandomAccess.Write(_handle, data, offset); }
        catch (IOException e) { ThrowHelper.Throw(VirtualDiskErrorReason.WriteFailed, _path, e.Message, offset); }
        GrowLength(offset + data.Length);
    }

    /// <summary>Sets the file's length (growing reads as zeros).</summary>
    public void SetLength(long length)
    {
        if (!Writable) ThrowHelper.Throw(VirtualDiskErrorReason.HandleAccessDenied, _path, "The file was opened read-only");
        try { RandomAccess.SetLength(_handle, length); }
        catch (IOException e) { ThrowHelper.Throw(VirtualDiskErrorReason.WriteFailed, _path, e.Message, length); }
        Volatile.Write(ref _length, length);
    }

    /// <summary>fsync / FlushFileBuffers: everything written so far is on stable storage on return.</summary>
    public void Flush()
    {
        if (!Writable) return;
        try { RandomAccess.FlushToDisk(_handle); }
        catch (IOException e) { ThrowHelper.Throw(VirtualDiskErrorReason.FlushFailed, _path, e.Message); }
    }

    private void GrowLength(long end)
    {
        long current = Volatile.Read(ref _length);
        while (end > current)
        {
            long seen = Interlocked.CompareExchange(ref _length, end, current);
            if (seen == current) return;
            current = seen;
        }
    }

    /// <summary>Closes the file (releasing its OS lock). Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (LocksHeld)
        {
            _handle.Dispose();
            if (_osLock != OsLock.None && LocksHeld.TryGetValue(Identity, out var count))
            {
                count = count.Add(_osLock, _asParent, -1);
                if (count.IsEmpty) LocksHeld.Remove(Identity);
                else LocksHeld[Identity] = count;
            }
        }
    }
}
