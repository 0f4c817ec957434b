using System.Buffers.Binary;
using VirtualDiskManaged.Vhd;

namespace VirtualDiskManaged.Create;

/// <summary>
/// Builds the 512-byte hard disk footer (VHD spec "Hard Disk Footer Format"), with the field offsets the reader uses
/// (<see cref="VhdFooter"/>). What is written is what Windows writes (docs/create.md): creator application "win ",
/// creator version 10.0, host "Wi2k", original size = current size = the requested size exactly, and the geometry
/// of the spec's appendix "CHS Calculation" from that size. "win " also makes qemu size the disk by Current Size rather
/// than by CHS (which would round it down).
/// </summary>
internal static class VhdFooterWriter
{
    /// <summary>"win ": the creator application Windows writes.</summary>
    public const uint CreatorApplication = 0x7769_6E20;
    /// <summary>Creator version 10.0 (major in the high 16 bits), as Windows 10 and later write.</summary>
    public const uint CreatorVersion = 0x000A_0000;
    /// <summary>"Wi2k": the Windows host OS code.</summary>
    public const uint CreatorHostOs = 0x5769_326B;

    /// <summary>Seconds since 2000-01-01 00:00:00 UTC (the spec's time stamp epoch), clamped to 32 bits.</summary>
    public static uint TimeStamp(DateTimeOffset when)
    {
        double s = (when - VhdFooter.VhdEpoch).TotalSeconds;
        return s <= 0 ? 0 : s >= uint.MaxValue ? uint.MaxValue : (uint)s;
    }

    public static void Write(Span<byte> footer, VhdDiskType type, long size, Guid uniqueId, uint timeStamp)
    {
        footer = footer[..VhdFooter.Size];
        footer.Clear();
        VhdFooter.Cookie.CopyTo(footer);
        // Features: bit 1 is reserved and must be set; not a temporary disk.
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.FeaturesOffset..], VhdFooter.FeatureReserved);
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.FormatVersionOffset..], VhdFooter.SupportedVersion);
        // Data Offset: the dynamic header right after the footer copy; fixed disks have none (all 64 bits set).
        ulong dataOffset = type == VhdDiskType.Fixed ? VhdFooter.NoDataOffset : VhdFooter.Size;
        BinaryPrimitives.WriteUInt64BigEndian(footer[VhdFooter.DataOffsetOffset..], dataOffset);
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.TimeStampOffset..], timeStamp);
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.CreatorApplicationOffset..], CreatorApplication);
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.CreatorVersionOffset..], CreatorVersion);
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.CreatorHostOsOffset..], CreatorHostOs);
        BinaryPrimitives.WriteUInt64BigEndian(footer[VhdFooter.OriginalSizeOffset..], (ulong)size);
        BinaryPrimitives.WriteUInt64BigEndian(footer[VhdFooter.CurrentSizeOffset..], (ulong)size);
        var geometry = VhdGeometry.FromSize(size);
        BinaryPrimitives.WriteUInt16BigEndian(footer[VhdFooter.CylindersOffset..], (ushort)geometry.Cylinders);
        footer[VhdFooter.HeadsOffset] = (byte)geometry.Heads;
        footer[VhdFooter.SectorsPerTrackOffset] = (byte)geometry.SectorsPerTrack;
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.DiskTypeOffset..], (uint)type);
        // The reader takes the id in RFC 4122 (big-endian) order, so the same order round-trips the caller's GUID.
        uniqueId.TryWriteBytes(footer.Slice(VhdFooter.UniqueIdOffset, 16), bigEndian: true, out _);
        footer[VhdFooter.SavedStateOffset] = 0;
        // Checksum: one's complement of the byte sum with the field itself zero ("Hard Disk Footer Format").
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.ChecksumOffset..], VhdChecksum.Compute(footer, VhdFooter.ChecksumOffset));
    }
}
