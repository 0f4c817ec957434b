namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>How a UDF partition map addresses its blocks (ECMA-167 3/10.7; OSTA UDF 2.60 §2.2.8–2.2.10).</summary>
public enum UdfPartitionKind
{
    /// <summary>A Type 1 map: blocks are the partition's sectors.</summary>
    Physical = 0,

    /// <summary>A virtual partition mapped by the Virtual Allocation Table (write-once media, UDF 1.50+).</summary>
    Virtual,

    /// <summary>A sparable partition with sparing tables (rewritable media, UDF 1.50+).</summary>
    Sparable,

    /// <summary>A metadata partition held in the metadata file, with a mirror (UDF 2.50+).</summary>
    Metadata,

    /// <summary>A Type 2 map this reader does not know (entries that use it cannot be read).</summary>
    Unknown,
}

/// <summary>One partition of the logical volume: its map and the partition descriptor it is bound to.</summary>
public sealed class UdfPartitionInfo
{
    internal UdfPartitionInfo() { }

    /// <summary>The partition reference number: the map's index in the logical volume descriptor.</summary>
    public int ReferenceNumber { get; init; }

    /// <summary>The partition number the map names (the partition descriptor's number).</summary>
    public int PartitionNumber { get; init; }

    /// <summary>How the map addresses blocks.</summary>
    public UdfPartitionKind Kind { get; init; }

    /// <summary>The map's entity identifier (for example <c>*UDF Metadata Partition</c>; empty for Type 1).</summary>
    public string MapIdentifier { get; init; } = "";

    /// <summary>The partition descriptor's first sector in the volume.</summary>
    public long StartSector { get; init; }

    /// <summary>The partition descriptor's length in sectors.</summary>
    public long LengthInSectors { get; init; }

    /// <summary>The blocks this map addresses (the VAT's entry count for a virtual partition, the metadata file's blocks for a metadata partition).</summary>
    public long BlockCount { get; init; }

    /// <summary>The access type of ECMA-167 3/10.5.7: 0 unspecified (pseudo-overwritable in UDF 2.60), 1 read-only, 2 write-once, 3 rewritable, 4 overwritable.</summary>
    public int AccessType { get; init; }

    /// <summary>The partition contents identifier (<c>+NSR02</c> or <c>+NSR03</c>).</summary>
    public string Contents { get; init; } = "";

    /// <summary>For a sparable partition: the packet length in blocks; otherwise 0.</summary>
    public int PacketLength { get; init; }

    /// <summary>For a sparable partition: the count of packets the sparing table reallocates; otherwise 0.</summary>
    public int RemappedPackets { get; init; }

    /// <summary>For a metadata partition: true when the metadata mirror file was read because the main metadata file is damaged.</summary>
    public bool MirrorInUse { get; init; }
}

/// <summary>The state of the Logical Volume Integrity Descriptor (ECMA-167 3/10.10; OSTA UDF 2.60 §2.2.6).</summary>
public enum UdfIntegrityState
{
    /// <summary>No readable integrity descriptor was found.</summary>
    Unknown = 0,

    /// <summary>The volume was closed cleanly.</summary>
    Closed,

    /// <summary>The volume is open: a writer did not finish (counts and free space are not to be trusted).</summary>
    Open,
}

/// <summary>What the prevailing Logical Volume Integrity Descriptor (and on VAT volumes the VAT header) records.</summary>
public sealed class UdfIntegrityInfo
{
    internal UdfIntegrityInfo() { }

    /// <summary>Open, closed or unknown. On a volume with a VAT the VAT stands for a closed integrity (OSTA UDF 2.60 §2.2.6.1).</summary>
    public UdfIntegrityState State { get; init; }

    /// <summary>When the integrity descriptor was recorded.</summary>
    public DateTimeOffset? RecordingTime { get; init; }

    /// <summary>The next unique id a writer would give (ECMA-167 4/14.15).</summary>
    public ulong NextUniqueId { get; init; }

    /// <summary>The count of files recorded (OSTA UDF 2.60 §2.2.6.4; from the VAT header on VAT volumes), when recorded.</summary>
    public long? NumberOfFiles { get; init; }

    /// <summary>The count of directories recorded, the root included, when recorded.</summary>
    public long? NumberOfDirectories { get; init; }

    /// <summary>The UDF revision needed to read the volume (BCD, 0x0201 = 2.01), when recorded.</summary>
    public int? MinimumReadRevision { get; init; }

    /// <summary>The UDF revision needed to write the volume, when recorded.</summary>
    public int? MinimumWriteRevision { get; init; }

    /// <summary>The highest UDF revision that wrote the volume, when recorded.</summary>
    public int? MaximumWriteRevision { get; init; }

    /// <summary>Free blocks per partition (0xFFFFFFFF = not known), in partition reference order.</summary>
    public IReadOnlyList<long> FreeBlocks { get; init; } = [];

    /// <summary>Size in blocks per partition (0xFFFFFFFF = not known), in partition reference order.</summary>
    public IReadOnlyList<long> SizeBlocks { get; init; } = [];
}
