using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Host;

/// <summary>sync_file_range(SYNC_FILE_RANGE_WRITE) on Linux: start writing a new file's dirty pages back early (docs/create.md "Crash safety").</summary>
internal static partial class UnixNative
{
    private const uint SyncFileRangeWrite = 2; // Linux <fcntl.h>

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRangeNative(SafeHandle fd, long offset, long nbytes, uint flags);

    /// <summary>
    /// Asks the kernel to start writing the dirty pages of <paramref name="file"/> back to the device without waiting
    /// for them, so that the flush before the rename has less left to do; not a durability point (the flush is). Does
    /// nothing off Linux or when the call fails.
    /// </summary>
    public static void StartWriteback(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux()) return;
        try { _ = SyncFileRangeNative(file, 0, 0, SyncFileRangeWrite); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }
}
