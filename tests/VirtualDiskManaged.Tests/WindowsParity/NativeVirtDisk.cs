using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace VirtualDiskManaged.Tests.WindowsParity;

/// <summary>
/// P/Invoke of the real Windows virtdisk.dll, written from the Microsoft Learn API reference (virtdisk.h):
/// "OpenVirtualDisk function", "GetVirtualDiskInformation function", "VIRTUAL_STORAGE_TYPE structure",
/// "OPEN_VIRTUAL_DISK_PARAMETERS structure", "GET_VIRTUAL_DISK_INFO structure", and kernel32 "CloseHandle function".
/// Only the Windows parity kit uses it (docs/windows.md); nothing here is called off Windows.
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe partial class NativeVirtDisk
{
    /// <summary>
    /// VIRTUAL_STORAGE_TYPE: <c>ULONG DeviceId; GUID VendorId;</c> — 20 bytes, 4-byte aligned
    /// (GUID is a ULONG, two USHORTs and eight bytes), so sequential layout matches the C struct exactly.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct VirtualStorageTypeNative
    {
        public uint DeviceId;
        public Guid VendorId;
    }

    /// <summary>
    /// OPEN_VIRTUAL_DISK_PARAMETERS: <c>OPEN_VIRTUAL_DISK_VERSION Version;</c> (a 4-byte enum) followed by a union of
    /// Version1 <c>{ ULONG RWDepth; }</c>, Version2 <c>{ BOOL GetInfoOnly; BOOL ReadOnly; GUID ResiliencyGuid; }</c> and
    /// Version3 <c>{ BOOL GetInfoOnly; BOOL ReadOnly; GUID ResiliencyGuid; GUID SnapshotId; }</c>. Every member is 4-byte
    /// aligned, so the union starts at offset 4 (not 8) and the whole structure is 4 + 40 = 44 bytes. BOOL is a 4-byte
    /// int, never a 1-byte bool.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 44)]
    public struct OpenParametersNative
    {
        [FieldOffset(0)] public uint Version;
        [FieldOffset(4)] public uint RWDepth;          // Version1
        [FieldOffset(4)] public int GetInfoOnly;       // Version2 / Version3 (BOOL)
        [FieldOffset(8)] public int ReadOnly;          // Version2 / Version3 (BOOL)
        [FieldOffset(12)] public Guid ResiliencyGuid;  // Version2 / Version3
        [FieldOffset(28)] public Guid SnapshotId;      // Version3
    }

    /// <summary>
    /// GET_VIRTUAL_DISK_INFO with the members the kit reads: <c>GET_VIRTUAL_DISK_INFO_VERSION Version;</c> then a union
    /// whose largest member, <c>Size { ULONGLONG VirtualSize; ULONGLONG PhysicalSize; ULONG BlockSize; ULONG SectorSize; }</c>,
    /// is 8-byte aligned, so the union starts at offset 8 and the structure is 8 + 24 = 32 bytes. ProviderSubtype
    /// (ULONG) and VirtualStorageType (DeviceId at 8, VendorId at 12) sit at the union's start.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 32)]
    public struct GetInfoNative
    {
        [FieldOffset(0)] public uint Version;
        [FieldOffset(8)] public ulong VirtualSize;
        [FieldOffset(16)] public ulong PhysicalSize;
        [FieldOffset(24)] public uint BlockSize;
        [FieldOffset(28)] public uint SectorSize;
        [FieldOffset(8)] public uint ProviderSubtype;
        [FieldOffset(8)] public uint StorageDeviceId;
    }

    /// <summary>GET_VIRTUAL_DISK_INFO_SIZE.</summary>
    public const uint InfoSize = 1;
    /// <summary>GET_VIRTUAL_DISK_INFO_PROVIDER_SUBTYPE.</summary>
    public const uint InfoProviderSubtype = 7;

    /// <summary>
    /// <c>DWORD OpenVirtualDisk(PVIRTUAL_STORAGE_TYPE VirtualStorageType, PCWSTR Path, VIRTUAL_DISK_ACCESS_MASK
    /// VirtualDiskAccessMask, OPEN_VIRTUAL_DISK_FLAG Flags, POPEN_VIRTUAL_DISK_PARAMETERS Parameters, PHANDLE Handle);</c>
    /// The return value is the Win32 error code itself (no SetLastError). Both enums are 32-bit.
    /// </summary>
    [LibraryImport("virtdisk.dll", EntryPoint = "OpenVirtualDisk", StringMarshalling = StringMarshalling.Utf16)]
    private static partial uint OpenVirtualDiskNative(VirtualStorageTypeNative* virtualStorageType, string? path,
        uint virtualDiskAccessMask, uint flags, OpenParametersNative* parameters, out nint handle);

    /// <summary>
    /// <c>DWORD GetVirtualDiskInformation(HANDLE VirtualDiskHandle, PULONG VirtualDiskInfoSize, PGET_VIRTUAL_DISK_INFO
    /// VirtualDiskInfo, PULONG SizeUsed);</c> — VirtualDiskInfoSize is in/out, SizeUsed is optional.
    /// </summary>
    [LibraryImport("virtdisk.dll", EntryPoint = "GetVirtualDiskInformation")]
    private static partial uint GetVirtualDiskInformationNative(nint virtualDiskHandle, ref uint virtualDiskInfoSize,
        GetInfoNative* virtualDiskInfo, uint* sizeUsed);

    /// <summary><c>BOOL CloseHandle(HANDLE hObject);</c></summary>
    [LibraryImport("kernel32.dll", EntryPoint = "CloseHandle", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CloseHandle(nint handle);

    /// <summary>Whether virtdisk.dll can be loaded on this machine.</summary>
    public static bool IsAvailable(out string reason)
    {
        if (NativeLibrary.TryLoad("virtdisk.dll", out nint lib))
        {
            NativeLibrary.Free(lib);
            reason = "";
            return true;
        }
        reason = "virtdisk.dll could not be loaded (a Windows edition without the virtual disk service?)";
        return false;
    }

    /// <summary>What Windows said for one open: the code and, on success, what GET_VIRTUAL_DISK_INFO_SIZE returned.</summary>
    public readonly record struct Result(uint Code, ulong? VirtualSize, uint? SizeInfoCode);

    /// <summary>
    /// Calls the real OpenVirtualDisk with the same arguments the library's VirtDisk.OpenVirtualDisk takes (null storage
    /// type and null parameters become NULL pointers), queries SIZE on success, and closes the handle.
    /// </summary>
    public static Result Open(VirtualStorageType? type, string? path, VirtualDiskAccessMask access, OpenVirtualDiskFlags flags,
        OpenVirtualDiskParameters? parameters)
    {
        VirtualStorageTypeNative nativeType = default;
        if (type is { } t) { nativeType.DeviceId = t.DeviceId; nativeType.VendorId = t.VendorId; }
        OpenParametersNative nativeParameters = default;
        if (parameters is { } p)
        {
            nativeParameters.Version = (uint)p.Version;
            if (p.Version == OpenVirtualDiskVersion.Version1) nativeParameters.RWDepth = p.RWDepth;
            else
            {
                nativeParameters.GetInfoOnly = p.GetInfoOnly ? 1 : 0;
                nativeParameters.ReadOnly = p.ReadOnly ? 1 : 0;
                nativeParameters.ResiliencyGuid = p.ResiliencyGuid;
                nativeParameters.SnapshotId = p.SnapshotId;
            }
        }

        nint handle = 0;
        uint code = OpenVirtualDiskNative(type is null ? null : &nativeType, path, (uint)access, (uint)flags,
            parameters is null ? null : &nativeParameters, out handle);
        if (code != 0) return new(code, null, null);
        try
        {
            GetInfoNative info = default;
            info.Version = InfoSize;
            uint size = (uint)sizeof(GetInfoNative);
            uint infoCode = GetVirtualDiskInformationNative(handle, ref size, &info, null);
            return new(code, infoCode == 0 ? info.VirtualSize : null, infoCode);
        }
        finally
        {
            if (handle != 0 && handle != -1) CloseHandle(handle);
        }
    }
}
