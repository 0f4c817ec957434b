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
