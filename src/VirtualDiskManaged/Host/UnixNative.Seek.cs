using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Host;

/// <summary>lseek(SEEK_DATA) on Linux: where a sparse host file's next data starts (docs/operations.md "convert").</summary>
internal static partial class UnixNative
{
    private const int SeekData = 3; // Linux <unistd.h>
    private const int Enxio = 6;

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeekNative(SafeHandle fd, long offset, int whence);

    /// <summary>
    /// The offset of the first data byte at or after <paramref name="offset"/>; <see cref="long.MaxValue"/> when only a
    /// hole follows; <paramref name="offset"/> itself when the file system cannot tell (or off Linux), so callers read.
    /// </summary>
    public static long NextData(SafeFileHandle file, long offset)
    {
        if (!OperatingSystem.IsLinux()) return offset;
        long at = LSeekNative(file, offset, SeekData);
        if (at >= 0) return at;
        return Marshal.GetLastPInvokeError() == Enxio ? long.MaxValue : offset;
    }
}
