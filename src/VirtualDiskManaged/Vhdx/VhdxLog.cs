using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Vhdx;

/// <summary>A log entry header (MS-VHDX §2.3): the first 64 bytes of an entry's first 4 KiB sector.</summary>
internal readonly struct VhdxLogEntryHeader
{
    public const uint Signature = 0x65676F6C; // "loge"
    public const int SectorSize = 4096, HeaderLength = 64, DescriptorLength = 32;
    public const int ChecksumOffset = 4;
    internal const int EntryLengthOffset = 8, TailOffset = 12, SequenceNumberOffset = 16, DescriptorCountOffset = 24,
        ReservedOffset = 28, LogGuidOffset = 32, FlushedFileOffsetOffset = 48, LastFileOffsetOffset = 56;

    /// <summary>No file offset the log may name lies beyond this (64 TiB of payload plus metadata; keeps sums far from overflow).</summary>
    public const long MaxFileOffset = 1L << 48;

    public uint EntryLength { get; init; }
    public uint Tail { get; init; }
    public ulong SequenceNumber { get; init; }
    public uint DescriptorCount { get; init; }
    public long FlushedFileOffset { get; init; }
    public long LastFileOffset { get; init; }

    /// <summary>Sectors holding the header and the descriptors: the first holds 126 descriptors, each further one 128.</summary>
    public long DescriptorSectors => (HeaderLength + (long)DescriptorCount * DescriptorLength + SectorSize - 1) / SectorSize;

    /// <summary>The checks the first sector allows on its own (signature, lengths, sequence, GUID, descriptor area).</summary>
    public static bool TryParse(ReadOnlySpan<byte> sector, Guid logGuid, uint logLength, out VhdxLogEntryHeader header)
    {
        header = default;
        if (BinaryPrimitives.ReadUInt32LittleEndian(sector) != Signature) return false;
        if (new Guid(sector.Slice(LogGuidOffset, 16)) != logGuid) return false;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(sector[EntryLengthOffset..]);
        uint tail = BinaryPrimitives.ReadUInt32LittleEndian(sector[TailOffset..]);
        ulong sequence = BinaryPrimitives.ReadUInt64LittleEndian(sector[SequenceNumberOffset..]);
        uint descriptors = BinaryPrimitives.ReadUInt32LittleEndian(sector[DescriptorCountOffset..]);
        ulong flushed = BinaryPrimitives.ReadUInt64LittleEndian(sector[FlushedFileOffsetOffset..]);
        ulong last = BinaryPrimitives.ReadUInt64LittleEndian(sector[LastFileOffsetOffset..]);
        if (length == 0 || length % SectorSize != 0 || length > logLength) return false;
        if (tail % SectorSize != 0 || tail >= logLength || sequence == 0) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(sector[ReservedOffset..]) != 0) return false;
        if (flushed > MaxFileOffset || last > MaxFileOffset) return false;
        header = new VhdxLogEntryHeader
        {
            EntryLength = length, Tail = tail, SequenceNumber = sequence, DescriptorCount = descriptors,
            FlushedFileOffset = (long)flushed, LastFileOffset = (long)last,
        };
        return header.DescriptorSectors <= length / SectorSize;
    }
}

/// <summary>One descriptor of a log entry: a 4 KiB data sector to write, or a zero range (MS-VHDX §2.3).</summary>
internal readonly record struct VhdxLogDescriptor(bool IsData, long FileOffset, long ZeroLength, ulong LeadingBytes, uint TrailingBytes)
{
    public const uint DataSignature = 0x63736564; // "desc"
    public const uint ZeroSignature = 0x6F72657A; // "zero"
    public const uint DataSectorSignature = 0x61746164; // "data"

    /// <summary>Signature, sequence number equal to the entry's, 4 KiB alignment, bounded target.</summary>
    public static bool TryParse(ReadOnlySpan<byte> d, ulong sequence, out VhdxLogDescriptor descriptor)
    {
        descriptor = default;
        uint signature = BinaryPrimitives.ReadUInt32LittleEndian(d);
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(d[16..]);
        if (BinaryPrimitives.ReadUInt64LittleEndian(d[24..]) != sequence) return false;
        if (offset % VhdxLogEntryHeader.SectorSize != 0 || offset > VhdxLogEntryHeader.MaxFileOffset) return false;
        if (signature == ZeroSignature)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(d[8..]);
            if (BinaryPrimitives.ReadUInt32LittleEndian(d[4..]) != 0) return false;
            if (length % VhdxLogEntryHeader.SectorSize != 0 || length > VhdxLogEntryHeader.MaxFileOffset - offset) return false;
            descriptor = new(false, (long)offset, (long)length, 0, 0);
            return true;
        }
        if (signature != DataSignature) return false;
        descriptor = new(true, (long)offset, 0, BinaryPrimitives.ReadUInt64LittleEndian(d[8..]), BinaryPrimitives.ReadUInt32LittleEndian(d[4..]));
        return true;
    }

    /// <summary>A data sector: "data", then the sequence number split around the 4084 payload bytes.</summary>
    public static bool IsValidDataSector(ReadOnlySpan<byte> sector, ulong sequence) =>
        BinaryPrimitives.ReadUInt32LittleEndian(sector) == DataSectorSignature
        && BinaryPrimitives.ReadUInt32LittleEndian(sector[4..]) == (uint)(sequence >> 32)
        && BinaryPrimitives.ReadUInt32LittleEndian(sector[4092..]) == (uint)sequence;
}

/// <summary>
/// Reads the log (MS-VHDX §2.3): finds the active sequence and turns it into a <see cref="VhdxLogOverlay"/>.
/// Everything is bounded by the log length: at most LogLength / 4096 entry positions, each validated once.
/// </summary>
internal sealed class VhdxLog
{
    private sealed class Entry
    {
        public required uint Position { get; init; }
        public required VhdxLogEntryHeader Header { get; init; }
        public required List<(VhdxLogDescriptor Descriptor, long DataSectorFileOffset)> Descriptors { get; init; }
    }

    private readonly FileView _file;
    private readonly long _logOffset;
    private readonly uint _logLength;
    private readonly Guid _logGuid;
    private readonly Dictionary<uint, Entry?> _validated = [];

    private VhdxLog(FileView file, long logOffset, uint logLength, Guid logGuid)
    {
        _file = file;
        _logOffset = logOffset;
        _logLength = logLength;
        _logGuid = logGuid;
    }

    /// <summary>
    /// Replays the log of <paramref name="header"/> into memory. Returns null with <paramref name="overlay"/> null when
    /// there is nothing to replay (warning when the LogGuid is set without a valid sequence), or a failure.
    /// </summary>
    public static VirtualDiskDiagnostic? Replay(FileView file, in VhdxHeader header, List<VirtualDiskDiagnostic> warnings, out VhdxLogOverlay? overlay)
    {
        overlay = null;
        if (header.LogGuid == Guid.Empty) return null; // MS-VHDX §2.2.2: no valid log
        long logOffset = (long)header.LogOffset;
        if (header.LogLength == 0)
        {
            warnings.Add(new(VirtualDiskErrorReason.VhdxLogGuidWithoutEntries, file.Path, "LogLength is 0"));
            return null;
        }
        if (logOffset > file.Length - header.LogLength)
            return new(VirtualDiskErrorReason.VhdxLogCorrupt, file.Path,
                $"The log ({Counted.Of(header.LogLength, "byte")} at {logOffset}) extends beyond the end of the file ({Counted.Of(file.Length, "byte")})", logOffset);

        var log = new VhdxLog(file, logOffset, header.LogLength, header.LogGuid);
        var sequence = log.FindActiveSequence();
        if (sequence is null)
        {
            warnings.Add(new(VirtualDiskErrorReason.VhdxLogGuidWithoutEntries, file.Path, $"LogGuid {header.LogGuid}", logOffset));
            return null;
        }
        var head = sequence[^1].Header;
        // MS-VHDX §2.3, log replay, first step: the file must be at least as long as it was when the head entry was written.
        if (file.Length < head.FlushedFileOffset)
            return new(VirtualDiskErrorReason.VhdxLogFileTruncated, file.Path,
                $"The log's FlushedFileOffset is {head.FlushedFileOffset}; the file is {Counted.Of(file.Length, "byte")}", logOffset + sequence[^1].Position);

        var builder = new VhdxLogOverlay.Builder(file, Math.Max(file.Length, head.LastFileOffset));
        int applied = 0;
        foreach (var entry in sequence)
        {
            foreach (var (d, dataAt) in entry.Descriptors)
            {
                long length = d.IsData ? VhdxLogEntryHeader.SectorSize : d.ZeroLength;
                // The log updates only the BAT, metadata and region tables: never the identifier and headers, nor the log itself.
                if (d.FileOffset < VhdxConstants.RegionTable1Offset || (length > 0 && d.FileOffset < logOffset + header.LogLength && logOffset < d.FileOffset + length))
                    return new(VirtualDiskErrorReason.VhdxLogCorrupt, file.Path,
                        $"Entry {entry.Header.SequenceNumber} writes {Counted.Of(length, "byte")} at {d.FileOffset}, inside the header section or the log", logOffset + entry.Position);
                if (d.IsData) builder.AddData(d.FileOffset, dataAt, d.LeadingBytes, d.TrailingBytes);
                else builder.AddZero(d.FileOffset, d.ZeroLength);
                applied++;
            }
        }
        if (applied == 0)
        {
            // VHDX quirk 3 (docs/decisions.md): a sequence without descriptors has nothing to replay (DiscUtils treats it as clean).
            warnings.Add(new(VirtualDiskErrorReason.VhdxLogGuidWithoutEntries, file.Path, "The active log sequence has no descriptors", logOffset));
            return null;
        }
        overlay = builder.Build();
        warnings.Add(new(VirtualDiskErrorReason.VhdxLogReplayed, file.Path,
            $"{Counted.Of(sequence.Count, "entry", "entries")}, {Counted.Of(applied, "descriptor")}, sequence {sequence[0].Header.SequenceNumber}..{head.SequenceNumber}", logOffset));
        return null;
    }

    /// <summary>
    /// MS-VHDX §2.3: scan every 4 KiB position; from each valid entry follow the entries that come right after it with
    /// sequence numbers increasing by one; a run counts when its head's Tail is one of its entries; the active sequence
    /// is the counting run with the greatest head sequence number, from its tail entry to its head.
    /// </summary>
    private List<Entry>? FindActiveSequence()
    {
        List<Entry>? best = null;
        FindCandidates();
        var run = new List<Entry>();
        // A position already reached by following an earlier run starts only a suffix of that run (same head, same
        // tail test): skipping it keeps the scan linear in the number of entries.
        var followed = new HashSet<uint>();
        foreach (uint position in _candidates!.Order())
        {
            if (followed.Contains(position)) continue;
            var start = Validate(position);
            if (start is null) continue;
            run.Clear();
            run.Add(start);
            long covered = start.Header.EntryLength;
            var previous = start;
            while (covered < _logLength)
            {
                uint next = (uint)((previous.Position + (long)previous.Header.EntryLength) % _logLength);
                var entry = Validate(next);
                if (entry is null || entry.Header.SequenceNumber != previous.Header.SequenceNumber + 1) break;
                run.Add(entry);
                followed.Add(next);
                covered += entry.Header.EntryLength;
                previous = entry;
            }
            var head = run[^1];
            int tailIndex = run.FindIndex(e => e.Position == head.Header.Tail);
            if (tailIndex < 0) continue;
            if (best is null || head.Header.SequenceNumber > best[^1].Header.SequenceNumber)
                best = run.GetRange(tailIndex, run.Count - tailIndex);
        }
        return best;
    }

    private HashSet<uint>? _candidates;

    /// <summary>
    /// One pass over the log in 64 KiB reads: the 4 KiB positions that start with "loge" and carry the LogGuid. Only
    /// these can start an entry, so the scan costs LogLength / 64 KiB reads instead of one read per sector.
    /// </summary>
    private void FindCandidates()
    {
        _candidates = [];
        const int Chunk = 64 * 1024;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            for (uint at = 0; at < _logLength; at += Chunk)
            {
                int n = (int)Math.Min(Chunk, _logLength - at);
                if (!_file.TryReadExactlyAt(_logOffset + at, buffer.AsSpan(0, n))) break;
                for (int s = 0; s + VhdxLogEntryHeader.SectorSize <= n; s += VhdxLogEntryHeader.SectorSize)
                    if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(s)) == VhdxLogEntryHeader.Signature
                        && new Guid(buffer.AsSpan(s + 32, 16)) == _logGuid)
                        _candidates.Add(at + (uint)s);
            }
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>Validates the entry at <paramref name="position"/> (once; the result is remembered).</summary>
    private Entry? Validate(uint position)
    {
        if (_candidates is not null && !_candidates.Contains(position)) return null;
        if (_validated.TryGetValue(position, out var known)) return known;
        var entry = ValidateCore(position);
        _validated[position] = entry;
        return entry;
    }

    private Entry? ValidateCore(uint position)
    {
        Span<byte> sector = stackalloc byte[VhdxLogEntryHeader.SectorSize];
        if (!_file.TryReadExactlyAt(_logOffset + position, sector)) return null;
        if (!VhdxLogEntryHeader.TryParse(sector, _logGuid, _logLength, out var header)) return null;

        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(sector[VhdxLogEntryHeader.ChecksumOffset..]);
        uint crc = 0xFFFFFFFFu;
        crc = Crc32C.Update(crc, sector[..VhdxLogEntryHeader.ChecksumOffset]);
        crc = Crc32C.Update(crc, stackalloc byte[4]);
        crc = Crc32C.Update(crc, sector[(VhdxLogEntryHeader.ChecksumOffset + 4)..]);

        long entrySectors = header.EntryLength / VhdxLogEntryHeader.SectorSize;
        long descriptorSectors = header.DescriptorSectors;
        var descriptors = new List<(VhdxLogDescriptor, long)>((int)Math.Min(header.DescriptorCount, 4096));
        int dataIndex = 0;
        var dataDescriptors = new List<int>();
        for (long k = 0; k < entrySectors; k++)
        {
            long logPosition = (position + k * VhdxLogEntryHeader.SectorSize) % _logLength;
            if (k > 0)
            {
                if (!_file.TryReadExactlyAt(_logOffset + logPosition, sector)) return null;
                crc = Crc32C.Update(crc, sector);
            }
            if (k < descriptorSectors)
            {
                int firstInSector = k == 0 ? 0 : (int)(126 + (k - 1) * 128);
                int offsetInSector = k == 0 ? VhdxLogEntryHeader.HeaderLength : 0;
                for (int i = firstInSector; i < header.DescriptorCount && offsetInSector + VhdxLogEntryHeader.DescriptorLength <= VhdxLogEntryHeader.SectorSize;
                     i++, offsetInSector += VhdxLogEntryHeader.DescriptorLength)
                {
                    if (!VhdxLogDescriptor.TryParse(sector.Slice(offsetInSector, VhdxLogEntryHeader.DescriptorLength), header.SequenceNumber, out var d)) return null;
                    if (d.IsData) dataDescriptors.Add(descriptors.Count);
                    descriptors.Add((d, -1));
                }
                if (k == descriptorSectors - 1 && descriptorSectors + dataDescriptors.Count > entrySectors) return null; // data sectors must fit
            }
            else if (dataIndex < dataDescriptors.Count)
            {
                if (!VhdxLogDescriptor.IsValidDataSector(sector, header.SequenceNumber)) return null;
                int at = dataDescriptors[dataIndex++];
                descriptors[at] = (descriptors[at].Item1, _logOffset + logPosition);
            }
        }
        if (~crc != storedCrc) return null;
        return new Entry { Position = position, Header = header, Descriptors = descriptors };
    }
}
