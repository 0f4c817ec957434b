namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>The Volume Partition Descriptor (ECMA-119 §8.6).</summary>
public sealed class IsoPartitionDescriptor : IsoVolumeDescriptor
{
    private const int SystemIdentifierOffset = 8, PartitionIdentifierOffset = 40, LocationOffset = 72, SizeOffset = 80, SystemUseOffset = 88;
    private const int IdentifierLength = 32, SystemUseLength = 1960;

    internal IsoPartitionDescriptor(ReadOnlySpan<byte> sector, long sectorNumber) : base(sector, sectorNumber)
    {
        SystemIdentifier = IsoBytes.AText(sector.Slice(SystemIdentifierOffset, IdentifierLength));
        VolumePartitionIdentifier = IsoBytes.AText(sector.Slice(PartitionIdentifierOffset, IdentifierLength));
        Location = IsoBytes.BothEndian32(sector, LocationOffset);
        PartitionSize = IsoBytes.BothEndian32(sector, SizeOffset);
        SystemUse = sector.Slice(SystemUseOffset, SystemUseLength).ToArray();
    }

    /// <summary>System Identifier (a-characters).</summary>
    public string SystemIdentifier { get; }

    /// <summary>Volume Partition Identifier (d-characters).</summary>
    public string VolumePartitionIdentifier { get; }

    /// <summary>Volume Partition Location (logical blocks, 733).</summary>
    public uint Location { get; }

    /// <summary>Volume Partition Size (logical blocks, 733).</summary>
    public uint PartitionSize { get; }

    /// <summary>System Use bytes as recorded.</summary>
    public ReadOnlyMemory<byte> SystemUse { get; }
}
