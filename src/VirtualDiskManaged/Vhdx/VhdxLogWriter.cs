using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// Writes log entries (MS-VHDX §2.3): a header sector ("loge", EntryLength, Tail, SequenceNumber, DescriptorCount,
/// LogGuid, FlushedFileOffset, LastFileOffset, CRC-32C over the whole entry), one data descriptor ("desc": the target's
/// bytes 0–7 and 4092–4095, FileOffset, SequenceNumber) per 4 KiB page, and one data sector per descriptor ("data",
/// the sequence number split around the page's bytes 8–4091). Every entry is its own tail: the writer flushes the
/// previous entry's applied pages before it writes the next (docs/write.md), so replay never needs an older entry.
/// An entry is at most a quarter of the log and never wraps: it goes right after the previous one, or at the start
/// when it does not fit, which never overwrites the previous entry (the only one a replay may need).
/// </summary>
internal sealed class VhdxLogWriter
{
    private const int Sector = VhdxLogEntryHeader.SectorSize;
    private readonly long _logOffset;
    private readonly uint _logLength;
    private uint _position;
    private ulong _sequence = 1;

    public VhdxLogWriter(long logOffset, uint logLength, Guid logGuid)
    {
        _logOffset = logOffset;
        _logLength = logLength;
        LogGuid = logGuid;
        // The header sector holds 126 descriptors (MS-VHDX §2.3.1); the entry (1 + n sectors) stays within a quarter of the log.
        MaxPagesPerEntry = (int)Math.Min(126, logLength / Sector / 4 - 1);
    }

    public Guid LogGuid { get; }

    /// <summary>Pages one entry may carry.</summary>
    public int MaxPagesPerEntry { get; }

    /// <summary>
    /// Writes <paramref name="pages"/> through the log (MS-VHDX §2.3), in entries of at most <see cref="MaxPagesPerEntry"/>
    /// pages: each entry written and flushed, then its pages applied and flushed, so every entry is its own tail and the
    /// pages of one are durable before the next is written.
    /// </summary>
    public void Commit(IBackingStore store, IReadOnlyList<(long Target, byte[] Page)> pages)
    {
        for (int start = 0; start < pages.Count; start += MaxPagesPerEntry)
        {
            var group = pages.Skip(start).Take(MaxPagesPerEntry).ToList();
            long length = store.Length;
            WriteEntry(store, group, length, length);
            store.Flush();
            foreach (var (target, page) in group) store.WriteAt(target, page);
            store.Flush();
        }
    }

    /// <summary>Writes one entry holding <paramref name="pages"/> (not flushed: the caller flushes before applying).</summary>
    public void WriteEntry(IBackingStore store, IReadOnlyList<(long Target, byte[] Page)> pages, long flushedFileOffset, long lastFileOffset)
    {
        if (pages.Count == 0 || pages.Count > MaxPagesPerEntry) throw new ArgumentOutOfRangeException(nameof(pages));
        int length = (1 + pages.Count) * Sector;
        if (_position + (long)length > _logLength) _position = 0;
        byte[] entry = new byte[length];
        var header = entry.AsSpan(0, Sector);
        BinaryPrimitives.WriteUInt32LittleEndian(header, VhdxLogEntryHeader.Signature);
        BinaryPrimitives.WriteUInt32LittleEndian(header[VhdxLogEntryHeader.EntryLengthOffset..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[VhdxLogEntryHeader.TailOffset..], _position);
        BinaryPrimitives.WriteUInt64LittleEndian(header[VhdxLogEntryHeader.SequenceNumberOffset..], _sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[VhdxLogEntryHeader.DescriptorCountOffset..], (uint)pages.Count);
        LogGuid.TryWriteBytes(header.Slice(VhdxLogEntryHeader.LogGuidOffset, 16));
        BinaryPrimitives.WriteUInt64LittleEndian(header[VhdxLogEntryHeader.FlushedFileOffsetOffset..], (ulong)flushedFileOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(header[VhdxLogEntryHeader.LastFileOffsetOffset..], (ulong)lastFileOffset);
        for (int i = 0; i < pages.Count; i++)
        {
            var (target, page) = pages[i];
            var d = header.Slice(VhdxLogEntryHeader.HeaderLength + i * VhdxLogEntryHeader.DescriptorLength, VhdxLogEntryHeader.DescriptorLength);
            BinaryPrimitives.WriteUInt32LittleEndian(d, VhdxLogDescriptor.DataSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(d[4..], BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(Sector - 4)));  // TrailingBytes
            BinaryPrimitives.WriteUInt64LittleEndian(d[8..], BinaryPrimitives.ReadUInt64LittleEndian(page));                     // LeadingBytes
            BinaryPrimitives.WriteUInt64LittleEndian(d[16..], (ulong)target);
            BinaryPrimitives.WriteUInt64LittleEndian(d[24..], _sequence);
            var data = entry.AsSpan((1 + i) * Sector, Sector);
            BinaryPrimitives.WriteUInt32LittleEndian(data, VhdxLogDescriptor.DataSectorSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(data[4..], (uint)(_sequence >> 32));
            page.AsSpan(8, Sector - 12).CopyTo(data[8..]);
            BinaryPrimitives.WriteUInt32LittleEndian(data[(Sector - 4)..], (uint)_sequence);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(header[VhdxLogEntryHeader.ChecksumOffset..], Crc32C.ComputeWithZeroedField(entry, VhdxLogEntryHeader.ChecksumOffset));
        store.WriteAt(_logOffset + _position, entry);
        _position += (uint)length;
        if (_position >= _logLength) _position = 0;
        _sequence++;
    }
}
