using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>What a partition map describes.</summary>
internal enum UdfPartitionMapType
{
    Physical,
    Virtual,
    Sparable,
    Metadata,
    Unknown,
}

/// <summary>
/// One partition map of the Logical Volume Descriptor (ECMA-167 3/10.7): Type 1 (3/10.7.2, 6 bytes) or Type 2
/// (3/10.7.3, 64 bytes) identified by its entity identifier: <c>*UDF Virtual Partition</c> (OSTA UDF 2.60 §2.2.8),
/// <c>*UDF Sparable Partition</c> (§2.2.9) or <c>*UDF Metadata Partition</c> (§2.2.10).
/// </summary>
internal sealed class UdfPartitionMap
{
    private const int TypeOffset = 0;
    private const int LengthOffset = 1;
    private const int Type1Length = 6;
    private const int Type1NumberOffset = 4;
    private const int Type2Length = 64;
    private const int Type2IdentifierOffset = 4;
    private const int Type2NumberOffset = 38;
    private const int SparablePacketLengthOffset = 40;
    private const int SparableTableCountOffset = 42;
    private const int SparableTableSizeOffset = 44;
    private const int SparableTableLocationsOffset = 48;
    private const int MetadataFileOffset = 40;
    private const int MetadataMirrorOffset = 44;
    private const int MetadataBitmapOffset = 48;
    private const int MetadataFlagsOffset = 58;

    public UdfPartitionMapType Type { get; private init; }
    public ushort PartitionNumber { get; private init; }
    public string Identifier { get; private init; } = "";
    /// <summary>The UDF revision in the identifier suffix (Type 2): tells a 1.50 VAT from a 2.00+ one.</summary>
    public ushort Revision { get; private init; }
    public ushort PacketLength { get; private init; }
    public uint[] SparingTableLocations { get; private init; } = [];
    public uint SparingTableSize { get; private init; }
    public uint MetadataFileLocation { get; private init; }
    public uint MetadataMirrorLocation { get; private init; }
    public uint MetadataBitmapLocation { get; private init; }
    public bool MetadataDuplicated { get; private init; }

    /// <summary>
    /// Parses the map at the start of <paramref name="d"/> (the rest of the map table); <paramref name="length"/> is its
    /// length byte. False (with a detail) when the length is below 2 or runs past the table (CVE-2012-3400 class).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> d, out UdfPartitionMap? map, out int length, out string? problem)
    {
        map = null;
        problem = null;
        length = 0;
        if (d.Length < 2) { problem = "Partition map table ends inside a map header"; return false; }
        int type = d[TypeOffset];
        length = d[LengthOffset];
        if (length < 2 || length > d.Length) { problem = $"Partition map length {length} with {d.Length} bytes of table left"; return false; }
        var m = d[..length];
        if (type == 1)
        {
            if (length != Type1Length) { problem = $"Type 1 partition map of length {length}"; return false; }
            map = new UdfPartitionMap { Type = UdfPartitionMapType.Physical, PartitionNumber = BinaryPrimitives.ReadUInt16LittleEndian(m[Type1NumberOffset..]) };
            return true;
        }
        if (type != 2 || length != Type2Length)
        {
            problem = $"Partition map type {type} of length {length}";
            return false;
        }
        var id = UdfEntityIdentifier.Read(m[Type2IdentifierOffset..]);
        ushort number = BinaryPrimitives.ReadUInt16LittleEndian(m[Type2NumberOffset..]);
        if (id.Is("*UDF Virtual Partition"))
            map = new UdfPartitionMap { Type = UdfPartitionMapType.Virtual, PartitionNumber = number, Identifier = id.Identifier, Revision = id.SuffixRevision };
        else if (id.Is("*UDF Sparable Partition"))
        {
            int count = m[SparableTableCountOffset];
            // OSTA UDF 2.60 §2.2.9: one to four sparing tables.
            if (count is < 1 or > 4) { problem = $"Sparable partition map with {count} sparing tables"; return false; }
            var locations = new uint[count];
            for (int i = 0; i < count; i++) locations[i] = BinaryPrimitives.ReadUInt32LittleEndian(m[(SparableTableLocationsOffset + 4 * i)..]);
            map = new UdfPartitionMap
            {
                Type = UdfPartitionMapType.Sparable, PartitionNumber = number, Identifier = id.Identifier, Revision = id.SuffixRevision,
                PacketLength = BinaryPrimitives.ReadUInt16LittleEndian(m[SparablePacketLengthOffset..]),
                SparingTableSize = BinaryPrimitives.ReadUInt32LittleEndian(m[SparableTableSizeOffset..]),
                SparingTableLocations = locations,
            };
        }
        else if (id.Is("*UDF Metadata Partition"))
            map = new UdfPartitionMap
            {
                Type = UdfPartitionMapType.Metadata, PartitionNumber = number, Identifier = id.Identifier, Revision = id.SuffixRevision,
                MetadataFileLocation = BinaryPrimitives.ReadUInt32LittleEndian(m[MetadataFileOffset..]),
                MetadataMirrorLocation = BinaryPrimitives.ReadUInt32LittleEndian(m[MetadataMirrorOffset..]),
                MetadataBitmapLocation = BinaryPrimitives.ReadUInt32LittleEndian(m[MetadataBitmapOffset..]),
                MetadataDuplicated = (m[MetadataFlagsOffset] & 1) != 0,
            };
        else
            map = new UdfPartitionMap { Type = UdfPartitionMapType.Unknown, PartitionNumber = number, Identifier = id.Identifier, Revision = id.SuffixRevision };
        return true;
    }
}
