using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Iso;

/// <summary>docs/open-path.md §5: ISO content rules and the ISO layer (the stream is the image file itself).</summary>
internal static class IsoProvider
{
    /// <summary>The content rules alone (size, then the descriptor at 32,768); used by detection and by open.</summary>
    public static VirtualDiskErrorReason CheckContent(FileView file, out string? identifier)
    {
        identifier = null;
        long length = file.Length;
        if (length % IsoVolumeDescriptor.SectorSize != 0) return VirtualDiskErrorReason.IsoSizeNotMultipleOf2048;
        if (length < IsoVolumeDescriptor.MinimumImageSize) return VirtualDiskErrorReason.IsoTooSmall;
        Span<byte> descriptor = stackalloc byte[IsoVolumeDescriptor.SectorSize];
        if (!file.TryReadExactlyAt(IsoVolumeDescriptor.FirstDescriptorOffset, descriptor)) return VirtualDiskErrorReason.IsoTooSmall;
        identifier = IsoVolumeDescriptor.Recognise(descriptor);
        return identifier is null ? VirtualDiskErrorReason.IsoNoVolumeDescriptor : VirtualDiskErrorReason.None;
    }

    public static VirtualDiskDiagnostic? Open(HostFile file, out DiskLayer? layer)
    {
        layer = null;
        var reason = CheckContent(file, out string? identifier);
        if (reason != VirtualDiskErrorReason.None)
        {
            string detail = reason switch
            {
                VirtualDiskErrorReason.IsoSizeNotMultipleOf2048 => $"Size {file.Length} leaves {Counted.Of(file.Length % 2048, "byte")} over",
                VirtualDiskErrorReason.IsoTooSmall => $"Size {file.Length}",
                _ => "Bytes 1-5 and 9-13 of the sector at 32,768 hold no known identifier",
            };
            return new(reason, file.Path, detail, reason == VirtualDiskErrorReason.IsoNoVolumeDescriptor ? IsoVolumeDescriptor.FirstDescriptorOffset : null);
        }
        layer = new IsoLayer(file, identifier!);
        return null;
    }
}

/// <summary>An ISO image: the virtual disk is the file, byte for byte.</summary>
internal sealed class IsoLayer : DiskLayer
{
    /// <summary>The volume descriptor set is walked for the info fields only up to this many sectors.</summary>
    private const int MaxDescriptorsScanned = 64;

    private readonly string _identifier;

    public IsoLayer(HostFile file, string identifier) : base(file, file) => _identifier = identifier;

    public override long VirtualSize => File.Length;

    public override uint DeviceId => VirtualStorageDeviceId.Iso;

    public override VirtualDiskProviderSubtype Subtype => VirtualDiskProviderSubtype.None;

    public override int LogicalSectorSize => IsoVolumeDescriptor.SectorSize;

    public override int PhysicalSectorSize => IsoVolumeDescriptor.SectorSize;

    protected override Run MapRun(long virtualOffset, long maxLength) => Run.Data(maxLength, virtualOffset);

    public override VirtualDiskFileInfo Describe()
    {
        // Walk the descriptor set (bounded) for the label, El Torito and UDF; open has already validated the first.
        string? label = null;
        bool elTorito = false, udf = false;
        var sector = new byte[IsoVolumeDescriptor.SectorSize];
        for (int i = 0; i < MaxDescriptorsScanned; i++)
        {
            long offset = IsoVolumeDescriptor.FirstDescriptorOffset + (long)i * IsoVolumeDescriptor.SectorSize;
            if (!File.TryReadExactlyAt(offset, sector)) break;
            if (IsoVolumeDescriptor.Recognise(sector) is null) break;
            label ??= IsoVolumeDescriptor.PrimaryVolumeLabel(sector);
            elTorito |= IsoVolumeDescriptor.IsElToritoBootRecord(sector);
            udf |= IsoVolumeDescriptor.IsNsr(sector);
            if (sector[1..6].AsSpan().SequenceEqual("TEA01"u8)) break;
        }
        return new VirtualDiskFileInfo
        {
            Path = File.Path,
            Format = VirtualDiskFormat.Iso,
            VirtualSize = VirtualSize,
            FileSize = File.Length,
            LogicalSectorSize = IsoVolumeDescriptor.SectorSize,
            PhysicalSectorSize = IsoVolumeDescriptor.SectorSize,
            VolumeDescriptorIdentifier = _identifier,
            VolumeLabel = label,
            HasElTorito = elTorito,
            HasUdf = udf,
        };
    }
}
