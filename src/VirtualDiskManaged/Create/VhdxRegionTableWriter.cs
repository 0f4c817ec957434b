using System.Buffers.Binary;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged.Create;

/// <summary>
/// A 64 KiB region table (MS-VHDX §2.2.3): header "regi", CRC-32C over the whole 64 KiB, and the BAT and metadata
/// entries, BAT first, both with Required set (§2.2.3.2), as Windows writes them. Both copies are byte-identical.
/// </summary>
internal static class VhdxRegionTableWriter
{
    private const int ChecksumOffset = 4, EntryCountOffset = 8, HeaderLength = 16, EntryLength = 32,
        EntryFileOffsetOffset = 16, EntryLengthOffset = 24, EntryRequiredOffset = 28;
    private const uint Required = 1;

    public static void Write(Span<byte> data, VhdxRegion bat, VhdxRegion metadata)
    {
        data = data[..VhdxConstants.RegionTableSize];
        data.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(data, VhdxRegionTable.Signature);
        BinaryPrimitives.WriteUInt32LittleEndian(data[EntryCountOffset..], 2);
        WriteEntry(data.Slice(HeaderLength, EntryLength), VhdxConstants.BatRegion, bat);
        WriteEntry(data.Slice(HeaderLength + EntryLength, EntryLength), VhdxConstants.MetadataRegion, metadata);
        BinaryPrimitives.WriteUInt32LittleEndian(data[ChecksumOffset..], Crc32C.ComputeWithZeroedField(data, ChecksumOffset));
    }

    private static void WriteEntry(Span<byte> entry, Guid guid, VhdxRegion region)
    {
        guid.TryWriteBytes(entry[..16]);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[EntryFileOffsetOffset..], (ulong)region.FileOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[EntryLengthOffset..], (uint)region.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[EntryRequiredOffset..], Required);
    }
}
