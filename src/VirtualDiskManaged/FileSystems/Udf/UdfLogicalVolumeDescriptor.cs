using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>The Logical Volume Descriptor (ECMA-167 3/10.6, OSTA UDF 2.60 §2.2.4) with its partition maps.</summary>
internal sealed class UdfLogicalVolumeDescriptor
{
    private const int SequenceNumberOffset = 16;
    private const int IdentifierOffset = 84;
    private const int IdentifierLength = 128;
    private const int BlockSizeOffset = 212;
    private const int DomainOffset = 216;
    private const int FileSetLocationOffset = 248;
    private const int MapTableLengthOffset = 264;
    private const int MapCountOffset = 268;
    private const int ImplementationOffset = 272;
    private const int IntegrityExtentOffset = 432;
    private const int MapsOffset = 440;

    /// <summary>Cap on partition maps (7-Zip uses 64; real volumes have 1–3).</summary>
    public const int MaxMaps = 64;

    public uint SequenceNumber { get; private init; }
    public string Identifier { get; private init; } = "";
    public uint BlockSize { get; private init; }
    public string Domain { get; private init; } = "";
    public ushort DomainRevision { get; private init; }
    public string ImplementationIdentifier { get; private init; } = "";
    public UdfAllocationDescriptor FileSetLocation { get; private init; }
    public uint IntegrityLength { get; private init; }
    public uint IntegrityLocation { get; private init; }
    public IReadOnlyList<UdfPartitionMap> Maps { get; private init; } = [];
    public long DescriptorOffset { get; private init; }

    /// <summary>
    /// Parses the LVD in <paramref name="d"/> (one block). The map table must fit the block (MT_L ≤ block − 440), the
    /// map count must be possible for its length (≤ MT_L / 2 since a map is at least 2 bytes; Linux 1a11201668e8) and
    /// within <see cref="MaxMaps"/>, every map inside the table (CVE-2012-3400 class, 3/10.6.13).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> d, long offset, out UdfLogicalVolumeDescriptor? lvd, out string? problem)
    {
        lvd = null;
        problem = null;
        uint tableLength = BinaryPrimitives.ReadUInt32LittleEndian(d[MapTableLengthOffset..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(d[MapCountOffset..]);
        if (tableLength > (uint)(d.Length - MapsOffset)) { problem = $"Map table length {tableLength} exceeds the {d.Length - MapsOffset} bytes after the LVD header"; return false; }
        if (count > MaxMaps || count > tableLength / 2) { problem = $"{count} partition maps in a {tableLength}-byte table (cap {MaxMaps})"; return false; }
        var table = d.Slice(MapsOffset, (int)tableLength);
        var maps = new List<UdfPartitionMap>((int)count);
        int at = 0;
        for (int i = 0; i < count; i++)
        {
            if (!UdfPartitionMap.TryParse(table[at..], out var map, out int length, out problem)) { problem = $"Partition map {i}: {problem}"; return false; }
            maps.Add(map!);
            at += length;
        }
        lvd = new UdfLogicalVolumeDescriptor
        {
            SequenceNumber = BinaryPrimitives.ReadUInt32LittleEndian(d[SequenceNumberOffset..]),
            Identifier = UdfCompressedUnicode.ReadDString(d.Slice(IdentifierOffset, IdentifierLength)),
            BlockSize = BinaryPrimitives.ReadUInt32LittleEndian(d[BlockSizeOffset..]),
            Domain = UdfEntityIdentifier.Read(d[DomainOffset..]).Identifier,
            DomainRevision = UdfEntityIdentifier.Read(d[DomainOffset..]).SuffixRevision,
            ImplementationIdentifier = UdfEntityIdentifier.Read(d[ImplementationOffset..]).Identifier,
            FileSetLocation = UdfAllocationDescriptor.ReadLong(d[FileSetLocationOffset..]),
            IntegrityLength = BinaryPrimitives.ReadUInt32LittleEndian(d[IntegrityExtentOffset..]),
            IntegrityLocation = BinaryPrimitives.ReadUInt32LittleEndian(d[(IntegrityExtentOffset + 4)..]),
            Maps = maps,
            DescriptorOffset = offset,
        };
        return true;
    }
}
