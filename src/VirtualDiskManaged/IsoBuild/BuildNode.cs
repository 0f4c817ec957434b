namespace VirtualDiskManaged.IsoBuild;

internal enum BuildNodeKind : byte { File, Directory, Symlink }

/// <summary>Where a file's bytes come from; shared by every hard link of one file. Small on purpose: one per file.</summary>
internal sealed class FileData
{
    /// <summary>A caller's stream source, or null for a host file (<see cref="Folder"/> + <see cref="FileName"/>).</summary>
    public Func<Stream>? Open { get; init; }

    /// <summary>The host folder (one string shared by every file of that folder) and the file's name in it.</summary>
    public string? Folder { get; init; }
    public string? FileName { get; init; }

    public required long Length { get; init; }
    public int LinkCount { get; set; }

    // Layout: the first block of the file's (contiguous) sections.
    public uint Extent { get; set; }
    public bool Placed { get; set; }

    public string? SourceName => FileName is null ? null : Folder is null ? FileName : Path.Join(Folder, FileName);

    public Stream OpenRead() => Open is not null ? Open()
        : new FileStream(SourceName!, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
}

/// <summary>What only a directory has: its children, where its records go, its path-table numbers.</summary>
internal sealed class DirectoryPart
{
    private readonly List<BuildNode> _children = [];
    private Dictionary<string, BuildNode>? _byName = new(StringComparer.Ordinal);

    /// <summary>The children in the order they were added.</summary>
    public IReadOnlyList<BuildNode> Children => _children;

    public bool TryGet(string name, out BuildNode child)
    {
        _byName ??= _children.ToDictionary(c => c.Name, StringComparer.Ordinal);
        return _byName.TryGetValue(name, out child!);
    }

    public void Add(BuildNode child)
    {
        _byName ??= _children.ToDictionary(c => c.Name, StringComparer.Ordinal);
        _byName.Add(child.Name, child);
        _children.Add(child);
    }

    /// <summary>Drops the name index (rebuilt if a lookup follows): the layout needs only the list, and memory is per entry.</summary>
    public void Seal() => _byName = null;
    /// <summary>Primary-tree children sorted per ECMA-119 §9.3 (relocated directories appear under the relocation directory).</summary>
    public List<BuildNode>? IsoChildren { get; set; }
    /// <summary>Joliet-tree children sorted by UCS-2 code units.</summary>
    public List<BuildNode>? JolietChildren { get; set; }
    /// <summary>The primary-tree parent: the real parent, or the relocation directory for a relocated directory.</summary>
    public BuildNode? IsoParent { get; set; }
    /// <summary>A relocated directory's identifier inside the relocation directory.</summary>
    public byte[]? RelocatedIsoId { get; set; }
    public uint Extent { get; set; }
    public uint Size { get; set; }
    /// <summary>The first of the blocks right after this directory that hold its records' continuation areas.</summary>
    public uint ContinuationStart { get; set; }
    public int ContinuationBlocks { get; set; }
    public uint JolietExtent { get; set; }
    public uint JolietSize { get; set; }
    public int PathTableNumber { get; set; }
    public int JolietPathTableNumber { get; set; }
    /// <summary>The continuation areas of this directory's "." record (the root's ER entry).</summary>
    public List<ContinuationArea>? DotContinuation { get; set; }
    /// <summary>The continuation areas of a relocated directory's record inside the relocation directory.</summary>
    public List<ContinuationArea>? RelocatedContinuation { get; set; }
}

/// <summary>One entry of the tree being built (memory per entry is what bounds a build's memory).</summary>
internal sealed class BuildNode
{
    public required string Name { get; init; }
    public required BuildNodeKind Kind { get; init; }
    public BuildNode? Parent { get; init; }
    /// <summary>Modification time, seconds since 1970 (UTC).</summary>
    public long Seconds { get; set; }
    public short Mode { get; set; }
    public FileData? Data { get; set; }
    public string? SymlinkTarget { get; init; }
    public DirectoryPart? Dir { get; init; }

    // ---- Layout (filled by IsoImageWriter) ----
    /// <summary>The ISO 9660 identifier bytes (d-characters, with ";1" for files).</summary>
    public byte[] IsoId { get; set; } = [];
    /// <summary>The Joliet name (the same string as <see cref="Name"/> when nothing had to change).</summary>
    public string JolietName { get; set; } = "";
    /// <summary>A directory moved to the relocation directory (RRIP §4.1.5): its real parent holds a CL placeholder.</summary>
    public bool IsRelocated { get; set; }
    /// <summary>The Rock Ridge relocation directory itself.</summary>
    public bool IsRelocationDirectory { get; set; }
    /// <summary>Continuation areas (block relative to the parent's continuation blocks, offset, length) of this entry's record in its primary parent.</summary>
    public List<ContinuationArea>? Continuation { get; set; }

    public bool IsDirectory => Kind == BuildNodeKind.Directory;
    public DateTimeOffset ModificationTime => DateTimeOffset.FromUnixTimeSeconds(Seconds);
    public IReadOnlyList<BuildNode>? Children => Dir?.Children;

    public string FullPath => Parent is null ? "/" : (Parent.Parent is null ? "/" + Name : Parent.FullPath + "/" + Name);
}

/// <summary>A SUSP continuation area (IEEE P1281 §5.1): a byte range inside one block.</summary>
internal readonly record struct ContinuationArea(uint Block, int Offset, int Length);
