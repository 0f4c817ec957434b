using System.Runtime.InteropServices;

namespace VirtualDiskManaged.Host;

/// <summary>The few libc calls the BCL does not expose: stat/fstat (type, device, inode) and the inode flags ioctl.</summary>
internal static partial class UnixNative
{
    // st_mode file types (sys/stat.h).
    public const uint S_IFMT = FileSystems.PosixFileType.Mask, S_IFREG = FileSystems.PosixFileType.Regular, S_IFDIR = FileSystems.PosixFileType.Directory;

    // FS_IOC_GETFLAGS = _IOR('f', 1, long) on 64-bit Linux; flag bits from linux/fs.h.
    private const nuint FS_IOC_GETFLAGS = 0x80086601;
    public const int FS_COMPR_FL = 0x00000004;
    public const int FS_ENCRYPT_FL = 0x00000800;

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int StatNative(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static unsafe partial int FStatNative(int fd, byte* buffer);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int IoctlNative(int fd, nuint request, int* argument);

    /// <summary>struct stat field offsets for the architectures whose layout we know (x86_64; the generic layout of arm64/riscv64).</summary>
    private static bool TryGetLayout(out int modeOffset)
    {
        modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64 => 16,
            _ => -1,
        };
        return modeOffset >= 0 && OperatingSystem.IsLinux();
    }

    // errno values (asm-generic/errno-base.h; the same on every Linux architecture).
    public const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ENAMETOOLONG = 36, ELOOP = 40;

    // open(2) flags (asm-generic/fcntl.h: x86_64, arm64, riscv64, loongarch64).
    private const int O_RDONLY = 0, O_RDWR = 2, O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FLockNative(int fd, int operation);

    // flock(2) operations (sys/file.h) and EWOULDBLOCK (= EAGAIN on Linux).
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, EWOULDBLOCK = 11;

    /// <summary>flock(2) without blocking; returns 0, or the errno (EWOULDBLOCK when another open file description holds a conflicting lock).</summary>
    public static int TryFLock(int fd, int operation) =>
        FLockNative(fd, operation | LOCK_NB) == 0 ? 0 : Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int StatxNative(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint PReadNative(SafeHandle fd, byte* buffer, nuint count, long offset);

    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_INO = 0x100, STATX_SIZE = 0x200;
    private const ulong STATX_ATTR_COMPRESSED = 0x4, STATX_ATTR_ENCRYPTED = 0x800;
    public const int EINTR = 4;
    private static int _statxMissing;

    /// <summary>What one statx(2) of an open file says: type, identity, size, and the compressed/encrypted attributes when the file system reports them.</summary>
    public readonly record struct StatxResult(uint Type, ulong Device, ulong Inode, long Size, bool AttributesKnown, bool Compressed, bool Encrypted);

    /// <summary>
    /// statx(2) of an open descriptor (Linux, fixed struct layout on every architecture). Replaces fstat + the
    /// FS_IOC_GETFLAGS ioctl when the file system reports STATX_ATTR_COMPRESSED and STATX_ATTR_ENCRYPTED (the same
    /// inode flags, FS_COMPR_FL and FS_ENCRYPT_FL). False when statx is unavailable or fails.
    /// </summary>
    public static unsafe bool TryStatx(int fd, out StatxResult result)
    {
        result = default;
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref _statxMissing) != 0) return false;
        byte* b = stackalloc byte[256];
        try
        {
            if (StatxNative(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_INO | STATX_SIZE, b) != 0) return false;
        }
        catch (EntryPointNotFoundException)
        {
            Volatile.Write(ref _statxMissing, 1);
            return false;
        }
        uint mask = *(uint*)b;
        if ((mask & (STATX_TYPE | STATX_INO | STATX_SIZE)) != (STATX_TYPE | STATX_INO | STATX_SIZE)) return false;
        ulong attributes = *(ulong*)(b + 8), attributesMask = *(ulong*)(b + 56);
        uint devMajor = *(uint*)(b + 136), devMinor = *(uint*)(b + 140);
        // glibc's makedev, so the device equals stat's st_dev.
        ulong device = (((ulong)devMajor & 0xFFFFF000) << 32) | (((ulong)devMajor & 0xFFF) << 8) |
                       (((ulong)devMinor & 0xFFFFFF00) << 12) | ((ulong)devMinor & 0xFF);
        const ulong both = STATX_ATTR_COMPRESSED | STATX_ATTR_ENCRYPTED;
        result = new StatxResult(*(ushort*)(b + 28) & S_IFMT, device, *(ulong*)(b + 32), *(long*)(b + 40),
            (attributesMask & both) == both, (attributes & STATX_ATTR_COMPRESSED) != 0, (attributes & STATX_ATTR_ENCRYPTED) != 0);
        return true;
    }

    /// <summary>pread(2), retried on EINTR; returns the count read or -errno. The handle is held for the call (SafeHandle marshalling).</summary>
    public static unsafe long PRead(SafeHandle fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = PReadNative(fd, p, (nuint)buffer.Length, offset);
                if (n >= 0) return n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR) return -errno;
            }
        }
    }

    /// <summary>
    /// Whether a file on device <paramref name="device"/> (st_dev) may be on a network file system. NFS, CIFS and
    /// SMB superblocks always get an anonymous device number (major 0, set_anon_super); a file system on a block
    /// device (major ≠ 0) is local, so the mount table need not be read. Unknown devices (ulong.MaxValue) may be.
    /// </summary>
    public static bool MayBeNetworkDevice(ulong device)
    {
        if (device == ulong.MaxValue || !OperatingSystem.IsLinux()) return true;
        return DeviceMajor(device) == 0;
    }

    /// <summary>stat(2) of a path: file type bits, device and inode. False when unsupported here or when stat fails.</summary>
    public static bool TryStat(string path, out uint mode, out ulong device, out ulong inode) =>
        TryStat(path, out mode, out device, out inode, out _);

    /// <summary>stat(2) of a path; on failure <paramref name="errno"/> says why (0 when stat is not supported here).</summary>
    public static unsafe bool TryStat(string path, out uint mode, out ulong device, out ulong inode, out int errno)
    {
        mode = 0; device = 0; inode = 0; errno = 0;
        if (!TryGetLayout(out int modeOffset)) return false;
        byte* buffer = stackalloc byte[256];
        if (StatNative(path, buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        Read(buffer, modeOffset, out mode, out device, out inode);
        return true;
    }

    /// <summary>
    /// open(2) read-only (O_CLOEXEC), taking no advisory lock: Linux opens lock afterwards with <see cref="TryFLock"/>
    /// unless this process already holds a conflicting lock (the in-process rules of docs/open-path.md §11 decide then).
    /// Returns -1 and the errno on failure.
    /// </summary>
    public static int OpenReadOnlyUnlocked(string path, out int errno) => OpenUnlocked(path, writable: false, out errno);

    /// <summary>open(2) read-only or read-write (O_CLOEXEC), taking no advisory lock (a writable handle: docs/write.md).</summary>
    public static int OpenUnlocked(string path, bool writable, out int errno)
    {
        errno = 0;
        if (!OperatingSystem.IsLinux()) { errno = ENOENT; return -1; }
        int fd = OpenNative(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
        if (fd < 0) errno = Marshal.GetLastPInvokeError();
        return fd;
    }

    /// <summary>fstat(2) of an open descriptor.</summary>
    public static bool TryFStat(int fd, out uint mode, out ulong device, out ulong inode) => TryFStat(fd, out mode, out device, out inode, out _);

    /// <summary>fstat(2) of an open descriptor with st_size (offset 48 in both 64-bit layouts we know).</summary>
    public static unsafe bool TryFStat(int fd, out uint mode, out ulong device, out ulong inode, out long size)
    {
        mode = 0; device = 0; inode = 0; size = 0;
        if (!TryGetLayout(out int modeOffset)) return false;
        byte* buffer = stackalloc byte[256];
        if (FStatNative(fd, buffer) != 0) return false;
        Read(buffer, modeOffset, out mode, out device, out inode);
        size = *(long*)(buffer + 48);
        return true;
    }

    /// <summary>
    /// stat(2) of a path for the ISO builder's walk (one call per file): st_mode, identity, the hard-link count and
    /// st_rdev (a device node's number, as <see cref="DeviceMajor"/> and <see cref="DeviceMinor"/> decode it).
    /// </summary>
    public static unsafe bool TryStatLinks(string path, out uint mode, out ulong device, out ulong inode, out ulong links, out ulong rdev)
    {
        mode = 0; device = 0; inode = 0; links = 0; rdev = 0;
        if (!TryGetLayout(out int modeOffset)) return false;
        byte* buffer = stackalloc byte[256];
        if (StatNative(path, buffer) != 0) return false;
        Read(buffer, modeOffset, out mode, out device, out inode);
        // x86_64: st_nlink (8 bytes) at 16, st_rdev at 40; the generic layout: st_nlink (4 bytes) at 20, st_rdev at 32.
        links = modeOffset == 24 ? *(ulong*)(buffer + 16) : *(uint*)(buffer + 20);
        rdev = modeOffset == 24 ? *(ulong*)(buffer + 40) : *(ulong*)(buffer + 32);
        return true;
    }

    /// <summary>The major number of a Linux dev_t (glibc's gnu_dev_major: bits 8–19 and 44–63).</summary>
    public static uint DeviceMajor(ulong rdev) => (uint)(((rdev >> 8) & 0xFFF) | ((rdev >> 32) & ~0xFFFUL));

    /// <summary>The minor number of a Linux dev_t (glibc's gnu_dev_minor: bits 0–7 and 20–43).</summary>
    public static uint DeviceMinor(ulong rdev) => (uint)((rdev & 0xFF) | ((rdev >> 12) & ~0xFFUL));

    private static unsafe void Read(byte* buffer, int modeOffset, out uint mode, out ulong device, out ulong inode)
    {
        device = *(ulong*)buffer;
        inode = *(ulong*)(buffer + 8);
        mode = *(uint*)(buffer + modeOffset);
    }

    /// <summary>The inode flags (chattr) of an open descriptor; 0 when the file system has none (ENOTTY, EINVAL).</summary>
    public static unsafe int GetInodeFlags(int fd)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        int flags = 0;
        return IoctlNative(fd, FS_IOC_GETFLAGS, &flags) == 0 ? flags : 0;
    }
}
