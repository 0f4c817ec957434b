namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>The Volume Descriptor Type byte (ECMA-119 §8.1.1).</summary>
public enum IsoVolumeDescriptorType : byte
{
    /// <summary>Boot Record (ECMA-119 §8.2; El Torito uses it).</summary>
    BootRecord = 0,

    /// <summary>Primary Volume Descriptor (ECMA-119 §8.4).</summary>
    Primary = 1,

    /// <summary>Supplementary (Joliet) or Enhanced (ISO 9660:1999, version 2) Volume Descriptor (ECMA-119 §8.5).</summary>
    Supplementary = 2,

    /// <summary>Volume Partition Descriptor (ECMA-119 §8.6).</summary>
    Partition = 3,

    /// <summary>Volume Descriptor Set Terminator (ECMA-119 §8.3).</summary>
    Terminator = 255,
}

/// <summary>
/// One volume descriptor of the set that starts at sector 16 of a session (ECMA-119 §8.1): the common header
/// (type, "CD001", version) and where it was read. The concrete classes expose each descriptor's fields.
/// </summary>
public class IsoVolumeDescriptor
{
    /// <summary>ECMA-119 §8.1: byte 0 type, bytes 1–5 standard identifier, byte 6 version.</summary>
    internal const int TypeOffset = 0, IdentifierOffset = 1, VersionOffset = 6;

    /// <summary>Every descriptor occupies one 2048-byte sector (ECMA-119 §6.7.1).</summary>
    internal const int Size = 2048;

    internal static ReadOnlySpan<byte> StandardIdentifier => "CD001"u8;

    private protected IsoVolumeDescriptor(ReadOnlySpan<byte> sector, long sectorNumber)
    {
        RawType = sector[TypeOffset];
        Version = sector[VersionOffset];
        SectorNumber = sectorNumber;
    }

    /// <summary>A terminator or a descriptor of a reserved type (4–254): only the header is interpreted.</summary>
    internal static IsoVolumeDescriptor Other(ReadOnlySpan<byte> sector, long sectorNumber) => new(sector, sectorNumber);

    /// <summary>The descriptor type byte as recorded (types 4–254 are reserved).</summary>
    public byte RawType { get; }

    /// <summary>The descriptor type (the raw byte cast; reserved values keep their number).</summary>
    public IsoVolumeDescriptorType Type => (IsoVolumeDescriptorType)RawType;

    /// <summary>The Volume Descriptor Version (1; 2 for the ISO 9660:1999 enhanced descriptor).</summary>
    public byte Version { get; }

    /// <summary>The 2048-byte sector the descriptor was read from (absolute, in the image).</summary>
    public long SectorNumber { get; }

    /// <summary>The byte offset of the descriptor in the image.</summary>
    public long Offset => SectorNumber * Size;

    /// <inheritdoc />
    public override string ToString() => $"{Type} (version {Version}) at sector {SectorNumber}";
}
