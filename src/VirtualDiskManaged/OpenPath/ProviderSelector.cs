using VirtualDiskManaged.Host;
using VirtualDiskManaged.Iso;

namespace VirtualDiskManaged.OpenPath;

/// <summary>docs/open-path.md §6: which provider opens a file — by device id, else by extension, else by content.</summary>
internal static class ProviderSelector
{
    /// <summary>The provider named by the device id or, for UNKNOWN, by the extension; <see cref="VirtualStorageDeviceId.Unknown"/> when content must decide.</summary>
    public static uint FromTypeOrExtension(uint deviceId, string path)
    {
        if (deviceId != VirtualStorageDeviceId.Unknown) return deviceId;
        return FromExtension(path);
    }

    public static uint FromExtension(string path)
    {
        var ext = System.IO.Path.GetExtension(path.AsSpan());
        if (ext.Equals(".iso", StringComparison.OrdinalIgnoreCase)) return VirtualStorageDeviceId.Iso;
        if (ext.Equals(".vhd", StringComparison.OrdinalIgnoreCase) || ext.Equals(".avhd", StringComparison.OrdinalIgnoreCase)) return VirtualStorageDeviceId.Vhd;
        if (ext.Equals(".vhdx", StringComparison.OrdinalIgnoreCase) || ext.Equals(".avhdx", StringComparison.OrdinalIgnoreCase)) return VirtualStorageDeviceId.Vhdx;
        return VirtualStorageDeviceId.Unknown;
    }

    private static ReadOnlySpan<byte> VhdxSignature => "vhdxfile"u8;
    private static ReadOnlySpan<byte> VhdCookie => "conectix"u8;

    /// <summary>
    /// Content detection: "vhdxfile" at 0 → VHDX; "conectix" in the last 512 or 511 bytes or at 0 → VHD;
    /// a recognised descriptor at 32,768 → ISO; otherwise <see cref="VirtualStorageDeviceId.Unknown"/>.
    /// </summary>
    public static uint Sniff(FileView file)
    {
        Span<byte> head = stackalloc byte[8];
        long length = file.Length;
        if (file.TryReadExactlyAt(0, head))
        {
            if (head.SequenceEqual(VhdxSignature)) return VirtualStorageDeviceId.Vhdx;
            if (head.SequenceEqual(VhdCookie)) return VirtualStorageDeviceId.Vhd;
        }
        if (length >= 512 && file.TryReadExactlyAt(length - 512, head) && head.SequenceEqual(VhdCookie)) return VirtualStorageDeviceId.Vhd;
        if (length >= 511 && file.TryReadExactlyAt(length - 511, head) && head.SequenceEqual(VhdCookie)) return VirtualStorageDeviceId.Vhd;
        if (IsoProvider.CheckContent(file, out _) == VirtualDiskErrorReason.None) return VirtualStorageDeviceId.Iso;
        return VirtualStorageDeviceId.Unknown;
    }

    /// <summary>The ContentIs… reason naming what a file really holds.</summary>
    public static VirtualDiskErrorReason ContentReason(uint actualDeviceId) => actualDeviceId switch
    {
        VirtualStorageDeviceId.Vhd => VirtualDiskErrorReason.ContentIsVhd,
        VirtualStorageDeviceId.Vhdx => VirtualDiskErrorReason.ContentIsVhdx,
        VirtualStorageDeviceId.Iso => VirtualDiskErrorReason.ContentIsIso,
        _ => VirtualDiskErrorReason.None,
    };

    /// <summary>True for the failure a provider reports when the file is not of its format at all.</summary>
    public static bool IsNotThisFormat(VirtualDiskErrorReason reason) => reason is
        VirtualDiskErrorReason.VhdFooterMissing or VirtualDiskErrorReason.VhdxFileIdentifierMissing or
        VirtualDiskErrorReason.IsoNoVolumeDescriptor or VirtualDiskErrorReason.IsoSizeNotMultipleOf2048 or
        VirtualDiskErrorReason.IsoTooSmall;
}
