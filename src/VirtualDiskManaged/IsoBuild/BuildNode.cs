namespace VirtualDiskManaged.IsoBuild;

internal enum BuildNodeKind { File, Directory, Symlink }

/// <summary>Where a file's bytes come from; shared by every hard link of one file.</summary>
internal sealed class FileData
{
    public required Func<Stream> Open { get; init; }
    public required long Length { get; init; }
    public string? SourceName { get; init; }
    public int LinkCount { get; set; }

    // Layout: the first block of the file's (contiguous) sections.
    public uint Extent { get; set; }
    /// <summary>The first of the blocks right after this directory that hold its records' continuation areas.</summary>
    public uint ContinuationStart { get; set; }
    public int ContinuationBlocks { get; set; }
    public bool Placed { get; set; }
}

/// <summary>One entry of the tree being built.</summary>
internal sealed class BuildNode
{
    public required string Name { get; init; }
    public required BuildNodeKind Kind { get; init; }
    public BuildNode? Parent { get; init; }
    public DateTimeOffset ModificationTime { get; set; }
    public int Mode { get; set; }
    public FileData? Data { get; set; }
    public string? SymlinkTarget { get; init; }

    /// <summary>Children by name (ordinal), for directories.</summary>
    public Dictionary<string, BuildNode>? Children { get; init; }

    // ---- Layout (filled by IsoLayout) ----
    /// <summary>The ISO 9660 identifier bytes (d-characters, with ";1" for files).</summary>
    public byte[] IsoId { get; set; } = [];
    /// <summary>The Joliet identifier (UCS-2 big-endian bytes).</summary>
    public byte[] JolietId { get; set; } = [];
    /// <summary>The primary-tree parent: the real parent, or the relocation directory for a relocated directory.</summary>
    public BuildNode? IsoParent { get; set; }
    /// <summary>Primary-tree children sorted per ECMA-119 §9.3 (relocated directories appear under the relocation directory).</summary>
    public List<BuildNode>? IsoChildren { get; set; }
    /// <summary>Joliet-tree children sorted by UCS-2 code units.</summary>
    public List<BuildNode>? JolietChildren { get; set; }
    /// <summary>A directory moved to the relocation directory (RRIP §4.1.5): its real parent holds a CL placeholder.</summary>
    public bool IsRelocated { get; set; }
    /// <summary>The Rock Ridge relocation directory itself.</summary>
    public bool IsRelocationDirectory { get; set; }
    public uint Extent { get; set; }
    /// <summary>The first of the blocks right after this directory that hold its records' continuation areas.</summary>
    public uint ContinuationStart { get; set; }
    public int ContinuationBlocks { get; set; }
    public uint Size { get; set; }
    public uint JolietExtent { get; set; }
    public uint JolietSize { get; set; }
    public int PathTableNumber { get; set; }
    public int JolietPathTableNumber { get; set; }
    /// <summary>Continuation areas (block relative to the parent's continuation blocks, offset, length) of this entry's record in its primary parent.</summary>
    public List<ContinuationArea>? Continuation { get; set; }
    /// <summary>Continuation areas of a relocated directory's record inside the relocation directory.</summary>
    public List<ContinuationArea>? RelocatedContinuation { get; set; }
    /// <summary>For the root: the continuation area of its "." record (the ER entry).</summary>
    public List<ContinuationArea>? DotContinuation { get; set; }

    public bool IsDirectory => Kind == BuildNodeKind.Directory;

    public string FullPath => Parent is null ? "/" : (Parent.Parent is null ? "/" + Name : Parent.FullPath + "/" + Name);
}

/// <summary>A SUSP continuation area (IEEE P1281 §5.1): a byte range inside one block.</summary>
internal readonly record struct ContinuationArea(uint Block, int Offset, int Length);
