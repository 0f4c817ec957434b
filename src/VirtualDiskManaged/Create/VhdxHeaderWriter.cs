using System.Buffers.Binary;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged.Create;

/// <summary>
/// The file type identifier (MS-VHDX §2.2.1) and the two headers (MS-VHDX §2.2.2) of a new VHDX. Field offsets are
/// those the reader parses (<see cref="VhdxHeader"/>, <see cref="VhdxFileIdentifier"/>).
/// </summary>
internal static class VhdxHeaderWriter
{
    private const int SignatureOffset = 0, ChecksumOffset = 4, SequenceNumberOffset = 8, FileWriteGuidOffset = 16,
        DataWriteGuidOffset = 32, LogGuidOffset = 48, LogVersionOffset = 64, VersionOffset = 66, LogLengthOffset = 68,
        LogOffsetOffset = 72;

    /// <summary>The creator string: this library and its version (MS-VHDX §2.2.1: diagnostic only).</summary>
    public static string Creator
    {
        get
        {
            var v = typeof(VhdxHeaderWriter).Assembly.GetName().Version;
            return "VirtualDiskManaged " + (v is null ? "0.0.0" : v.ToString(3));
        }
    }

    /// <summary>"vhdxfile" and the creator as UTF-16 LE (at most 256 units, NUL-terminated when shorter).</summary>
    public static void WriteFileIdentifier(Span<byte> data)
    {
        data = data[..VhdxFileIdentifier.Size];
        data.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(data, VhdxFileIdentifier.Signature);
        string creator = Creator;
        for (int i = 0; i < creator.Length && i < VhdxFileIdentifier.CreatorLength / 2 - 1; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(data[(VhdxFileIdentifier.CreatorOffset + 2 * i)..], creator[i]);
    }

    /// <summary>
    /// One 4 KiB header: LogGuid zero (no log entries to replay), LogVersion 0, Version 1, the log's place, and the
    /// CRC-32C over all 4096 bytes with the checksum field zero (§2.2.2). Reserved bytes stay zero.
    /// </summary>
    public static void WriteHeader(Span<byte> data, ulong sequenceNumber, Guid fileWriteGuid, Guid dataWriteGuid, long logOffset, uint logLength)
    {
        data = data[..VhdxConstants.HeaderSize];
        data.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(data[SignatureOffset..], VhdxHeader.Signature);
        BinaryPrimitives.WriteUInt64LittleEndian(data[SequenceNumberOffset..], sequenceNumber);
        fileWriteGuid.TryWriteBytes(data.Slice(FileWriteGuidOffset, 16));
        dataWriteGuid.TryWriteBytes(data.Slice(DataWriteGuidOffset, 16));
        Guid.Empty.TryWriteBytes(data.Slice(LogGuidOffset, 16));
        BinaryPrimitives.WriteUInt16LittleEndian(data[LogVersionOffset..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(data[VersionOffset..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(data[LogLengthOffset..], logLength);
        BinaryPrimitives.WriteUInt64LittleEndian(data[LogOffsetOffset..], (ulong)logOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(data[ChecksumOffset..], Crc32C.ComputeWithZeroedField(data, ChecksumOffset));
    }
}
