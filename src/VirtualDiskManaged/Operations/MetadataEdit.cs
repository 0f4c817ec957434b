using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.Vhdx;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

/// <summary>
/// A change of a clean VHDX's metadata region (MS-VHDX §2.6): items added, replaced or removed, committed crash-safely
/// (docs/operations.md "VHDX metadata items"). A new or changed item's bytes are written into free space of the region
/// (space no table entry refers to, not even the item's old version) and flushed; then the 64 KiB table's changed 4 KiB
/// pages go through the log in one entry (MS-VHDX §2.3: the table switches atomically); then the space the old versions
/// held is zeroed. A crash leaves the old table (the new bytes lie in unreferenced space) or the new one.
/// </summary>
internal sealed class VhdxMetadataEdit
{
    // MS-VHDX §2.6.1.1 (table header) and §2.6.1.2 (entries).
    private const int HeaderLength = 32, EntryLength = 32, EntryCountOffset = 10;
    private const int ItemIdOffset = 0, ItemOffsetOffset = 16, ItemLengthOffset = 20, FlagsOffset = 24;
    /// <summary>MS-VHDX §2.6.1.2 flag bits.</summary>
    public const uint IsUserFlag = 1, IsVirtualDiskFlag = 2, IsRequiredFlag = 4;
    /// <summary>Entries the 64 KiB table holds: (64 KiB − 32) / 32 (MS-VHDX §2.6.1.1: EntryCount ≤ 2,047).</summary>
    public const int MaxEntries = VhdxMetadataTable.MaxEntries;
    /// <summary>New items start on an 8-byte boundary (no alignment is required by MS-VHDX §2.6.1.2; this keeps fields aligned).</summary>
    private const int ItemAlignment = 8;
    private const int Page = 4096;

    internal sealed record Entry(Guid Id, uint Offset, uint Length, uint Flags)
    {
        public bool IsUser => (Flags & IsUserFlag) != 0;
        public long End => (long)Offset + Length;
    }

    private readonly byte[] _originalTable;
    private readonly List<(uint Offset, uint Length)> _occupied = [];
    private readonly List<(long FileOffset, byte[] Data)> _newItems = [];
    private readonly List<(long FileOffset, uint Length)> _freed = [];

    private VhdxMetadataEdit(byte[] table, long regionOffset, long regionLength, List<Entry> entries)
    {
        _originalTable = table;
        RegionOffset = regionOffset;
        RegionLength = regionLength;
        Entries = entries;
        foreach (var e in entries) if (e.Length > 0) _occupied.Add((e.Offset, e.Length));
    }

    /// <summary>The region's file offset (MS-VHDX §2.2.3.2).</summary>
    public long RegionOffset { get; }

    /// <summary>The region's length.</summary>
    public long RegionLength { get; }

    /// <summary>The table's entries as they will be written.</summary>
    public List<Entry> Entries { get; }

    /// <summary>Reads the region table (the first intact copy, MS-VHDX §2.2.3) and the metadata table (validated as the open validates it).</summary>
    public static VirtualDiskDiagnostic? TryRead(HostFile file, out VhdxMetadataEdit? edit)
    {
        edit = null;
        if (!VhdxRegionTable.TryReadFirstValid(file, new byte[VhdxConstants.RegionTableSize], out var regions)) return new(R.OperationNotSupported, file.Path, "No intact region table (MS-VHDX §2.2.3); run repair first");
        var metadata = regions.Metadata;
        // The table's pages go through the log as whole 4 KiB pages (MS-VHDX §2.3.1.2): the region must start on one.
        if (metadata.FileOffset % Page != 0 || metadata.Length < VhdxConstants.MetadataTableSize)
            return new(R.OperationNotSupported, file.Path, $"Metadata region at {metadata.FileOffset}, {metadata.Length} bytes: not 4 KiB aligned or shorter than its table", metadata.FileOffset);
        var table = new byte[VhdxConstants.MetadataTableSize];
        if (!file.TryReadExactlyAt(metadata.FileOffset, table))
            return new(R.OperationNotSupported, file.Path, "The metadata table cannot be read", metadata.FileOffset);
        if (!VhdxMetadataTable.TryParse(table, metadata.Length, out _, out var reason, out var detail))
            return new(R.OperationNotSupported, file.Path, $"The metadata table is not valid ({reason}: {detail})", metadata.FileOffset);
        int count = Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(EntryCountOffset)), MaxEntries); // validated; capped again
        var entries = new List<Entry>(count);
        for (int i = 0; i < count; i++)
        {
            var e = table.AsSpan(HeaderLength + i * EntryLength, EntryLength);
            entries.Add(new(new Guid(e.Slice(ItemIdOffset, 16)), BinaryPrimitives.ReadUInt32LittleEndian(e[ItemOffsetOffset..]),
                BinaryPrimitives.ReadUInt32LittleEndian(e[ItemLengthOffset..]), BinaryPrimitives.ReadUInt32LittleEndian(e[FlagsOffset..])));
        }
        edit = new VhdxMetadataEdit(table, metadata.FileOffset, metadata.Length, entries);
        return null;
    }

    /// <summary>The index of the entry with this id and IsUser value (the unique pair of MS-VHDX §2.6.1.2), or −1.</summary>
    public int Find(Guid id, bool user) => Entries.FindIndex(e => e.Id == id && e.IsUser == user);

    /// <summary>Reads an item's current bytes (at most 1 MiB, the MS-VHDX §2.6.1.2 limit the table was validated against).</summary>
    public byte[]? ReadItem(HostFile file, int index)
    {
        var e = Entries[index];
        if (e.Length > VhdxMetadataTable.MaxItemLength) return null;
        var data = new byte[e.Length];
        return e.Length == 0 || file.TryReadExactlyAt(RegionOffset + e.Offset, data) ? data : null;
    }

    /// <summary>
    /// Places <paramref name="data"/> as the item at <paramref name="index"/> (−1: a new entry) in free space: first fit
    /// after the table's 64 KiB, overlapping no item — neither the current ones nor the old versions (MS-VHDX §2.6.1.2:
    /// items lie inside the region and do not overlap). False when the region has no such space.
    /// </summary>
    public bool Put(int index, Guid id, uint flags, byte[] data)
    {
        uint offset = 0;
        if (data.Length > 0)
        {
            if (FindFree(data.Length) is not { } free) return false;
            offset = free;
            _occupied.Add((offset, (uint)data.Length));
            _newItems.Add((RegionOffset + offset, data));
        }
        var entry = new Entry(id, offset, (uint)data.Length, flags);
        if (index < 0) Entries.Add(entry);
        else
        {
            Free(Entries[index]);
            Entries[index] = entry;
        }
        return true;
    }

    /// <summary>Removes the entry at <paramref name="index"/> (later entries move up one place).</summary>
    public void Remove(int index)
    {
        Free(Entries[index]);
        Entries.RemoveAt(index);
    }

    private void Free(Entry old)
    {
        if (old.Length > 0) _freed.Add((RegionOffset + old.Offset, old.Length));
    }

    private uint? FindFree(int length)
    {
        var taken = _occupied.OrderBy(o => o.Offset).ToList();
        long candidate = VhdxConstants.MetadataTableSize;
        foreach (var (o, l) in taken)
        {
            if (candidate + length <= o) break;
            candidate = Math.Max(candidate, (o + (long)l + ItemAlignment - 1) / ItemAlignment * ItemAlignment);
        }
        return candidate + length <= RegionLength && candidate + length <= uint.MaxValue ? (uint)candidate : null;
    }

    /// <summary>The table as it will be written: the header (count updated), the entries in order, zeros after them.</summary>
    private byte[] BuildTable()
    {
        var table = new byte[VhdxConstants.MetadataTableSize];
        _originalTable.AsSpan(0, HeaderLength).CopyTo(table);
        BinaryPrimitives.WriteUInt16LittleEndian(table.AsSpan(EntryCountOffset), (ushort)Entries.Count);
        for (int i = 0; i < Entries.Count; i++)
        {
            var span = table.AsSpan(HeaderLength + i * EntryLength, EntryLength);
            var e = Entries[i];
            e.Id.TryWriteBytes(span[..16]);
            BinaryPrimitives.WriteUInt32LittleEndian(span[ItemOffsetOffset..], e.Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(span[ItemLengthOffset..], e.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(span[FlagsOffset..], e.Flags);
        }
        return table;
    }

    /// <summary>
    /// Commits: a header update (a new FileWriteGuid, MS-VHDX §2.2.2, before the file's first change), the new items'
    /// bytes written into free space and flushed, the table's changed pages through the log
    /// (<see cref="VirtualDiskOperations.WriteThroughLog"/>), then the old versions' space zeroed and flushed.
    /// </summary>
    public VirtualDiskDiagnostic? Commit(HostFile file, IBackingStore store, VhdxHeaderUpdater headers)
    {
        if (Entries.Count > MaxEntries) return new(R.MetadataNoRoom, file.Path, $"The metadata table holds at most {MaxEntries} entries (MS-VHDX §2.6.1.1)");
        byte[] table = BuildTable();
        var pages = new SortedDictionary<long, byte[]>();
        for (int p = 0; p < table.Length; p += Page)
        {
            if (table.AsSpan(p, Page).SequenceEqual(_originalTable.AsSpan(p, Page))) continue;
            pages[RegionOffset + p] = table.AsSpan(p, Page).ToArray();
        }
        if (pages.Count == 0 && _newItems.Count == 0) return null;
        if (_newItems.Count > 0)
        {
            headers.Update(store, h => h with { FileWriteGuid = Guid.NewGuid() });
            foreach (var (at, data) in _newItems) store.WriteAt(at, data);
            store.Flush(); // the new bytes are durable before the table that refers to them can be
        }
        if (pages.Count > 0)
        {
            var logged = VirtualDiskOperations.WriteThroughLog(file, store, headers, pages);
            if (logged is not null) return logged;
        }
        if (_freed.Count > 0)
        {
            // No entry refers to the old versions any more: their bytes are cleared (a deleted item's data does not linger).
            foreach (var (at, length) in _freed) store.WriteAt(at, new byte[length]);
            store.Flush();
        }
        return null;
    }
}
