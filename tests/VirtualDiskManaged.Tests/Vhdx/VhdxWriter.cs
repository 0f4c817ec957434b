using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>Where a differencing VHDX's parent is and who it is (the parent locator item, MS-VHDX 2.6.2.6).</summary>
/// <param name="Linkage">parent_linkage: the parent's DataWriteGuid.</param>
/// <param name="RelativePath">relative_path, or null to leave the key out.</param>
/// <param name="AbsolutePath">absolute_win32_path, or null.</param>
/// <param name="VolumePath">volume_path, or null.</param>
/// <param name="Linkage2">parent_linkage2, or null.</param>
internal sealed record VhdxParentSpec(Guid Linkage, string? RelativePath, string? AbsolutePath = null, string? VolumePath = null, Guid? Linkage2 = null);

/// <summary>
/// Writes small VHDX files from the MS-VHDX specification (not from this library's code): file type identifier,
/// two headers, two region tables, metadata (file parameters, size, virtual disk id, sector sizes, parent locator),
/// the BAT with interleaved sector bitmap entries, payload and sector bitmap blocks, and optionally a pending log.
/// Layout: log at 1 MiB (1 MiB), metadata region at 2 MiB (1 MiB), BAT at 3 MiB, then payload blocks, then sector
/// bitmap blocks. Tests that need broken files build a good one and patch it (<see cref="FixChecksums"/> re-seals
/// headers and region tables after a patch).
/// </summary>
internal sealed class VhdxWriter
{
    public const long MiB = 1024 * 1024;
    public const long Header1Offset = 64 * 1024, Header2Offset = 128 * 1024, RegionTable1Offset = 192 * 1024, RegionTable2Offset = 256 * 1024;
    public const long LogOffset = 1 * MiB, LogLength = 1 * MiB, MetadataOffset = 2 * MiB, MetadataLength = 1 * MiB, BatOffset = 3 * MiB;
    /// <summary>Items start 64 KiB into the metadata region, in this order, 8-byte aligned.</summary>
    public const long MetadataItemsOffset = 64 * 1024;

    public static readonly Guid BatRegionGuid = new("2DC27766-F623-4200-9D64-115E9BFD4A08");
    public static readonly Guid MetadataRegionGuid = new("8B7CA206-4790-4B9A-B8FE-575F050F886E");
    public static readonly Guid FileParametersGuid = new("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    public static readonly Guid VirtualDiskSizeGuid = new("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
    public static readonly Guid VirtualDiskIdGuid = new("BECA12AB-B2E6-4523-93EF-C309E000C746");
    public static readonly Guid LogicalSectorSizeGuid = new("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
    public static readonly Guid PhysicalSectorSizeGuid = new("CDA348C7-445D-4471-9CC9-E9885251C556");
    public static readonly Guid ParentLocatorGuid = new("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
    public static readonly Guid VhdxLocatorTypeGuid = new("B04AEFB7-D19E-4A81-B789-25B8E9445913");

    // Payload states (spec 2.5.1.1) and sector bitmap states (2.5.1.2).
    public const int NotPresent = 0, Undefined = 1, Zero = 2, Unmapped = 3, FullyPresent = 6, PartiallyPresent = 7, SbPresent = 6;

    private readonly Dictionary<long, byte[]> _blocks = [];         // block number → BlockSize bytes
    private readonly Dictionary<long, bool[]> _present = [];        // differencing: block → sector present flags
    private readonly Dictionary<long, int> _forcedStates = [];

    public VhdxWriter(long virtualSize, uint blockSize = (uint)MiB, int logicalSectorSize = 512, int physicalSectorSize = 4096)
    {
        VirtualSize = virtualSize;
        BlockSize = blockSize;
        LogicalSectorSize = logicalSectorSize;
        PhysicalSectorSize = physicalSectorSize;
    }

    public long VirtualSize { get; }
    public uint BlockSize { get; }
    public int LogicalSectorSize { get; }
    public int PhysicalSectorSize { get; }

    /// <summary>LeaveBlockAllocated: every block is FULLY_PRESENT (zeros where nothing was written).</summary>
    public bool Fixed { get; init; }

    /// <summary>Makes this a differencing disk (HasParent + parent locator).</summary>
    public VhdxParentSpec? Parent { get; init; }

    public Guid DataWriteGuid { get; init; } = Guid.NewGuid();
    public Guid FileWriteGuid { get; init; } = Guid.NewGuid();
    public Guid VirtualDiskId { get; init; } = Guid.NewGuid();
    public string Creator { get; init; } = "VirtualDiskManaged.Tests VhdxWriter";

    /// <summary>
    /// A pending log: the BAT sectors that hold entries go into log entries as data descriptors, and the BAT in the
    /// file is left all zero (stale), as after a crash between the log write and the metadata write.
    /// </summary>
    /// <summary>User metadata items (IsUser set; MS-VHDX §2.6.1.2), written after the system items.</summary>
    public List<(Guid Id, byte[] Data)> UserItems { get; } = [];

    public bool DeferBatToLog { get; init; }

    /// <summary>How many consecutive log entries the deferred writes are spread over (a sequence, tail = the first).</summary>
    public int LogEntryCount { get; init; } = 1;

    /// <summary>The 4 KiB position (within the log) of the first entry; entries wrap at the end of the log.</summary>
    public int LogStartSector { get; init; }

    /// <summary>Extra zero descriptors put in the last log entry (file offset, length; both 4 KiB multiples).</summary>
    public List<(long Offset, long Length)> LogZeroRanges { get; } = [];

    /// <summary>FlushedFileOffset written into the log entries (default: the file length).</summary>
    public long? LogFlushedFileOffset { get; init; }

    /// <summary>Sequence number of the first log entry.</summary>
    public ulong LogFirstSequence { get; init; } = 100;

    public long ChunkRatio => (1L << 23) * LogicalSectorSize / BlockSize;
    public long DataBlockCount => (VirtualSize + BlockSize - 1) / BlockSize;

    public long BatEntryCount => Parent is not null
        ? (DataBlockCount + ChunkRatio - 1) / ChunkRatio * (ChunkRatio + 1)
        : DataBlockCount + (DataBlockCount - 1) / ChunkRatio;

    public long BatLength => (BatEntryCount * 8 + MiB - 1) / MiB * MiB;

    /// <summary>BAT index of payload block <paramref name="block"/> (spec 2.5).</summary>
    public long PayloadIndex(long block) => block + block / ChunkRatio;

    /// <summary>Writes guest data. Differencing disks need whole logical sectors; the sectors become present in this file.</summary>
    public VhdxWriter Write(long offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0 || offset + data.Length > VirtualSize) throw new ArgumentOutOfRangeException(nameof(offset));
        if (Parent is not null && (offset % LogicalSectorSize != 0 || data.Length % LogicalSectorSize != 0))
            throw new ArgumentException("Differencing writes must cover whole sectors");
        while (!data.IsEmpty)
        {
            long block = offset / BlockSize;
            int inBlock = (int)(offset % BlockSize);
            int n = (int)Math.Min(data.Length, BlockSize - inBlock);
            if (!_blocks.TryGetValue(block, out var bytes))
            {
                bytes = new byte[BlockSize];
                // Bytes of a differencing block that are not present must never be read: fill them with a marker.
                if (Parent is not null) bytes.AsSpan().Fill(0xEE);
                _blocks[block] = bytes;
                if (Parent is not null) _present[block] = new bool[BlockSize / LogicalSectorSize];
            }
            data[..n].CopyTo(bytes.AsSpan(inBlock));
            if (Parent is not null)
                for (int s = inBlock / LogicalSectorSize; s < (inBlock + n) / LogicalSectorSize; s++) _present[block][s] = true;
            offset += n;
            data = data[n..];
        }
        return this;
    }

    /// <summary>Writes <paramref name="length"/> bytes of <paramref name="pattern"/>.</summary>
    public VhdxWriter Fill(long offset, int length, byte pattern)
    {
        var data = new byte[length];
        data.AsSpan().Fill(pattern);
        return Write(offset, data);
    }

    /// <summary>Gives a block without data a state other than the default (NOT_PRESENT; ZERO would also do for dynamic disks).</summary>
    public VhdxWriter SetBlockState(long block, int state)
    {
        _forcedStates[block] = state;
        return this;
    }

    public void Save(string path) => File.WriteAllBytes(path, Build());

    /// <summary>Builds the whole file in memory.</summary>
    public byte[] Build()
    {
        if (Fixed)
            for (long b = 0; b < DataBlockCount; b++)
                if (!_blocks.ContainsKey(b)) _blocks[b] = new byte[BlockSize];

        long payloadStart = BatOffset + BatLength;
        var blockOffsets = new Dictionary<long, long>();
        long next = payloadStart;
        foreach (long b in _blocks.Keys.Order())
        {
            blockOffsets[b] = next;
            next += BlockSize;
        }
        var bitmapOffsets = new Dictionary<long, long>();
        if (Parent is not null)
            foreach (long chunk in _present.Keys.Select(b => b / ChunkRatio).Distinct().Order())
            {
                bitmapOffsets[chunk] = next;
                next += MiB;
            }
        // The last block may hold less than BlockSize of the disk; the file still ends on a 1 MiB boundary.
        long fileLength = next;
        var image = new byte[fileLength];

        // File type identifier (2.2.1).
        Encoding.ASCII.GetBytes("vhdxfile").CopyTo(image, 0);
        Encoding.Unicode.GetBytes(Creator).CopyTo(image, 8);

        // Payload and sector bitmaps.
        var bat = new byte[BatLength];
        foreach (var (b, offset) in blockOffsets)
        {
            _blocks[b].CopyTo(image, offset);
            int state = FullyPresent;
            if (Parent is not null && !_present[b].All(p => p)) state = PartiallyPresent;
            BinaryPrimitives.WriteUInt64LittleEndian(bat.AsSpan((int)(PayloadIndex(b) * 8)), (ulong)offset | (uint)state);
        }
        foreach (var (b, state) in _forcedStates)
            if (!blockOffsets.ContainsKey(b))
                BinaryPrimitives.WriteUInt64LittleEndian(bat.AsSpan((int)(PayloadIndex(b) * 8)), (uint)state);
        foreach (var (chunk, offset) in bitmapOffsets)
        {
            long sectorsPerBlock = BlockSize / LogicalSectorSize;
            foreach (var (b, present) in _present.Where(p => p.Key / ChunkRatio == chunk))
                for (int s = 0; s < present.Length; s++)
                    if (present[s])
                    {
                        long bit = (b % ChunkRatio) * sectorsPerBlock + s; // LSB first (2.4)
                        image[offset + bit / 8] |= (byte)(1 << (int)(bit % 8));
                    }
            long index = chunk * (ChunkRatio + 1) + ChunkRatio;
            BinaryPrimitives.WriteUInt64LittleEndian(bat.AsSpan((int)(index * 8)), (ulong)offset | (uint)SbPresent);
        }

        Guid logGuid = Guid.Empty;
        if (DeferBatToLog) logGuid = WriteLog(image, bat, fileLength);
        else bat.CopyTo(image, BatOffset);

        WriteMetadata(image);
        WriteHeader(image, Header1Offset, 1, logGuid);
        WriteHeader(image, Header2Offset, 2, logGuid);
        WriteRegionTable(image, RegionTable1Offset);
        WriteRegionTable(image, RegionTable2Offset);
        return image;
    }

    private void WriteHeader(byte[] image, long at, ulong sequence, Guid logGuid)
    {
        var h = image.AsSpan((int)at, 4096);
        Encoding.ASCII.GetBytes("head").CopyTo(h);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], sequence);
        FileWriteGuid.TryWriteBytes(h[16..]);
        DataWriteGuid.TryWriteBytes(h[32..]);
        logGuid.TryWriteBytes(h[48..]);
        BinaryPrimitives.WriteUInt16LittleEndian(h[64..], 0); // LogVersion
        BinaryPrimitives.WriteUInt16LittleEndian(h[66..], 1); // Version
        BinaryPrimitives.WriteUInt32LittleEndian(h[68..], (uint)LogLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[72..], (ulong)LogOffset);
        Seal(h, 4);
    }

    private void WriteRegionTable(byte[] image, long at)
    {
        var t = image.AsSpan((int)at, 64 * 1024);
        t.Clear();
        Encoding.ASCII.GetBytes("regi").CopyTo(t);
        BinaryPrimitives.WriteUInt32LittleEndian(t[8..], 2);
        WriteRegionEntry(t[16..], BatRegionGuid, BatOffset, BatLength, required: true);
        WriteRegionEntry(t[48..], MetadataRegionGuid, MetadataOffset, MetadataLength, required: true);
        Seal(t, 4);
    }

    private static void WriteRegionEntry(Span<byte> e, Guid guid, long offset, long length, bool required)
    {
        guid.TryWriteBytes(e);
        BinaryPrimitives.WriteUInt64LittleEndian(e[16..], (ulong)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(e[24..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(e[28..], required ? 1u : 0u);
    }

    private void WriteMetadata(byte[] image)
    {
        var m = image.AsSpan((int)MetadataOffset, (int)MetadataLength);
        Encoding.ASCII.GetBytes("metadata").CopyTo(m);
        var items = new List<(Guid Id, byte[] Data, uint Flags)>();
        const uint IsVirtualDisk = 2, IsRequired = 4;
        var fp = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(fp, BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(fp.AsSpan(4), (Fixed && Parent is null ? 1u : 0u) | (Parent is not null ? 2u : 0u));
        items.Add((FileParametersGuid, fp, IsRequired));
        var size = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)VirtualSize);
        items.Add((VirtualDiskSizeGuid, size, IsVirtualDisk | IsRequired));
        items.Add((VirtualDiskIdGuid, VirtualDiskId.ToByteArray(), IsVirtualDisk | IsRequired));
        var lss = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(lss, (uint)LogicalSectorSize);
        items.Add((LogicalSectorSizeGuid, lss, IsVirtualDisk | IsRequired));
        var pss = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(pss, (uint)PhysicalSectorSize);
        items.Add((PhysicalSectorSizeGuid, pss, IsVirtualDisk | IsRequired));
        if (Parent is not null) items.Add((ParentLocatorGuid, BuildLocator(Parent), IsRequired));
        foreach (var (id, data) in UserItems) items.Add((id, data, 1)); // IsUser (MS-VHDX §2.6.1.2)

        BinaryPrimitives.WriteUInt16LittleEndian(m[10..], (ushort)items.Count);
        long itemAt = MetadataItemsOffset;
        for (int i = 0; i < items.Count; i++)
        {
            var e = m.Slice(32 + 32 * i, 32);
            items[i].Id.TryWriteBytes(e);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], (uint)itemAt);
            BinaryPrimitives.WriteUInt32LittleEndian(e[20..], (uint)items[i].Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[24..], items[i].Flags);
            items[i].Data.CopyTo(m[(int)itemAt..]);
            itemAt += (items[i].Data.Length + 7) / 8 * 8;
        }
    }

    /// <summary>The VHDX parent locator: type GUID, reserved, count, then (key offset, value offset, key length, value length) and UTF-16 strings.</summary>
    public static byte[] BuildLocator(VhdxParentSpec parent)
    {
        var pairs = new List<(string, string)> { ("parent_linkage", parent.Linkage.ToString("B")) };
        if (parent.Linkage2 is { } l2) pairs.Add(("parent_linkage2", l2.ToString("B")));
        if (parent.RelativePath is not null) pairs.Add(("relative_path", parent.RelativePath));
        if (parent.VolumePath is not null) pairs.Add(("volume_path", parent.VolumePath));
        if (parent.AbsolutePath is not null) pairs.Add(("absolute_win32_path", parent.AbsolutePath));
        var strings = new MemoryStream();
        int tableEnd = 20 + 12 * pairs.Count;
        var header = new byte[tableEnd];
        VhdxLocatorTypeGuid.TryWriteBytes(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(18), (ushort)pairs.Count);
        for (int i = 0; i < pairs.Count; i++)
        {
            byte[] k = Encoding.Unicode.GetBytes(pairs[i].Item1), v = Encoding.Unicode.GetBytes(pairs[i].Item2);
            var e = header.AsSpan(20 + 12 * i);
            BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)(tableEnd + strings.Length));
            strings.Write(k);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], (uint)(tableEnd + strings.Length));
            strings.Write(v);
            BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)k.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)v.Length);
        }
        return [.. header, .. strings.ToArray()];
    }

    /// <summary>Puts the BAT sectors that hold entries into log entries; the BAT in the file stays zero. Returns the LogGuid.</summary>
    private Guid WriteLog(byte[] image, byte[] bat, long fileLength)
    {
        var logGuid = Guid.NewGuid();
        var sectors = new List<long>();
        for (long s = 0; s < bat.Length; s += 4096)
            if (bat.AsSpan((int)s, 4096).ContainsAnyExcept((byte)0)) sectors.Add(s);
        int entries = Math.Max(1, LogEntryCount);
        long position = (long)LogStartSector * 4096 % LogLength;
        long tail = position;
        for (int n = 0; n < entries; n++)
        {
            ulong sequence = LogFirstSequence + (ulong)n;
            var data = sectors.Where((_, i) => i % entries == n).Select(s => (Target: BatOffset + s, Bytes: bat.AsSpan((int)s, 4096).ToArray())).ToList();
            List<(long Offset, long Length)> zeros = n == entries - 1 ? LogZeroRanges : [];
            int descriptors = data.Count + zeros.Count;
            int descriptorSectors = (64 + 32 * descriptors + 4095) / 4096;
            int length = (descriptorSectors + data.Count) * 4096;
            var entry = new byte[length];
            Encoding.ASCII.GetBytes("loge").CopyTo(entry, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), (uint)length);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(12), (uint)tail);
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(16), sequence);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(24), (uint)descriptors);
            logGuid.TryWriteBytes(entry.AsSpan(32));
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(48), (ulong)(LogFlushedFileOffset ?? fileLength)); // FlushedFileOffset
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(56), (ulong)fileLength); // LastFileOffset
            int d = 0;
            foreach (var (target, bytes) in data)
            {
                var desc = entry.AsSpan(DescriptorAt(d++), 32);
                Encoding.ASCII.GetBytes("desc").CopyTo(desc);
                BinaryPrimitives.WriteUInt32LittleEndian(desc[4..], BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4092)));
                BinaryPrimitives.WriteUInt64LittleEndian(desc[8..], BinaryPrimitives.ReadUInt64LittleEndian(bytes));
                BinaryPrimitives.WriteUInt64LittleEndian(desc[16..], (ulong)target);
                BinaryPrimitives.WriteUInt64LittleEndian(desc[24..], sequence);
            }
            foreach (var (offset, zeroLength) in zeros)
            {
                var desc = entry.AsSpan(DescriptorAt(d++), 32);
                Encoding.ASCII.GetBytes("zero").CopyTo(desc);
                BinaryPrimitives.WriteUInt64LittleEndian(desc[8..], (ulong)zeroLength);
                BinaryPrimitives.WriteUInt64LittleEndian(desc[16..], (ulong)offset);
                BinaryPrimitives.WriteUInt64LittleEndian(desc[24..], sequence);
            }
            for (int i = 0; i < data.Count; i++)
            {
                var sector = entry.AsSpan((descriptorSectors + i) * 4096, 4096);
                Encoding.ASCII.GetBytes("data").CopyTo(sector);
                BinaryPrimitives.WriteUInt32LittleEndian(sector[4..], (uint)(sequence >> 32));
                data[i].Bytes.AsSpan(8, 4084).CopyTo(sector[8..]);
                BinaryPrimitives.WriteUInt32LittleEndian(sector[4092..], (uint)sequence);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(4), Crc32CReference(entry));
            for (int s = 0; s < length; s += 4096)
            {
                entry.AsSpan(s, 4096).CopyTo(image.AsSpan((int)(LogOffset + position)));
                position = (position + 4096) % LogLength;
            }
        }
        return logGuid;
    }

    private static int DescriptorAt(int d) => d < 126 ? 64 + 32 * d : 4096 * (1 + (d - 126) / 128) + 32 * ((d - 126) % 128);

    /// <summary>Writes the CRC-32C of <paramref name="structure"/> (checksum field zeroed first) at <paramref name="checksumOffset"/>.</summary>
    public static void Seal(Span<byte> structure, int checksumOffset)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(structure[checksumOffset..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(structure[checksumOffset..], Crc32CReference(structure));
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>CRC-32C by the textbook byte-table method (reflected 0x82F63B78), independent of the library's implementation.</summary>
    public static uint Crc32CReference(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    /// <summary>Re-seals both headers and both region tables of <paramref name="image"/> after a test patched them.</summary>
    public static void FixChecksums(byte[] image)
    {
        Seal(image.AsSpan((int)Header1Offset, 4096), 4);
        Seal(image.AsSpan((int)Header2Offset, 4096), 4);
        Seal(image.AsSpan((int)RegionTable1Offset, 64 * 1024), 4);
        Seal(image.AsSpan((int)RegionTable2Offset, 64 * 1024), 4);
    }
}
