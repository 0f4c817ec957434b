namespace VirtualDiskManaged.FileSystems.Iso9660;

public sealed partial class Iso9660FileSystem
{
    /// <summary>Directories a deep check walks per tree (the cap does not depend on the file).</summary>
    public const int MaxVerifiedDirectories = 1_000_000;

    /// <summary>
    /// The deep check (docs/iso9660.md "Findings"): walks the whole tree of every namespace (ISO 9660, Rock Ridge,
    /// Joliet, ISO 9660:1999) and reports every problem with its reason, path inside the image and offset —
    /// records that cross a sector or have impossible lengths, extents outside the volume or past the image end,
    /// directory cycles and depth, CE chains, bad SUSP/RRIP entries, invalid UCS-2, relocation loops,
    /// multi-extent chains, zisofs headers and pointers, path tables against the tree, the El Torito catalog and
    /// images, and an implanted MD5.
    /// </summary>
    public override IReadOnlyList<VirtualDiskDiagnostic> Verify(CancellationToken cancellationToken = default)
    {
        var findings = new IsoFindings(_source.Name);
        foreach (var w in _warnings) findings.Report(w);
        if (_volume.EndByte > _source.Length)
            findings.Report(VirtualDiskErrorReason.IsoExtentBeyondImageEnd,
                $"The volume space ({_volume.EndBlock} blocks of {_volume.BlockSize}) ends past the image end ({_source.Length} bytes)", PrimaryVolumeDescriptor.Offset + IsoVolumeSpaceDescriptor.VolumeSpaceSizeOffset, null);
        var kinds = new List<IsoTreeKind> { IsoTreeKind.Iso9660 };
        if (_rootRr is not null) kinds.Add(IsoTreeKind.RockRidge);
        if (_jolietVolume is not null) kinds.Add(IsoTreeKind.Joliet);
        if (_enhancedVolume is not null) kinds.Add(IsoTreeKind.Enhanced);
        foreach (var kind in kinds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var directories = kind is IsoTreeKind.Iso9660 or IsoTreeKind.Joliet ? new List<(long Block, long Parent, string Name)>() : null;
            WalkTree(kind, findings, directories, cancellationToken);
            if (directories is not null) VerifyPathTables(kind, directories, findings, cancellationToken);
        }
        VerifyBoot(findings, cancellationToken);
        return findings.Items;
    }

    /// <summary>Walks one tree depth-first with an explicit stack (depth capped at <see cref="FileSystemReader.MaxDepth"/>).</summary>
    private void WalkTree(IsoTreeKind kind, IsoFindings findings, List<(long, long, string)>? directories, CancellationToken ct)
    {
        var volume = VolumeFor(kind);
        var root = kind == _kind ? _root : RootOf(kind);
        var rootNode = ((IsoEntryTag)root.Tag!).Directory!;
        CheckExtent(volume, root, findings);
        directories?.Add((rootNode.FirstBlock, rootNode.FirstBlock, "\0"));
        var pending = new Stack<FileSystemEntry>();
        pending.Push(root);
        int walked = 0;
        while (pending.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var dir = pending.Pop();
            var node = ((IsoEntryTag)dir.Tag!).Directory!;
            if (++walked > MaxVerifiedDirectories)
            {
                findings.Report(VirtualDiskErrorReason.FileSystemTreeTooDeep, $"Cap: {MaxVerifiedDirectories} directories walked", dir.RecordOffset, dir.Path);
                return;
            }
            try
            {
                foreach (var entry in EnumerateIn(kind, dir, findings))
                {
                    CheckExtent(volume, entry, findings);
                    if (entry.IsDirectory)
                    {
                        var child = ((IsoEntryTag)entry.Tag!).Directory!;
                        if (child.Depth >= MaxDepth)
                        {
                            findings.Report(VirtualDiskErrorReason.FileSystemTreeTooDeep, $"Cap: {MaxDepth} levels", entry.RecordOffset, entry.Path);
                            continue;
                        }
                        if (!child.Relocated) directories?.Add((child.FirstBlock, node.FirstBlock, entry.RawName));
                        pending.Push(entry);
                    }
                    else if (entry.Tag is IsoEntryTag { Zisofs: not null }) VerifyZisofs(entry, findings, ct);
                }
            }
            catch (VirtualDiskException e)
            {
                findings.Report(e.Diagnostic);
            }
        }
    }

    private static void CheckExtent(IsoVolume volume, FileSystemEntry entry, IsoFindings findings)
    {
        if (entry.Extents is InterleavedExtents il)
        {
            if (il.Count > 0)
            {
                var last = il[il.Count - 1];
                Check(volume, entry, last, findings);
            }
            return;
        }
        foreach (var e in entry.Extents) Check(volume, entry, e, findings);

        static void Check(IsoVolume volume, FileSystemEntry entry, FileExtent e, IsoFindings findings)
        {
            long block = e.Offset / volume.BlockSize;
            if (!volume.InImage(e.Offset, e.Length))
                findings.Report(VirtualDiskErrorReason.IsoExtentBeyondImageEnd, $"Extent at block {block}, {e.Length} bytes; the image has {volume.ImageLength} bytes", entry.RecordOffset, entry.Path);
            else if (!volume.InVolume(block, e.Length))
                findings.Report(VirtualDiskErrorReason.IsoExtentOutsideVolume, $"Extent at block {block}, {e.Length} bytes; the volume has {volume.EndBlock} blocks", entry.RecordOffset, entry.Path);
        }
    }

    /// <summary>zisofs: header against ZF, then every block pointer (inside the file, not backwards, ≤ deflateBound).</summary>
    private void VerifyZisofs(FileSystemEntry entry, IsoFindings findings, CancellationToken ct)
    {
        var tag = (IsoEntryTag)entry.Tag!;
        if (tag.Refusal is not null) { findings.Report(tag.Refusal); return; }
        if (!_volume.InImage(entry.Extents.Count > 0 ? entry.Extents[0].Offset : 0, entry.Extents.Count > 0 ? entry.Extents[0].Length : 0)) return;
        var raw = new ExtentContent(_volume, entry.Extents, entry.Path);
        var bad = ZisofsContent.TryOpen(raw, tag.Zisofs!.Value, _source.Name, entry.Path, entry.RecordOffset, out var z);
        if (bad is not null) { findings.Report(bad); return; }
        try
        {
            for (long i = 0; i < z!.BlockCount; i++)
            {
                if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
                z.BlockRange(i);
            }
        }
        catch (VirtualDiskException e)
        {
            findings.Report(e.Diagnostic);
        }
    }
}

public sealed partial class Iso9660FileSystem
{
    private const int MaxPathTableReports = 16;

    /// <summary>
    /// ECMA-119 §6.9: the L and M path tables hold one record per directory (extent, parent number, identifier).
    /// Each table is compared with the walked tree and with the other (pycdlib rejects L/M disagreement).
    /// </summary>
    private void VerifyPathTables(IsoTreeKind kind, List<(long Block, long Parent, string Name)> directories, IsoFindings findings, CancellationToken ct)
    {
        var d = DescriptorFor(kind);
        var volume = VolumeFor(kind);
        if (d.PathTableSize == 0) return;
        bool joliet = kind == IsoTreeKind.Joliet;
        string label = joliet ? "Joliet " : "";
        var l = IsoPathTable.Read(volume, d.TypeLPathTable, d.PathTableSize, bigEndian: false, joliet, findings, label + "Type L");
        var m = d.TypeMPathTable == 0 ? null : IsoPathTable.Read(volume, d.TypeMPathTable, d.PathTableSize, bigEndian: true, joliet, findings, label + "Type M");
        ct.ThrowIfCancellationRequested();
        var tree = new HashSet<(long, long, string)>(directories);
        foreach (var (table, which) in new[] { (l, "Type L"), (m, "Type M") })
        {
            if (table is null) continue;
            int reports = 0;
            var keys = new HashSet<(long, long, string)>();
            for (int i = 0; i < table.Count; i++)
            {
                var r = table[i];
                if (r.Parent < 1 || r.Parent > table.Count)
                {
                    if (reports++ < MaxPathTableReports)
                        findings.Report(VirtualDiskErrorReason.IsoPathTableInvalid, $"{label}{which} record {i + 1}: parent number {r.Parent} of {table.Count} records", r.Offset, null);
                    continue;
                }
                var key = (r.Block, table[r.Parent - 1].Block, r.Name);
                keys.Add(key);
                if (!tree.Contains(key) && reports++ < MaxPathTableReports)
                    findings.Report(VirtualDiskErrorReason.IsoPathTableMismatch,
                        $"{label}{which} record {i + 1} (block {r.Block}, parent record {r.Parent}) names a directory the tree does not have", r.Offset, null);
            }
            foreach (var dir in directories)
                if (!keys.Contains(dir) && reports++ < MaxPathTableReports)
                    findings.Report(VirtualDiskErrorReason.IsoPathTableMismatch, $"{label}{which} path table has no record for the directory at block {dir.Block}", d.Offset, null);
        }
        if (l is not null && m is not null)
        {
            bool same = l.Count == m.Count;
            for (int i = 0; same && i < l.Count; i++) same = l[i].Block == m[i].Block && l[i].Parent == m[i].Parent && l[i].Name == m[i].Name;
            if (!same) findings.Report(VirtualDiskErrorReason.IsoPathTableMismatch, $"{label}Type L and Type M path tables differ", d.Offset + IsoVolumeSpaceDescriptor.TypeMPathTableOffset, null);
        }
    }
}
