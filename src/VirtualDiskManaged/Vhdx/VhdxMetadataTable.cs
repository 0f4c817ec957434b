using System.Buffers.Binary;

namespace VirtualDiskManaged.Vhdx;

/// <summary>Where one known metadata item is, relative to the start of the metadata region (Length 0: empty item).</summary>
internal readonly record struct VhdxItemLocation(bool Present, uint Offset, uint Length);

/// <summary>
/// The metadata table: the first 64 KiB of the metadata region (MS-VHDX §2.6.1; VHDX rules 13–18, docs/open-path.md §8.2). Parsing
/// checks every entry and records where the known items are; the items themselves are parsed by <see cref="VhdxMetadataItems"/>.
/// </summary>
internal readonly struct VhdxMetadataTable
{
    public const ulong Signature = 0x617461646174656D; // "metadata"
    private const int SignatureOffset = 0, ReservedOffset = 8, EntryCountOffset = 10, Reserved2Offset = 12, Reserved2Length = 20;
    private const int HeaderLength = 32, EntryLength = 32, ItemIdOffset = 0, ItemOffsetOffset = 16, ItemLengthOffset = 20,
        FlagsOffset = 24, EntryReservedOffset = 28;
    public const int MaxEntries = 2047, MaxUserEntries = 1024;
    public const uint MaxItemLength = 1024 * 1024;
    private const uint IsUserFlag = 1, IsVirtualDiskFlag = 2, IsRequiredFlag = 4, KnownFlags = IsUserFlag | IsVirtualDiskFlag | IsRequiredFlag;

    public VhdxItemLocation FileParameters { get; init; }
    public VhdxItemLocation VirtualDiskSize { get; init; }
    public VhdxItemLocation VirtualDiskId { get; init; }
    public VhdxItemLocation LogicalSectorSize { get; init; }
    public VhdxItemLocation PhysicalSectorSize { get; init; }
    public VhdxItemLocation ParentLocator { get; init; }

    /// <summary>Parses the 64 KiB table of a metadata region of <paramref name="regionLength"/> bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, long regionLength, out VhdxMetadataTable table, out VirtualDiskErrorReason reason, out string? detail)
    {
        table = default;
        detail = null;
        reason = VirtualDiskErrorReason.VhdxMetadataTableInvalid;
        if (data.Length < VhdxConstants.MetadataTableSize) { detail = "Table shorter than 64 KiB"; return false; }
        if (BinaryPrimitives.ReadUInt64LittleEndian(data[SignatureOffset..]) != Signature) { detail = "Signature is not \"metadata\""; return false; }
        int count = BinaryPrimitives.ReadUInt16LittleEndian(data[EntryCountOffset..]);
        if (count > MaxEntries) { detail = $"EntryCount {count}"; return false; }
        if (BinaryPrimitives.ReadUInt16LittleEndian(data[ReservedOffset..]) != 0 || data.Slice(Reserved2Offset, Reserved2Length).ContainsAnyExcept((byte)0))
        {
            detail = "Reserved fields are not zero";
            return false;
        }

        VhdxItemLocation fileParameters = default, size = default, id = default, logical = default, physical = default, locator = default;
        int userCount = 0;
        for (int i = 0; i < count; i++)
        {
            var e = data.Slice(HeaderLength + i * EntryLength, EntryLength);
            var itemId = new Guid(e.Slice(ItemIdOffset, 16));
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(e[ItemOffsetOffset..]);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(e[ItemLengthOffset..]);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(e[FlagsOffset..]);
            bool isUser = (flags & IsUserFlag) != 0;
            // MS-VHDX §2.6.1.2: offset ≥ 64 KiB, length ≤ 1 MiB, empty item ⇒ offset 0, inside the region, reserved bits 0.
            bool placementOk = length == 0
                ? offset == 0
                : offset >= VhdxConstants.MetadataTableSize && length <= MaxItemLength && (long)offset + length <= regionLength;
            if (!placementOk || (flags & ~KnownFlags) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(e[EntryReservedOffset..]) != 0)
            {
                reason = VirtualDiskErrorReason.VhdxMetadataEntryInvalid;
                detail = $"Entry {i} {itemId}: offset {offset}, length {length}, flags 0x{flags:X}";
                return false;
            }
            if (isUser && ++userCount > MaxUserEntries)
            {
                reason = VirtualDiskErrorReason.VhdxMetadataEntryInvalid;
                detail = $"More than {MaxUserEntries} user entries";
                return false;
            }
            // Items must not overlap one another; (ItemId, IsUser) pairs are unique.
            for (int j = 0; j < i; j++)
            {
                var other = data.Slice(HeaderLength + j * EntryLength, EntryLength);
                uint o = BinaryPrimitives.ReadUInt32LittleEndian(other[ItemOffsetOffset..]);
                uint l = BinaryPrimitives.ReadUInt32LittleEndian(other[ItemLengthOffset..]);
                if (length != 0 && l != 0 && offset < (long)o + l && o < (long)offset + length)
                {
                    reason = VirtualDiskErrorReason.VhdxMetadataEntryInvalid;
                    detail = $"Items {j} and {i} overlap";
                    return false;
                }
                bool otherUser = (BinaryPrimitives.ReadUInt32LittleEndian(other[FlagsOffset..]) & IsUserFlag) != 0;
                if (otherUser == isUser && new Guid(other.Slice(ItemIdOffset, 16)) == itemId)
                {
                    reason = VirtualDiskErrorReason.VhdxMetadataItemDuplicate;
                    detail = $"Item {itemId} (entries {j} and {i})";
                    return false;
                }
            }
            if (isUser)
            {
                if ((flags & IsRequiredFlag) != 0) return UnknownRequired(itemId, out reason, out detail);
                continue; // user items are the user's; none is known to this library
            }
            var location = new VhdxItemLocation(true, offset, length);
            if (itemId == VhdxConstants.FileParametersItem) fileParameters = location;
            else if (itemId == VhdxConstants.VirtualDiskSizeItem) size = location;
            else if (itemId == VhdxConstants.VirtualDiskIdItem) id = location;
            else if (itemId == VhdxConstants.LogicalSectorSizeItem) logical = location;
            else if (itemId == VhdxConstants.PhysicalSectorSizeItem) physical = location;
            else if (itemId == VhdxConstants.ParentLocatorItem) locator = location;
            else if ((flags & IsRequiredFlag) != 0) return UnknownRequired(itemId, out reason, out detail); // VHDX rule 16
        }

        // VHDX rule 18: known item lengths.
        if (!LengthIs(fileParameters, 8, "File Parameters", out detail) || !LengthIs(size, 8, "Virtual Disk Size", out detail)
            || !LengthIs(id, 16, "Virtual Disk ID", out detail) || !LengthIs(logical, 4, "Logical Sector Size", out detail)
            || !LengthIs(physical, 4, "Physical Sector Size", out detail)
            || (locator.Present && locator.Length < VhdxParentLocator.HeaderLength && (detail = $"Parent Locator length {locator.Length}") is not null))
        {
            reason = VirtualDiskErrorReason.VhdxMetadataItemLengthInvalid;
            return false;
        }
        // VHDX rule 17: File Parameters, Virtual Disk Size and Logical Sector Size are indispensable; a missing Physical
        // Sector Size (taken as the logical size) or Virtual Disk ID (reported as empty) is tolerated, as 7-Zip does.
        if (!fileParameters.Present || !size.Present || !logical.Present)
        {
            reason = VirtualDiskErrorReason.VhdxMetadataRequiredMissing;
            detail = !fileParameters.Present ? "File Parameters" : !size.Present ? "Virtual Disk Size" : "Logical Sector Size";
            return false;
        }
        table = new VhdxMetadataTable
        {
            FileParameters = fileParameters, VirtualDiskSize = size, VirtualDiskId = id,
            LogicalSectorSize = logical, PhysicalSectorSize = physical, ParentLocator = locator,
        };
        reason = VirtualDiskErrorReason.None;
        return true;
    }

    private static bool UnknownRequired(Guid itemId, out VirtualDiskErrorReason reason, out string? detail)
    {
        reason = VirtualDiskErrorReason.VhdxMetadataUnknownRequired;
        detail = $"Item {itemId}";
        return false;
    }

    private static bool LengthIs(VhdxItemLocation item, uint length, string name, out string? detail)
    {
        detail = null;
        if (!item.Present || item.Length == length) return true;
        detail = $"{name} length {item.Length}, expected {length}";
        return false;
    }
}
