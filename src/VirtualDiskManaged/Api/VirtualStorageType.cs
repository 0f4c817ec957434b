namespace VirtualDiskManaged;

/// <summary>Device ids of <see cref="VirtualStorageType"/> (VIRTUAL_STORAGE_TYPE_DEVICE_*).</summary>
public static class VirtualStorageDeviceId
{
    /// <summary>VIRTUAL_STORAGE_TYPE_DEVICE_UNKNOWN: detect the format (by extension, then content).</summary>
    public const uint Unknown = 0;
    /// <summary>VIRTUAL_STORAGE_TYPE_DEVICE_ISO.</summary>
    public const uint Iso = 1;
    /// <summary>VIRTUAL_STORAGE_TYPE_DEVICE_VHD.</summary>
    public const uint Vhd = 2;
    /// <summary>VIRTUAL_STORAGE_TYPE_DEVICE_VHDX.</summary>
    public const uint Vhdx = 3;
    /// <summary>VIRTUAL_STORAGE_TYPE_DEVICE_VHDSET (no provider: the VHD Set format is unpublished).</summary>
    public const uint VhdSet = 4;
}

/// <summary>The VIRTUAL_STORAGE_TYPE structure: a device id and a vendor GUID.</summary>
/// <param name="DeviceId">One of <see cref="VirtualStorageDeviceId"/>.</param>
/// <param name="VendorId"><see cref="VendorMicrosoft"/> or <see cref="VendorUnknown"/>.</param>
public readonly record struct VirtualStorageType(uint DeviceId, Guid VendorId)
{
    /// <summary>VIRTUAL_STORAGE_TYPE_VENDOR_MICROSOFT = {EC984AEC-A0F9-47E9-901F-71415A66345B}.</summary>
    public static readonly Guid VendorMicrosoft = new(0xEC984AEC, 0xA0F9, 0x47E9, 0x90, 0x1F, 0x71, 0x41, 0x5A, 0x66, 0x34, 0x5B);

    /// <summary>VIRTUAL_STORAGE_TYPE_VENDOR_UNKNOWN = the all-zero GUID.</summary>
    public static readonly Guid VendorUnknown = Guid.Empty;

    /// <summary>Unknown device and vendor: the format is detected (docs/open-path.md §6).</summary>
    public static VirtualStorageType Auto => new(VirtualStorageDeviceId.Unknown, Guid.Empty);

    /// <summary>ISO, Microsoft vendor.</summary>
    public static VirtualStorageType Iso => new(VirtualStorageDeviceId.Iso, VendorMicrosoft);

    /// <summary>VHD, Microsoft vendor.</summary>
    public static VirtualStorageType Vhd => new(VirtualStorageDeviceId.Vhd, VendorMicrosoft);

    /// <summary>VHDX, Microsoft vendor.</summary>
    public static VirtualStorageType Vhdx => new(VirtualStorageDeviceId.Vhdx, VendorMicrosoft);

    /// <summary>VHD Set, Microsoft vendor (always fails: no provider).</summary>
    public static VirtualStorageType VhdSet => new(VirtualStorageDeviceId.VhdSet, VendorMicrosoft);
}
