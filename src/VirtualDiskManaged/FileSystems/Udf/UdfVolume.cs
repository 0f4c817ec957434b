using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The opened logical volume: block I/O through the partition maps, descriptor reads with their tag checked,
/// ICBs (strategies 4 and 4096) and allocation descriptor chains. Immutable after open except the warning list.
/// </summary>
internal sealed class UdfVolume
{
    /// <summary>Cap on ICB indirections (Linux UDF_MAX_ICB_NESTING = 1024; CVE-2014-6410).</summary>
    public const int MaxIcbHops = 1024;
    /// <summary>Cap on allocation extent descriptors followed per file.</summary>
    public const int MaxAllocationExtents = 16384;
    /// <summary>Cap on allocation descriptors per file.</summary>
    public const int MaxAllocationDescriptors = 1 << 18;
    /// <summary>Cap on warnings kept.</summary>
    public const int MaxWarnings = 256;

    private readonly List<VirtualDiskDiagnostic> _warnings = [];

    public UdfVolume(VolumeSource source, int blockSize)
    {
        Source = source;
        BlockSize = blockSize;
    }

    public VolumeSource Source { get; }
    public int BlockSize { get; }
    public UdfPartition?[] Partitions { get; set; } = [];

    public IReadOnlyList<VirtualDiskDiagnostic> Warnings
    {
        get { lock (_warnings) return [.. _warnings]; }
    }

    public void Warn(VirtualDiskDiagnostic d)
    {
        lock (_warnings)
        {
            if (_warnings.Count >= MaxWarnings) return;
            foreach (var w in _warnings) if (w.Reason == d.Reason && w.Offset == d.Offset) return;
            _warnings.Add(d);
        }
    }

    [DoesNotReturn]
    public void Fail(VirtualDiskErrorReason reason, string? detail, long? offset, string? entryPath) =>
        ThrowHelper.Throw(new VirtualDiskDiagnostic(reason, Source.Name, detail, offset, entryPath: entryPath));

    public UdfPartition Partition(ushort reference, string? entryPath, long? offset)
    {
        var p = reference < Partitions.Length ? Partitions[reference] : null;
        if (p is null) Fail(VirtualDiskErrorReason.UdfPartitionReferenceInvalid, $"Partition reference {reference} of {Partitions.Length} maps", offset, entryPath);
        return p;
    }

    /// <summary>Volume byte offset of block <paramref name="lbn"/> of a partition, or false when it does not map.</summary>
    public bool TryLocate(ushort reference, uint lbn, bool mirror, out long offset)
    {
        offset = 0;
        if (reference >= Partitions.Length || Partitions[reference] is not { } p) return false;
        if (!p.TryTranslate(lbn, mirror, out long sector, out _)) return false;
        offset = sector * BlockSize;
        return true;
    }

    /// <summary>
    /// Reads one block of a partition and checks the descriptor tag at its start: identifier in
    /// <paramref name="expected"/>, location <paramref name="lbn"/> (4/7.2.8: part-4 locations are partition-relative),
    /// checksum and CRC. A damaged block of a metadata partition is read again from the mirror (OSTA UDF 2.60 §2.2.13),
    /// with a warning. Returns the volume byte offset the block was read from.
    /// </summary>
    public long ReadDescriptor(ushort reference, uint lbn, ReadOnlySpan<ushort> expected, Span<byte> block, string? entryPath, out UdfTag tag, UdfReadAhead? readAhead = null)
    {
        var partition = Partition(reference, entryPath, null);
        var problem = TryReadDescriptor(partition, lbn, false, expected, block, out long offset, out tag, readAhead);
        if (problem is null) return offset;
        if (partition is UdfMetadataPartition { Mirror: not null } && TryReadDescriptor(partition, lbn, true, expected, block, out long mirrorOffset, out tag) is null)
        {
            Warn(new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfMetadataMirrorUsed, Source.Name,
                $"Metadata block {lbn}: {problem.Detail}; read from the mirror at byte {mirrorOffset}", problem.Offset, entryPath: entryPath));
            return mirrorOffset;
        }
        ThrowHelper.Throw(new VirtualDiskDiagnostic(problem.Reason, Source.Name, problem.Detail, problem.Offset, entryPath: entryPath));
        return 0;
    }

    private VirtualDiskDiagnostic? TryReadDescriptor(UdfPartition partition, uint lbn, bool mirror, ReadOnlySpan<ushort> expected, Span<byte> block, out long offset, out UdfTag tag, UdfReadAhead? readAhead = null)
    {
        tag = default;
        offset = 0;
        if (!partition.TryTranslate(lbn, mirror, out long sector, out _))
            return new(VirtualDiskErrorReason.UdfExtentOutOfRange, Source.Name, $"Block {lbn} is outside partition {partition.Reference} ({partition.BlockCount} blocks)");
        offset = sector * BlockSize;
        if (!(readAhead?.TryReadExactlyAt(Source, offset, block) ?? Source.TryReadExactlyAt(offset, block)))
            return new(VirtualDiskErrorReason.FileSystemReadFailed, Source.Name, $"Block {lbn} of partition {partition.Reference} lies past the end of the image", offset);
        var problem = UdfTag.Check(block, -1, lbn, out tag);
        if (problem == UdfTagProblem.None && !expected.Contains(tag.Identifier)) problem = UdfTagProblem.Identifier;
        if (problem != UdfTagProblem.None)
            return new(UdfTag.ReasonOf(problem), Source.Name, UdfTag.Describe(problem, block, expected.Length > 0 ? expected[0] : -1, lbn), offset);
        return null;
    }

    private static readonly ushort[] IcbIds = [UdfTagId.FileEntry, UdfTagId.ExtendedFileEntry, UdfTagId.IndirectEntry];
    private static readonly ushort[] AedIds = [UdfTagId.AllocationExtent];

    /// <summary>
    /// Reads the file at an ICB address: its direct entry, following Indirect Entries (4/14.7) and for strategy 4096
    /// the IE recorded in the ICB's second block (4/A.6, OSTA UDF 2.60 §2.3.5.1 and §6.6), capped at
    /// <see cref="MaxIcbHops"/> with a visited set (CVE-2014-6410).
    /// </summary>
    public UdfNode ReadNode(UdfAllocationDescriptor icb, string? entryPath, UdfReadAhead? readAhead = null)
    {
        var block = ArrayPool<byte>.Shared.Rent(BlockSize);
        byte[]? next = null;
        try
        {
            return ReadNode(icb, entryPath, block.AsSpan(0, BlockSize), ref next, readAhead);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
            if (next is not null) ArrayPool<byte>.Shared.Return(next);
        }
    }

    private UdfNode ReadNode(UdfAllocationDescriptor icb, string? entryPath, Span<byte> block, ref byte[]? nextBuffer, UdfReadAhead? readAhead)
    {
        ushort prn = icb.Partition;
        uint lbn = icb.Block;
        HashSet<long>? visited = null;
        long first = (long)prn << 32 | lbn;
        for (int hop = 0; ; hop++)
        {
            long key = (long)prn << 32 | lbn;
            if (hop > 0)
            {
                visited ??= [first];
                if (hop > MaxIcbHops || !visited.Add(key))
                    Fail(VirtualDiskErrorReason.UdfIndirectIcbLoop, hop > MaxIcbHops ? $"Cap: {MaxIcbHops} indirect entries" : $"Indirect entry loop back to block {lbn} of partition {prn}", null, entryPath);
            }
            long offset = ReadDescriptor(prn, lbn, IcbIds, block, entryPath, out var tag, readAhead);
            if (tag.Identifier == UdfTagId.IndirectEntry)
            {
                var target = UdfAllocationDescriptor.ReadLong(block[36..]);
                if (target.Length == 0) Fail(VirtualDiskErrorReason.UdfFileEntryInvalid, "Indirect entry pointing nowhere", offset, entryPath);
                prn = target.Partition;
                lbn = target.Block;
                continue;
            }
            if (!UdfFileEntry.TryParse(block, tag.Identifier == UdfTagId.ExtendedFileEntry, out var fe, out var why))
                Fail(VirtualDiskErrorReason.UdfFileEntryInvalid, why, offset, entryPath);
            if (fe!.Icb.Strategy == 4096 && lbn < uint.MaxValue)
            {
                // The ICB's next entry: an IE names a newer ICB, a TE (or nothing recorded) ends it.
                nextBuffer ??= ArrayPool<byte>.Shared.Rent(BlockSize);
                var next = nextBuffer.AsSpan(0, BlockSize);
                if (TryLocate(prn, lbn + 1, false, out long nextOffset) && Source.TryReadExactlyAt(nextOffset, next)
                    && UdfTag.Check(next, UdfTagId.IndirectEntry, lbn + 1, out _) == UdfTagProblem.None)
                {
                    var target = UdfAllocationDescriptor.ReadLong(next[36..]);
                    if (target.Length != 0)
                    {
                        visited ??= [first];
                        if (!visited.Add((long)prn << 32 | (lbn + 1)))
                            Fail(VirtualDiskErrorReason.UdfIndirectIcbLoop, $"Indirect entry loop at block {lbn + 1}", nextOffset, entryPath);
                        prn = target.Partition;
                        lbn = target.Block;
                        continue;
                    }
                }
            }
            else if (fe.Icb.Strategy != 4 && fe.Icb.Strategy != 4096)
                Fail(VirtualDiskErrorReason.UdfIcbStrategyUnsupported, $"ICB strategy {fe.Icb.Strategy}", offset, entryPath);
            return Build(prn, lbn, offset, block, fe, entryPath);
        }
    }

    private UdfNode Build(ushort prn, uint lbn, long offset, ReadOnlySpan<byte> block, UdfFileEntry fe, string? entryPath)
    {
        if (fe.Icb.AllocationForm == UdfAllocationDescriptor.FormEmbedded)
        {
            long length = fe.InformationLength;
            return new UdfNode
            {
                Partition = prn, Block = lbn, Offset = offset, Entry = fe, Allocation = [],
                Extents = length == 0 ? [] : [new FileExtent(offset + fe.AllocationOffset, length)],
                RecordedLength = length,
            };
        }
        var ads = CollectAllocation(prn, block.Slice(fe.AllocationOffset, fe.AllocationLength), fe.Icb.AllocationForm, fe.InformationLength, offset + fe.AllocationOffset, entryPath);
        var extents = MapExtents(ads, fe.InformationLength, out long recorded, entryPath);
        return new UdfNode { Partition = prn, Block = lbn, Offset = offset, Entry = fe, Allocation = ads, Extents = extents, RecordedLength = recorded };
    }

    /// <summary>
    /// The allocation descriptors of a file (4/12, 4/14.14): read in order, a zero length ends the list (4/14.14.1.1),
    /// extent type 3 continues in an Allocation Extent Descriptor (4/14.5; 24 + L_AD within the block, CVE-2025-40044),
    /// capped and with a visited set; the list is cut at the information length.
    /// </summary>
    public UdfAllocationDescriptor[] CollectAllocation(ushort prn, ReadOnlySpan<byte> area, int form, long informationLength, long areaOffset, string? entryPath)
    {
        int size = UdfAllocationDescriptor.SizeOf(form);
        // Most files have one descriptor: it is kept in `first`, and the list is only made for a second one.
        List<UdfAllocationDescriptor>? result = null;
        UdfAllocationDescriptor first = default;
        int count = 0;
        long covered = 0;
        byte[]? aed = null;
        HashSet<long>? visited = null;
        int hops = 0;
        var current = area;
        long currentOffset = areaOffset;
        while (true)
        {
            bool continued = false;
            for (int at = 0; at + size <= current.Length; at += size)
            {
                var ad = UdfAllocationDescriptor.Read(current[at..], form, prn);
                if (ad.Length == 0) break;
                if (ad.Type == UdfAllocationDescriptor.NextExtent)
                {
                    if (++hops > MaxAllocationExtents) Fail(VirtualDiskErrorReason.UdfAllocationExtentChainInvalid, $"Cap: {MaxAllocationExtents} allocation extent descriptors", currentOffset + at, entryPath);
                    visited ??= [];
                    if (!visited.Add((long)ad.Partition << 32 | ad.Block)) Fail(VirtualDiskErrorReason.UdfAllocationExtentChainInvalid, $"Allocation extent descriptor loop at block {ad.Block}", currentOffset + at, entryPath);
                    aed ??= new byte[BlockSize];
                    long aedOffset = ReadDescriptor(ad.Partition, ad.Block, AedIds, aed, entryPath, out _);
                    uint length = BinaryPrimitives.ReadUInt32LittleEndian(aed.AsSpan(20));
                    if (length > (uint)(BlockSize - 24)) Fail(VirtualDiskErrorReason.UdfAllocationExtentChainInvalid, $"Allocation extent descriptor with {length} bytes of descriptors", aedOffset, entryPath);
                    current = aed.AsSpan(24, (int)length);
                    currentOffset = aedOffset + 24;
                    continued = true;
                    break;
                }
                if (covered < informationLength)
                {
                    if (count >= MaxAllocationDescriptors) Fail(VirtualDiskErrorReason.UdfTooManyExtents, $"Cap: {MaxAllocationDescriptors} allocation descriptors", currentOffset + at, entryPath);
                    if (count == 0) first = ad;
                    else (result ??= [first]).Add(ad);
                    count++;
                    covered += ad.Length;
                }
            }
            if (!continued) break;
            if (covered >= informationLength) break;
        }
        return count == 0 ? [] : result is null ? [first] : [.. result];
    }

    /// <summary>Maps partition extents to volume runs: recorded extents through their partition map, others as zeros.</summary>
    public FileExtent[] MapExtents(UdfAllocationDescriptor[] ads, long informationLength, out long recorded, string? entryPath)
    {
        // The common case, one recorded extent that the partition maps contiguously: one run, no list.
        if (ads.Length == 1 && ads[0].Type == UdfAllocationDescriptor.Recorded && informationLength > 0)
        {
            long length = Math.Min(ads[0].Length, informationLength);
            if (Partition(ads[0].Partition, entryPath, null).TryTranslate(ads[0].Block, false, out long sector, out long contiguous) && contiguous * BlockSize >= length)
            {
                recorded = length;
                return [new FileExtent(sector * BlockSize, length)];
            }
        }
        var runs = new List<FileExtent>(ads.Length);
        long remaining = informationLength;
        foreach (var ad in ads)
        {
            if (remaining <= 0) break;
            long length = Math.Min(ad.Length, remaining);
            remaining -= length;
            if (ad.Type != UdfAllocationDescriptor.Recorded)
            {
                Add(runs, new FileExtent(0, length, true));
                continue;
            }
            var partition = Partition(ad.Partition, entryPath, null);
            long lbn = ad.Block;
            while (length > 0)
            {
                long sector = 0, contiguous = 0;
                if (lbn > uint.MaxValue || !partition.TryTranslate((uint)lbn, false, out sector, out contiguous))
                    Fail(VirtualDiskErrorReason.UdfExtentOutOfRange, $"Extent block {lbn} outside partition {partition.Reference} ({partition.BlockCount} blocks)", null, entryPath);
                long bytes = Math.Min(length, contiguous * BlockSize);
                Add(runs, new FileExtent(sector * BlockSize, bytes));
                length -= bytes;
                lbn += (bytes + BlockSize - 1) / BlockSize;
                if (runs.Count > MaxAllocationDescriptors) Fail(VirtualDiskErrorReason.UdfTooManyExtents, $"Cap: {MaxAllocationDescriptors} runs", null, entryPath);
            }
        }
        recorded = informationLength - remaining;
        return [.. runs];
    }

    private static void Add(List<FileExtent> runs, FileExtent run)
    {
        if (runs.Count > 0)
        {
            var last = runs[^1];
            if (last.IsSparse && run.IsSparse) { runs[^1] = last with { Length = last.Length + run.Length }; return; }
            if (!last.IsSparse && !run.IsSparse && last.Offset + last.Length == run.Offset) { runs[^1] = last with { Length = last.Length + run.Length }; return; }
        }
        runs.Add(run);
    }

    /// <summary>Reads a whole (small) file's data, at most <paramref name="cap"/> bytes.</summary>
    public byte[] ReadAll(UdfNode node, int cap, string? entryPath)
    {
        if (node.Entry.InformationLength > cap) Fail(VirtualDiskErrorReason.UdfFileEntryInvalid, $"{node.Entry.InformationLength} bytes where at most {cap} are read", node.Offset, entryPath);
        var data = new byte[node.Entry.InformationLength];
        UdfExtentReader.Read(this, node.Extents, node.RecordedLength, 0, data, entryPath);
        return data;
    }
}
