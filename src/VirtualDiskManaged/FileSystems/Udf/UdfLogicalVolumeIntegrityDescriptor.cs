using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The Logical Volume Integrity Descriptor (ECMA-167 3/10.10, OSTA UDF 2.60 §2.2.6): whether the volume was closed
/// cleanly, the next unique id (4/14.15), the free-space and size tables and the UDF implementation use (§2.2.6.4):
/// file and directory counts and the revisions needed to read and write.
/// </summary>
internal sealed class UdfLogicalVolumeIntegrityDescriptor
{
    private const int RecordingTimeOffset = 16;
    private const int TypeOffset = 28;
    private const int NextExtentOffset = 32;
    private const int NextUniqueIdOffset = 40;
    private const int PartitionCountOffset = 72;
    private const int ImplementationUseLengthOffset = 76;
    private const int TablesOffset = 80;
    private const int FilesOffset = 32;
    private const int DirectoriesOffset = 36;
    private const int MinReadOffset = 40;
    private const int MinWriteOffset = 42;
    private const int MaxWriteOffset = 44;
    private const int ImplementationUseMinimum = 46;

    public const uint Open = 0;
    public const uint Close = 1;

    public uint IntegrityType { get; private init; }
    public DateTimeOffset? RecordingTime { get; private init; }
    public uint NextLength { get; private init; }
    public uint NextLocation { get; private init; }
    public ulong NextUniqueId { get; private init; }
    public uint[] FreeSpace { get; private init; } = [];
    public uint[] Sizes { get; private init; } = [];
    public uint? Files { get; private init; }
    public uint? Directories { get; private init; }
    public ushort? MinimumReadRevision { get; private init; }
    public ushort? MinimumWriteRevision { get; private init; }
    public ushort? MaximumWriteRevision { get; private init; }

    /// <summary>Parses an LVID whose tag was checked; false when its table lengths do not fit the block (Linux udf_lvid_valid).</summary>
    public static bool TryParse(ReadOnlySpan<byte> d, out UdfLogicalVolumeIntegrityDescriptor? lvid)
    {
        lvid = null;
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(d[PartitionCountOffset..]);
        uint iu = BinaryPrimitives.ReadUInt32LittleEndian(d[ImplementationUseLengthOffset..]);
        if (n > (uint)d.Length || iu > (uint)d.Length || TablesOffset + 8L * n + iu > d.Length) return false;
        var free = new uint[n];
        var sizes = new uint[n];
        for (int i = 0; i < n; i++)
        {
            free[i] = BinaryPrimitives.ReadUInt32LittleEndian(d[(TablesOffset + 4 * i)..]);
            sizes[i] = BinaryPrimitives.ReadUInt32LittleEndian(d[(TablesOffset + 4 * ((int)n + i))..]);
        }
        var use = d.Slice(TablesOffset + 8 * (int)n, (int)iu);
        bool hasUse = use.Length >= ImplementationUseMinimum;
        lvid = new UdfLogicalVolumeIntegrityDescriptor
        {
            IntegrityType = BinaryPrimitives.ReadUInt32LittleEndian(d[TypeOffset..]),
            RecordingTime = UdfTimestamp.Read(d[RecordingTimeOffset..]),
            NextLength = BinaryPrimitives.ReadUInt32LittleEndian(d[NextExtentOffset..]),
            NextLocation = BinaryPrimitives.ReadUInt32LittleEndian(d[(NextExtentOffset + 4)..]),
            NextUniqueId = BinaryPrimitives.ReadUInt64LittleEndian(d[NextUniqueIdOffset..]),
            FreeSpace = free,
            Sizes = sizes,
            Files = hasUse ? BinaryPrimitives.ReadUInt32LittleEndian(use[FilesOffset..]) : null,
            Directories = hasUse ? BinaryPrimitives.ReadUInt32LittleEndian(use[DirectoriesOffset..]) : null,
            MinimumReadRevision = hasUse ? BinaryPrimitives.ReadUInt16LittleEndian(use[MinReadOffset..]) : null,
            MinimumWriteRevision = hasUse ? BinaryPrimitives.ReadUInt16LittleEndian(use[MinWriteOffset..]) : null,
            MaximumWriteRevision = hasUse ? BinaryPrimitives.ReadUInt16LittleEndian(use[MaxWriteOffset..]) : null,
        };
        return true;
    }
}
