using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Host;

/// <summary>Windows-only calls: the file id of an open handle (for same-file detection).</summary>
internal static partial class WindowsNative
{
    [StructLayout(LayoutKind.Sequential)]
    private struct ByHandleFileInformation
    {
        public uint FileAttributes;
        public long CreationTime, LastAccessTime, LastWriteTime;
        public uint VolumeSerialNumber, FileSizeHigh, FileSizeLow, NumberOfLinks, FileIndexHigh, FileIndexLow;
    }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetFileInformationByHandle(SafeFileHandle file, out ByHandleFileInformation info);

    public static bool TryGetIdentity(SafeFileHandle handle, out FileIdentity identity)
    {
        identity = default;
        if (!OperatingSystem.IsWindows() || !GetFileInformationByHandle(handle, out var info)) return false;
        identity = new FileIdentity(info.VolumeSerialNumber, ((ulong)info.FileIndexHigh << 32) | info.FileIndexLow);
        return true;
    }
}
