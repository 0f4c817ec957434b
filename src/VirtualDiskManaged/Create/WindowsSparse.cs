using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Create;

/// <summary>
/// Windows: marks a new image file sparse (FSCTL_SET_SPARSE, "FSCTL_SET_SPARSE control code" on Microsoft Learn) so
/// that the holes a create leaves — a dynamic VHDX's all-zero BAT region, a SPARSE_FILE fixed disk's data — take no
/// space on NTFS/ReFS. Elsewhere files are sparse by default. Best effort: a file system without sparse files keeps
/// the file as it is (it is still correct, only larger on disk).
/// </summary>
internal static partial class WindowsSparse
{
    private const uint FsctlSetSparse = 0x0009_00C4;

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool DeviceIoControl(SafeFileHandle device, uint ioControlCode, nint inBuffer, uint inBufferSize,
        nint outBuffer, uint outBufferSize, out uint bytesReturned, nint overlapped);

    public static void TryMarkSparse(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsWindows()) return;
        _ = DeviceIoControl(handle, FsctlSetSparse, 0, 0, 0, 0, out _, 0);
    }
}
