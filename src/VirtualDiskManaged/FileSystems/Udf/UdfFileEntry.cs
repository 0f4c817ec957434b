using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// A File Entry (ECMA-167 4/14.9, OSTA UDF 2.60 §2.3.6) or Extended File Entry (4/14.17, §2.3.6 too): one block
/// holding the file's attributes, its extended attributes and its allocation descriptors or embedded data.
/// </summary>
internal sealed class UdfFileEntry
{
    private const int UidOffset = 36;
    private const int GidOffset = 40;
    private const int PermissionsOffset = 44;
    private const int LinkCountOffset = 48;
    private const int InformationLengthOffset = 56;
    // File Entry (4/14.9).
    private const int FeAccessTimeOffset = 72;
    private const int FeModificationTimeOffset = 84;
    private const int FeAttributeTimeOffset = 96;
    private const int FeUniqueIdOffset = 160;
    private const int FeEaLengthOffset = 168;
    private const int FeAdLengthOffset = 172;
    private const int FeHeaderSize = 176;
    // Extended File Entry (4/14.17).
    private const int EfeObjectSizeOffset = 64;
    private const int EfeAccessTimeOffset = 80;
    private const int EfeModificationTimeOffset = 92;
    private const int EfeCreationTimeOffset = 104;
    private const int EfeAttributeTimeOffset = 116;
    private const int EfeStreamDirectoryOffset = 152;
    private const int EfeUniqueIdOffset = 200;
    private const int EfeEaLengthOffset = 208;
    private const int EfeAdLengthOffset = 212;
    private const int EfeHeaderSize = 216;

    /// <summary>Linux caps files at 2^42 bytes (UDF_MAX_FILESIZE); this reader refuses lengths beyond 2^62.</summary>
    public const long MaxInformationLength = 1L << 62;

    public bool IsExtended { get; private init; }
    public UdfIcbTag Icb { get; private init; }
    public uint Uid { get; private init; }
    public uint Gid { get; private init; }
    public uint Permissions { get; private init; }
    public ushort LinkCount { get; private init; }
    public long InformationLength { get; private init; }
    public ulong ObjectSize { get; private init; }
    public DateTimeOffset? AccessTime { get; private init; }
    public DateTimeOffset? ModificationTime { get; private init; }
    public DateTimeOffset? CreationTime { get; private init; }
    public DateTimeOffset? AttributeTime { get; private init; }
    public ulong UniqueId { get; private init; }
    public UdfAllocationDescriptor StreamDirectory { get; private init; }
    /// <summary>Offset of the allocation descriptors (or embedded data) inside the block.</summary>
    public int AllocationOffset { get; private init; }
    public int AllocationLength { get; private init; }

    /// <summary>
    /// Parses an FE/EFE whose tag was checked. L_EA and L_AD are each bounded by the block and together with the
    /// header must fit it (4/14.9.20–21; CVE-2014-9729, CVE-2015-4167 and FreeBSD's 32-bit wrap are this class);
    /// embedded data is at most L_AD bytes (4/8.8.2).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> d, bool extended, out UdfFileEntry? entry, out string? problem)
    {
        entry = null;
        problem = null;
        int header = extended ? EfeHeaderSize : FeHeaderSize;
        if (d.Length < header) { problem = "Block smaller than a file entry"; return false; }
        uint ea = BinaryPrimitives.ReadUInt32LittleEndian(d[(extended ? EfeEaLengthOffset : FeEaLengthOffset)..]);
        uint ad = BinaryPrimitives.ReadUInt32LittleEndian(d[(extended ? EfeAdLengthOffset : FeAdLengthOffset)..]);
        if ((ulong)header + ea + ad > (ulong)d.Length) { problem = $"Extended attributes ({ea} bytes) and allocation descriptors ({ad} bytes) exceed the block"; return false; }
        ulong info = BinaryPrimitives.ReadUInt64LittleEndian(d[InformationLengthOffset..]);
        if (info > MaxInformationLength) { problem = $"Information length {info}"; return false; }
        var icb = UdfIcbTag.Read(d);
        if (icb.AllocationForm == UdfAllocationDescriptor.FormEmbedded && info > ad) { problem = $"Embedded data of {ad} bytes for an information length of {info}"; return false; }
        if (icb.AllocationForm > UdfAllocationDescriptor.FormEmbedded) { problem = $"Allocation descriptor type {icb.AllocationForm}"; return false; }
        entry = new UdfFileEntry
        {
            IsExtended = extended,
            Icb = icb,
            Uid = BinaryPrimitives.ReadUInt32LittleEndian(d[UidOffset..]),
            Gid = BinaryPrimitives.ReadUInt32LittleEndian(d[GidOffset..]),
            Permissions = BinaryPrimitives.ReadUInt32LittleEndian(d[PermissionsOffset..]),
            LinkCount = BinaryPrimitives.ReadUInt16LittleEndian(d[LinkCountOffset..]),
            InformationLength = (long)info,
            ObjectSize = extended ? BinaryPrimitives.ReadUInt64LittleEndian(d[EfeObjectSizeOffset..]) : info,
            AccessTime = UdfTimestamp.Read(d[(extended ? EfeAccessTimeOffset : FeAccessTimeOffset)..]),
            ModificationTime = UdfTimestamp.Read(d[(extended ? EfeModificationTimeOffset : FeModificationTimeOffset)..]),
            CreationTime = extended ? UdfTimestamp.Read(d[EfeCreationTimeOffset..]) : null,
            AttributeTime = UdfTimestamp.Read(d[(extended ? EfeAttributeTimeOffset : FeAttributeTimeOffset)..]),
            UniqueId = BinaryPrimitives.ReadUInt64LittleEndian(d[(extended ? EfeUniqueIdOffset : FeUniqueIdOffset)..]),
            StreamDirectory = extended ? UdfAllocationDescriptor.ReadLong(d[EfeStreamDirectoryOffset..]) : default,
            AllocationOffset = header + (int)ea,
            AllocationLength = (int)ad,
        };
        return true;
    }

    /// <summary>
    /// POSIX mode bits from the permissions (4/14.9.5: other bits 0–4, group 5–9, owner 10–14, each execute, write,
    /// read, change attributes, delete) and the ICB flags setuid/setgid/sticky (4/14.6.8); as Linux udf_convert_permissions.
    /// </summary>
    public int Mode
    {
        get
        {
            uint p = Permissions;
            int mode = (int)((p & 7) | ((p >> 2) & 0x38) | ((p >> 4) & 0x1C0));
            if ((Icb.Flags & UdfIcbTag.FlagSetUid) != 0) mode |= 0x800;
            if ((Icb.Flags & UdfIcbTag.FlagSetGid) != 0) mode |= 0x400;
            if ((Icb.Flags & UdfIcbTag.FlagSticky) != 0) mode |= 0x200;
            return mode;
        }
    }
}
