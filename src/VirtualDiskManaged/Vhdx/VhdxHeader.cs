using System.Buffers.Binary;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Vhdx;

/// <summary>One of the two 4 KiB headers at 64 KiB and 128 KiB (MS-VHDX §2.2.2).</summary>
internal readonly struct VhdxHeader
{
    public const uint Signature = 0x64616568; // "head"
    private const int SignatureOffset = 0, ChecksumOffset = 4, SequenceNumberOffset = 8, FileWriteGuidOffset = 16,
        DataWriteGuidOffset = 32, LogGuidOffset = 48, LogVersionOffset = 64, VersionOffset = 66, LogLengthOffset = 68,
        LogOffsetOffset = 72;

    /// <summary>The bytes that carry meaning (the rest of the 4 KiB is reserved but checksummed).</summary>
    public const int DefinedLength = 80;

    public ulong SequenceNumber { get; init; }
    public Guid FileWriteGuid { get; init; }
    public Guid DataWriteGuid { get; init; }
    public Guid LogGuid { get; init; }
    public ushort LogVersion { get; init; }
    public ushort Version { get; init; }
    public uint LogLength { get; init; }
    public ulong LogOffset { get; init; }

    /// <summary>
    /// Parses a header. Valid means signature and CRC-32C over all 4096 bytes with the checksum zeroed (VHDX rule 2, docs/open-path.md §8.2;
    /// MS-VHDX §2.2.2); version and log fields are checked on the current header only (<see cref="CheckCurrent"/>).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out VhdxHeader header, out VirtualDiskErrorReason reason)
    {
        header = default;
        reason = VirtualDiskErrorReason.VhdxHeaderInvalid;
        if (data.Length < VhdxConstants.HeaderSize) return false;
        data = data[..VhdxConstants.HeaderSize];
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[SignatureOffset..]) != Signature) return false;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data[ChecksumOffset..]);
        if (Crc32C.ComputeWithZeroedField(data, ChecksumOffset) != stored) return false;
        header = new VhdxHeader
        {
            SequenceNumber = BinaryPrimitives.ReadUInt64LittleEndian(data[SequenceNumberOffset..]),
            FileWriteGuid = new Guid(data.Slice(FileWriteGuidOffset, 16)),
            DataWriteGuid = new Guid(data.Slice(DataWriteGuidOffset, 16)),
            LogGuid = new Guid(data.Slice(LogGuidOffset, 16)),
            LogVersion = BinaryPrimitives.ReadUInt16LittleEndian(data[LogVersionOffset..]),
            Version = BinaryPrimitives.ReadUInt16LittleEndian(data[VersionOffset..]),
            LogLength = BinaryPrimitives.ReadUInt32LittleEndian(data[LogLengthOffset..]),
            LogOffset = BinaryPrimitives.ReadUInt64LittleEndian(data[LogOffsetOffset..]),
        };
        reason = VirtualDiskErrorReason.None;
        return true;
    }

    /// <summary>
    /// Serialises this header into a 4 KiB sector (MS-VHDX §2.2.2): signature, fields, reserved bytes zero, and the
    /// CRC-32C over all 4096 bytes computed with the checksum field zero.
    /// </summary>
    public void WriteTo(Span<byte> sector)
    {
        sector = sector[..VhdxConstants.HeaderSize];
        sector.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(sector[SignatureOffset..], Signature);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[SequenceNumberOffset..], SequenceNumber);
        FileWriteGuid.TryWriteBytes(sector.Slice(FileWriteGuidOffset, 16));
        DataWriteGuid.TryWriteBytes(sector.Slice(DataWriteGuidOffset, 16));
        LogGuid.TryWriteBytes(sector.Slice(LogGuidOffset, 16));
        BinaryPrimitives.WriteUInt16LittleEndian(sector[LogVersionOffset..], LogVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(sector[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[LogLengthOffset..], LogLength);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[LogOffsetOffset..], LogOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[ChecksumOffset..], Crc32C.ComputeWithZeroedField(sector, ChecksumOffset));
    }

    /// <summary>Rules for the header in use: version 1 (VHDX rule 3, docs/open-path.md §8.2), log version 0 (VHDX rule 4), log placement (VHDX rules 6, 7).</summary>
    public VirtualDiskErrorReason CheckCurrent(out string? detail)
    {
        detail = null;
        if (Version != 1) { detail = $"Version {Version}"; return VirtualDiskErrorReason.VhdxHeaderVersionUnsupported; }
        if (LogVersion != 0) { detail = $"LogVersion {LogVersion}"; return VirtualDiskErrorReason.VhdxLogVersionUnsupported; }
        // MS-VHDX §2.2.2: LogLength a multiple of 1 MiB; LogOffset a multiple of 1 MiB and at least 1 MiB (qemu checks even an empty log).
        if (LogLength % VhdxConstants.MiB != 0 || LogOffset % VhdxConstants.MiB != 0 || LogOffset < VhdxConstants.MiB
            || LogOffset > long.MaxValue - VhdxConstants.MiB * 4096L)
        {
            detail = $"LogOffset {LogOffset}, LogLength {LogLength}";
            return VirtualDiskErrorReason.VhdxLogLocationInvalid;
        }
        return VirtualDiskErrorReason.None;
    }

    /// <summary>
    /// MS-VHDX §2.2.2: the current header is the only valid one, or the valid one with the greater sequence number.
    /// Equal sequence numbers: accepted only when the defined bytes are identical (Disk2vhd: VHDX quirk 1, docs/decisions.md), warning.
    /// Returns 1 or 2 (the header to use) or 0 with the failure reason.
    /// </summary>
    public static int SelectCurrent(bool valid1, in VhdxHeader h1, ReadOnlySpan<byte> raw1, bool valid2, in VhdxHeader h2,
        ReadOnlySpan<byte> raw2, out VirtualDiskErrorReason reason)
    {
        reason = VirtualDiskErrorReason.None;
        if (!valid1 && !valid2) { reason = VirtualDiskErrorReason.VhdxHeadersInvalid; return 0; }
        if (!valid2) return 1;
        if (!valid1) return 2;
        if (h1.SequenceNumber > h2.SequenceNumber) return 1;
        if (h2.SequenceNumber > h1.SequenceNumber) return 2;
        // The checksums are equal when the whole 4 KiB is; comparing the defined part is what qemu does.
        if (raw1[..DefinedLength].SequenceEqual(raw2[..DefinedLength])) { reason = VirtualDiskErrorReason.VhdxHeadersIdentical; return 1; }
        reason = VirtualDiskErrorReason.VhdxHeaderSequenceTie;
        return 0;
    }
}
