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

    [LibraryImport("kernel32.dll", EntryPoint = "GetVolumePathNameW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static unsafe partial bool GetVolumePathName(string fileName, char* volumePathName, uint bufferLength);

    [LibraryImport("kernel32.dll", EntryPoint = "GetVolumeNameForVolumeMountPointW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static unsafe partial bool GetVolumeNameForVolumeMountPoint(string volumeMountPoint, char* volumeName, uint bufferLength);

    /// <summary>
    /// A path in the volume-GUID form Windows writes in a VHDX parent locator's <c>volume_path</c> (MS-VHDX §2.6.2.6.3),
    /// e.g. <c>\\?\Volume{…}\vms\base.vhdx</c>: the volume of <paramref name="fullPath"/> (GetVolumePathName), its
    /// GUID name (GetVolumeNameForVolumeMountPoint), then the path below the mount point. Null off Windows or on failure.
    /// </summary>
    public static unsafe string? TryGetVolumeGuidPath(string fullPath)
    {
        if (!OperatingSystem.IsWindows()) return null;
        const int Max = 1024;
        char* mount = stackalloc char[Max];
        if (!GetVolumePathName(fullPath, mount, Max)) return null;
        string mountPoint = new(mount);
        char* volume = stackalloc char[Max];
        if (!GetVolumeNameForVolumeMountPoint(mountPoint, volume, Max)) return null;
        return JoinVolumeGuidPath(fullPath, mountPoint, new string(volume));
    }

    /// <summary>
    /// The volume-GUID form of <paramref name="fullPath"/>: <paramref name="volumeName"/> (<c>\\?\Volume{GUID}\</c>, as
    /// GetVolumeNameForVolumeMountPoint gives it) followed by the part of the path below <paramref name="mountPoint"/>
    /// (as GetVolumePathName gives it: <c>C:\</c> or a mounted folder <c>C:\mnt\data\</c>, compared without case as
    /// Windows paths are). Null when either name lacks its trailing backslash or the path is not below the mount point.
    /// </summary>
    public static string? JoinVolumeGuidPath(string fullPath, string mountPoint, string volumeName)
    {
        if (!mountPoint.EndsWith('\\') || !volumeName.StartsWith(@"\\?\Volume{", StringComparison.OrdinalIgnoreCase) || !volumeName.EndsWith('\\'))
            return null;
        if (!fullPath.StartsWith(mountPoint, StringComparison.OrdinalIgnoreCase) || fullPath.Length == mountPoint.Length) return null;
        return volumeName + fullPath[mountPoint.Length..];
    }
}
