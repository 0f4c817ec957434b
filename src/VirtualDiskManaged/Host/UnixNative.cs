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

    /// <summary>stat(2) of a path: file type bits, device and inode. False when unsupported here or when stat fails.</summary>
    public static unsafe bool TryStat(string path, out uint mode, out ulong device, out ulong inode)
    {
        mode = 0; device = 0; inode = 0;
        if (!TryGetLayout(out int modeOffset)) return false;
        byte* buffer = stackalloc byte[256];
        if (StatNative(path, buffer) != 0) return false;
        Read(buffer, modeOffset, out mode, out device, out inode);
        return true;
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
