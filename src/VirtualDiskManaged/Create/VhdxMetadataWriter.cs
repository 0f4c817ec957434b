using System.Buffers.Binary;
using System.Globalization;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged.Create;

/// <summary>The parent locator's key/value pairs (MS-VHDX §2.6.2.6.3).</summary>
internal sealed record VhdxLocatorValues(Guid ParentLinkage, string? RelativePath, string? VolumePath, string? AbsoluteWin32Path, Guid? ParentLinkage2 = null);

/// <summary>
/// The metadata region's first 64 KiB table and its items (MS-VHDX §2.6.1, §2.6.2), in the order and at the offsets
/// Windows writes: File Parameters at +64 KiB, Virtual Disk Size, Logical Sector Size, Physical Sector Size, Page 83
/// (Virtual Disk ID), then for a differencing disk the parent locator. Flags as Windows: File Parameters and the parent
/// locator IsRequired; the four disk items IsRequired | IsVirtualDisk (MS-VHDX §2.6.1.2).
/// </summary>
internal static class VhdxMetadataWriter
{
    private const int EntryCountOffset = 10, HeaderLength = 32, EntryLength = 32, ItemOffsetOffset = 16, ItemLengthOffset = 20, FlagsOffset = 24;
    private const uint IsVirtualDisk = 2, IsRequired = 4;
    private const int FirstItem = VhdxConstants.MetadataTableSize;

    /// <summary>Writes the table and items into <paramref name="region"/> (at least 64 KiB + the items); returns the bytes used.</summary>
    public static int Write(Span<byte> region, uint blockSize, bool leaveBlockAllocated, bool hasParent, long virtualSize,
        int logicalSectorSize, int physicalSectorSize, Guid virtualDiskId, VhdxLocatorValues? locator)
    {
        region.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(region, VhdxMetadataTable.Signature);
        int count = 0, offset = FirstItem;

        // §2.6.2.1 File Parameters: BlockSize, then bit 0 LeaveBlockAllocated (fixed), bit 1 HasParent (differencing).
        var item = Item(region, ref count, ref offset, VhdxConstants.FileParametersItem, VhdxFileParameters.Length, IsRequired);
        BinaryPrimitives.WriteUInt32LittleEndian(item, blockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(item[4..], (leaveBlockAllocated ? 1u : 0u) | (hasParent ? 2u : 0u));
        // §2.6.2.2 Virtual Disk Size.
        item = Item(region, ref count, ref offset, VhdxConstants.VirtualDiskSizeItem, 8, IsRequired | IsVirtualDisk);
        BinaryPrimitives.WriteUInt64LittleEndian(item, (ulong)virtualSize);
        // §2.6.2.4 Logical Sector Size, §2.6.2.5 Physical Sector Size.
        item = Item(region, ref count, ref offset, VhdxConstants.LogicalSectorSizeItem, 4, IsRequired | IsVirtualDisk);
        BinaryPrimitives.WriteUInt32LittleEndian(item, (uint)logicalSectorSize);
        item = Item(region, ref count, ref offset, VhdxConstants.PhysicalSectorSizeItem, 4, IsRequired | IsVirtualDisk);
        BinaryPrimitives.WriteUInt32LittleEndian(item, (uint)physicalSectorSize);
        // §2.6.2.3 Page 83 Data (Virtual Disk ID).
        item = Item(region, ref count, ref offset, VhdxConstants.VirtualDiskIdItem, 16, IsRequired | IsVirtualDisk);
        virtualDiskId.TryWriteBytes(item);
        if (locator is not null)
        {
            byte[] bytes = BuildParentLocator(locator);
            item = Item(region, ref count, ref offset, VhdxConstants.ParentLocatorItem, bytes.Length, IsRequired);
            bytes.CopyTo(item);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(region[EntryCountOffset..], (ushort)count);
        return offset;
    }

    private static Span<byte> Item(Span<byte> region, ref int count, ref int offset, Guid id, int length, uint flags)
    {
        var entry = region.Slice(HeaderLength + count * EntryLength, EntryLength);
        id.TryWriteBytes(entry[..16]);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[ItemOffsetOffset..], (uint)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[ItemLengthOffset..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[FlagsOffset..], flags);
        var item = region.Slice(offset, length);
        count++;
        offset += length;
        return item;
    }

    /// <summary>
    /// §2.6.2.6: locator type (the VHDX parent locator GUID), reserved, key/value count, the 12-byte entries, then the
    /// UTF-16 LE keys and values (no terminators). §2.6.2.6.3: parent_linkage is the parent's DataWriteGuid as a
    /// lowercase brace-enclosed GUID string; the paths are relative_path, volume_path and absolute_win32_path.
    /// </summary>
    public static byte[] BuildParentLocator(VhdxLocatorValues values)
    {
        var pairs = new List<(string Key, string Value)> { ("parent_linkage", values.ParentLinkage.ToString("B", CultureInfo.InvariantCulture).ToLowerInvariant()) };
        if (values.ParentLinkage2 is { } linkage2) pairs.Add(("parent_linkage2", linkage2.ToString("B", CultureInfo.InvariantCulture).ToLowerInvariant()));
        if (values.RelativePath is { Length: > 0 } r) pairs.Add(("relative_path", r));
        if (values.VolumePath is { Length: > 0 } v) pairs.Add(("volume_path", v));
        if (values.AbsoluteWin32Path is { Length: > 0 } a) pairs.Add(("absolute_win32_path", a));
        int length = VhdxParentLocator.HeaderLength + pairs.Count * 12;
        foreach (var (k, val) in pairs) length += 2 * (k.Length + val.Length);
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        VhdxConstants.VhdxParentLocatorType.TryWriteBytes(span[..16]);
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], (ushort)pairs.Count);
        int position = VhdxParentLocator.HeaderLength + pairs.Count * 12;
        for (int i = 0; i < pairs.Count; i++)
        {
            var entry = span.Slice(VhdxParentLocator.HeaderLength + i * 12, 12);
            var (key, value) = pairs[i];
            BinaryPrimitives.WriteUInt32LittleEndian(entry, (uint)position);
            position = WriteUtf16(span, position, key);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], (uint)position);
            position = WriteUtf16(span, position, value);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)(2 * key.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(entry[10..], (ushort)(2 * value.Length));
        }
        return bytes;
    }

    private static int WriteUtf16(Span<byte> span, int position, string text)
    {
        foreach (char c in text)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[position..], c);
            position += 2;
        }
        return position;
    }
}
