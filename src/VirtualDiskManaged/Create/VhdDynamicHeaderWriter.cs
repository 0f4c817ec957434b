using System.Buffers.Binary;
using System.Text;
using VirtualDiskManaged.Vhd;

namespace VirtualDiskManaged.Create;

/// <summary>One parent locator to write: platform code, the data, and the space reserved for it in the file.</summary>
internal readonly record struct VhdLocatorData(uint PlatformCode, byte[] Data, long Offset, int Space);

/// <summary>
/// Builds the 1024-byte dynamic disk header (VHD spec "Dynamic Disk Header Format") with the reader's field offsets
/// (<see cref="VhdDynamicHeader"/>, <see cref="VhdParentLocatorEntry"/>).
/// </summary>
internal static class VhdDynamicHeaderWriter
{
    public static void Write(Span<byte> header, long tableOffset, uint maxTableEntries, uint blockSize,
        Guid parentUniqueId, uint parentTimeStamp, string? parentName, IReadOnlyList<VhdLocatorData> locators)
    {
        header = header[..VhdDynamicHeader.Size];
        header.Clear();
        VhdDynamicHeader.Cookie.CopyTo(header);
        // Data Offset is unused and "should be set to 0xFFFFFFFF" — all 64 bits, as Windows writes.
        BinaryPrimitives.WriteUInt64BigEndian(header[VhdDynamicHeader.DataOffsetOffset..], ulong.MaxValue);
        BinaryPrimitives.WriteUInt64BigEndian(header[VhdDynamicHeader.TableOffsetOffset..], (ulong)tableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[VhdDynamicHeader.HeaderVersionOffset..], VhdDynamicHeader.SupportedVersion);
        BinaryPrimitives.WriteUInt32BigEndian(header[VhdDynamicHeader.MaxTableEntriesOffset..], maxTableEntries);
        BinaryPrimitives.WriteUInt32BigEndian(header[VhdDynamicHeader.BlockSizeOffset..], blockSize);
        if (parentName is not null)
        {
            parentUniqueId.TryWriteBytes(header.Slice(VhdDynamicHeader.ParentUniqueIdOffset, 16), bigEndian: true, out _);
            BinaryPrimitives.WriteUInt32BigEndian(header[VhdDynamicHeader.ParentTimeStampOffset..], parentTimeStamp);
            // Parent Unicode Name: UTF-16 big-endian, at most 256 code units, zero padded.
            var nameField = header.Slice(VhdDynamicHeader.ParentUnicodeNameOffset, VhdDynamicHeader.ParentUnicodeNameLength);
            Encoding.BigEndianUnicode.GetBytes(parentName.AsSpan(0, Math.Min(parentName.Length, VhdDynamicHeader.ParentUnicodeNameLength / 2)), nameField);
        }
        for (int i = 0; i < locators.Count && i < VhdDynamicHeader.ParentLocatorCount; i++)
        {
            var entry = header.Slice(VhdDynamicHeader.ParentLocatorsOffset + i * VhdParentLocatorEntry.Size, VhdParentLocatorEntry.Size);
            var l = locators[i];
            BinaryPrimitives.WriteUInt32BigEndian(entry[VhdParentLocatorEntry.PlatformCodeOffset..], l.PlatformCode);
            // Platform Data Space: the spec says sectors; Windows (and Virtual PC) store the byte count, as written here.
            BinaryPrimitives.WriteUInt32BigEndian(entry[VhdParentLocatorEntry.PlatformDataSpaceOffset..], (uint)l.Space);
            BinaryPrimitives.WriteUInt32BigEndian(entry[VhdParentLocatorEntry.PlatformDataLengthOffset..], (uint)l.Data.Length);
            BinaryPrimitives.WriteUInt64BigEndian(entry[VhdParentLocatorEntry.PlatformDataOffsetOffset..], (ulong)l.Offset);
        }
        BinaryPrimitives.WriteUInt32BigEndian(header[VhdDynamicHeader.ChecksumOffset..], VhdChecksum.Compute(header, VhdDynamicHeader.ChecksumOffset));
    }
}
