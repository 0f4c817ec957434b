using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// The Boot Record (ECMA-119 §8.2): boot system identifier, boot identifier and boot system use. El Torito
/// (§2.0, figure 7) names itself "EL TORITO SPECIFICATION" and keeps the boot catalog's sector at byte 71.
/// </summary>
public sealed class IsoBootRecordDescriptor : IsoVolumeDescriptor
{
    private const int BootSystemIdentifierOffset = 7, BootIdentifierOffset = 39, BootSystemUseOffset = 71;
    private const int IdentifierLength = 32, BootSystemUseLength = 1977;
    private static ReadOnlySpan<byte> ElToritoIdentifier => "EL TORITO SPECIFICATION"u8;

    internal IsoBootRecordDescriptor(ReadOnlySpan<byte> sector, long sectorNumber) : base(sector, sectorNumber)
    {
        var system = sector.Slice(BootSystemIdentifierOffset, IdentifierLength);
        BootSystemIdentifier = IsoBytes.AText(system);
        BootIdentifier = IsoBytes.AText(sector.Slice(BootIdentifierOffset, IdentifierLength));
        BootSystemUse = sector.Slice(BootSystemUseOffset, BootSystemUseLength).ToArray();
        // El Torito §2.0: the identifier padded with zeros to 32 bytes.
        IsElTorito = system.StartsWith(ElToritoIdentifier) && system[ElToritoIdentifier.Length..].TrimEnd((byte)0).IsEmpty;
        if (IsElTorito) BootCatalogSector = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(BootSystemUseOffset, 4));
    }

    /// <summary>Boot System Identifier (a-characters; "EL TORITO SPECIFICATION" for El Torito).</summary>
    public string BootSystemIdentifier { get; }

    /// <summary>Boot Identifier.</summary>
    public string BootIdentifier { get; }

    /// <summary>The 1977 bytes of Boot System Use as recorded.</summary>
    public ReadOnlyMemory<byte> BootSystemUse { get; }

    /// <summary>True when this is the El Torito boot record.</summary>
    public bool IsElTorito { get; }

    /// <summary>El Torito: the absolute 2048-byte sector of the boot catalog (El Torito figure 7, bytes 47–4A hex).</summary>
    public uint? BootCatalogSector { get; }
}
