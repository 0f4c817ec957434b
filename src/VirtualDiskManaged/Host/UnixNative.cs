using System.Runtime.InteropServices;

namespace VirtualDiskManaged.Host;

/// <summary>The few libc calls the BCL does not expose: stat/fstat (type, device, inode) and the inode flags ioctl.</summary>
internal static partial class UnixNative
{
    // st_mode file types (sys/stat.h).
    public const uint S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000;

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
    private const int O_RDONLY = 0, O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenNative(string path, int flags);

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
    /// open(2) read-only without the advisory lock <see cref="File.OpenHandle"/> takes on Unix: for a second open,
    /// in this process, of a file this process already holds with a conflicting lock (the in-process rules of
    /// CONTRACT §11 decide instead). Returns -1 and the errno on failure.
    /// </summary>
    public static int OpenReadOnlyUnlocked(string path, out int errno)
    {
        errno = 0;
        if (!OperatingSystem.IsLinux()) { errno = ENOENT; return -1; }
        int fd = OpenNative(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) errno = Marshal.GetLastPInvokeError();
        return fd;
    }

    /// <summary>fstat(2) of an open descriptor.</summary>
    public static unsafe bool TryFStat(int fd, out uint mode, out ulong device, out ulong inode)
    {
        mode = 0; device = 0; inode = 0;
        if (!TryGetLayout(out int modeOffset)) return false;
        byte* buffer = stackalloc byte[256];
        if (FStatNative(fd, buffer) != 0) return false;
        Read(buffer, modeOffset, out mode, out device, out inode);
        return true;
    }

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
