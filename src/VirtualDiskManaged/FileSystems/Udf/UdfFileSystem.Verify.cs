namespace VirtualDiskManaged.FileSystems.Udf;

public sealed partial class UdfFileSystem
{
    /// <summary>Cap on metadata blocks compared with their mirror.</summary>
    private const int MaxMirrorBlocksCompared = 65536;
    /// <summary>Cap on findings returned.</summary>
    private const int MaxFindings = 10000;

    /// <summary>
    /// The deep check: the warnings of the open; the anchors (ECMA-167 3/8.4.2.1) and the reserve volume descriptor
    /// sequence; every sparing table copy (OSTA UDF 2.60 §2.2.12); the VAT's entries inside the physical partition
    /// (§2.2.11); the metadata file against its mirror (§2.2.13); then the whole tree: every descriptor read has its
    /// tag checksum, CRC and location checked, FID lengths, indirect ICB loops, AED chains, directory cycles and the
    /// depth cap, and every extent inside its partition and the image. Each problem is a reason with the path in the
    /// image and the byte offset.
    /// </summary>
    public override IReadOnlyList<VirtualDiskDiagnostic> Verify(CancellationToken cancellationToken = default)
    {
        var found = new List<VirtualDiskDiagnostic>(_volume.Warnings);
        var source = _volume.Source;
        int bs = _volume.BlockSize;
        void Add(VirtualDiskErrorReason reason, string? detail, long? offset, string? path)
        {
            if (found.Count < MaxFindings) found.Add(new VirtualDiskDiagnostic(reason, source.Name, detail, offset, entryPath: path));
        }
        void AddFrom(VirtualDiskException e, string? path)
        {
            var d = e.Diagnostic;
            if (found.Count < MaxFindings) found.Add(d.EntryPath is null && path is not null ? new VirtualDiskDiagnostic(d.Reason, d.FilePath, d.Detail, d.Offset, entryPath: path) : d);
        }

        // Anchors: at least two of 256, N-256, N (3/8.4.2.1), all naming the same sequences; a VAT volume may have one.
        long last = source.Length / bs - 1;
        var anchors = new List<UdfAnchorVolumeDescriptorPointer>();
        foreach (long s in (long[])[256, last - 256, last])
            if (s > 256 || s == 256) { if (UdfAnchorVolumeDescriptorPointer.TryRead(source, bs, s, out var a)) anchors.Add(a); }
        bool vat = _volume.Partitions.Any(p => p is UdfVirtualPartition);
        if (anchors.Count > 0 && anchors[0].Sector != 256)
            Add(VirtualDiskErrorReason.UdfAnchorMismatch, "The anchor at sector 256 is missing or damaged", 256L * bs, null);
        if (anchors.Count < 2 && !vat)
            Add(VirtualDiskErrorReason.UdfAnchorMismatch, $"{anchors.Count} valid anchor(s) among sectors 256, {last - 256}, {last}", 256L * bs, null);
        foreach (var a in anchors)
            if (a.MainLocation != _anchor.MainLocation || a.ReserveLocation != _anchor.ReserveLocation || a.MainLength != _anchor.MainLength)
                Add(VirtualDiskErrorReason.UdfAnchorMismatch, $"Anchor at sector {a.Sector} names other sequences than the one at {_anchor.Sector}", a.Sector * bs, null);

        // The reserve sequence must be as sound as the main one.
        if (_anchor.ReserveLength >= bs)
        {
            var reserve = UdfVolumeDescriptorSequence.Walk(source, bs, _anchor.ReserveLength, _anchor.ReserveLocation);
            if (reserve.Problem is { } p) found.Add(p);
            else if (!reserve.IsComplete)
                Add(VirtualDiskErrorReason.UdfVolumeDescriptorSequenceInvalid, "The reserve sequence lacks a primary, logical volume or partition descriptor", (long)_anchor.ReserveLocation * bs, null);
        }

        foreach (var p in _volume.Partitions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (p)
            {
                case UdfSparablePartition s:
                    VerifySparing(s, Add);
                    break;
                case UdfVirtualPartition v:
                    var entries = v.Table.Entries;
                    for (int i = 0; i < entries.Length; i++)
                        if (entries[i] != UdfVirtualAllocationTable.Unused && entries[i] >= v.Physical.BlockCount)
                        {
                            Add(VirtualDiskErrorReason.UdfVatInvalid, $"VAT entry {i} = {entries[i]} is outside the physical partition ({v.Physical.BlockCount} blocks)", null, null);
                            break;
                        }
                    break;
                case UdfMetadataPartition m:
                    VerifyMirror(m, Add);
                    break;
            }
        }

        // The tree.
        var pending = new Stack<(FileSystemEntry Directory, int Depth)>();
        pending.Push((_root, 0));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (directory, depth) = pending.Pop();
            try
            {
                foreach (var entry in EnumerateDirectory(directory))
                {
                    VerifyExtents(entry, Add);
                    if (!entry.IsDirectory) continue;
                    if (depth + 1 >= MaxDepth) { Add(VirtualDiskErrorReason.FileSystemTreeTooDeep, $"Cap: {MaxDepth} levels", entry.RecordOffset, entry.Path); continue; }
                    pending.Push((entry, depth + 1));
                }
            }
            catch (VirtualDiskException e)
            {
                AddFrom(e, directory.Path);
            }
            if (found.Count >= MaxFindings) break;
        }
        return found;
    }

    private void VerifyExtents(FileSystemEntry entry, Action<VirtualDiskErrorReason, string?, long?, string?> add)
    {
        var state = (UdfEntryState)entry.Tag!;
        var node = state.Node;
        if (node.RecordedLength < node.Entry.InformationLength)
            add(VirtualDiskErrorReason.UdfFileDataShort, $"{node.RecordedLength} of {node.Entry.InformationLength} bytes recorded", node.Offset, entry.Path);
        long limit = _volume.Source.Length;
        foreach (var x in node.Extents)
            if (!x.IsSparse && (x.Offset < 0 || x.Offset > limit || x.Length > limit - x.Offset))
            {
                add(VirtualDiskErrorReason.UdfExtentOutOfRange, $"Extent of {x.Length} bytes at byte {x.Offset} runs past the {limit}-byte image", x.Offset, entry.Path);
                break;
            }
    }

    private void VerifySparing(UdfSparablePartition s, Action<VirtualDiskErrorReason, string?, long?, string?> add)
    {
        var source = _volume.Source;
        int bs = _volume.BlockSize;
        var m = s.Map;
        int size = (int)((m.SparingTableSize + bs - 1) / bs * bs);
        var data = new byte[size];
        foreach (uint location in m.SparingTableLocations)
        {
            long offset = (long)location * bs;
            if (!source.TryReadExactlyAt(offset, data)) { add(VirtualDiskErrorReason.FileSystemReadFailed, $"Sparing table at sector {location}", offset, null); continue; }
            var span = data.AsSpan(0, (int)m.SparingTableSize);
            var tp = UdfTag.Check(span, UdfTagId.SparingTable, location, out _);
            if (tp != UdfTagProblem.None) { add(UdfTag.ReasonOf(tp), "Sparing table: " + UdfTag.Describe(tp, span, 0, location), offset, null); continue; }
            if (!UdfSparingTable.TryParse(span, out var table, out var why) || why is not null) { add(VirtualDiskErrorReason.UdfSparingTableInvalid, why, offset, null); continue; }
            if (table!.SequenceNumber == s.Table.SequenceNumber && !table.Entries.AsSpan().SequenceEqual(s.Table.Entries))
                add(VirtualDiskErrorReason.UdfSparingTableInvalid, $"The sparing table copy at sector {location} differs from the prevailing one", offset, null);
            foreach (var (original, mapped) in table.Entries)
                if ((long)mapped + m.PacketLength > source.Length / bs || original >= s.BlockCount)
                {
                    add(VirtualDiskErrorReason.UdfSparingTableInvalid, $"Sparing entry {original} → {mapped} outside the partition or the image", offset, null);
                    break;
                }
        }
    }

    private void VerifyMirror(UdfMetadataPartition m, Action<VirtualDiskErrorReason, string?, long?, string?> add)
    {
        if (m.Main is null || m.Mirror is null || ReferenceEquals(m.Main, m.Mirror)) return;
        int bs = _volume.BlockSize;
        var a = new byte[bs];
        var b = new byte[bs];
        long blocks = Math.Min(m.BlockCount, MaxMirrorBlocksCompared);
        for (uint i = 0; i < blocks; i++)
        {
            bool hasMain = m.TryTranslate(i, false, out long s1, out _), hasMirror = m.TryTranslate(i, true, out long s2, out _);
            if (hasMain != hasMirror)
            {
                add(VirtualDiskErrorReason.UdfMetadataMirrorMismatch, $"Metadata block {i} is recorded in only one of the metadata file and its mirror", null, null);
                return;
            }
            if (!hasMain) continue;
            if (!_volume.Source.TryReadExactlyAt(s1 * bs, a) || !_volume.Source.TryReadExactlyAt(s2 * bs, b))
            {
                add(VirtualDiskErrorReason.FileSystemReadFailed, $"Metadata block {i}", s1 * bs, null);
                return;
            }
            if (!a.AsSpan().SequenceEqual(b))
            {
                add(VirtualDiskErrorReason.UdfMetadataMirrorMismatch, $"Metadata block {i} differs from its mirror (mirror at byte {s2 * bs})", s1 * bs, null);
                return;
            }
        }
    }
}
