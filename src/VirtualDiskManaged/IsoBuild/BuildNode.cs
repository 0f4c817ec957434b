using PosixFileType = VirtualDiskManaged.FileSystems.PosixFileType;

namespace VirtualDiskManaged.IsoBuild;

internal enum BuildNodeKind : byte { File, Directory, Symlink, Special }

/// <summary>A device node, FIFO or socket: its POSIX file type bits (S_IFMT) and, for devices, the device number.</summary>
internal sealed class SpecialFile(int typeBits, uint major, uint minor)
{
    public int TypeBits { get; } = typeBits;
    public uint Major { get; } = major;
    public uint Minor { get; } = minor;
    public bool IsDevice => TypeBits is PosixFileType.CharacterDevice or PosixFileType.BlockDevice;
}


/// <summary>A host file whose name differs from its image name: the whole host path (rare: only <c>AddFile</c> with another name).</summary>
internal sealed class HostPath(string path)
{
    public string Path { get; } = path;
}

/// <summary>
/// One entry of the tree being built. Memory per entry is what bounds a build's memory (docs/mkiso.md "Memory"),
/// so a node is one small object: its name, one source reference whose meaning depends on the kind,
/// its time and mode, and for files the length and the layout's extent. ISO 9660 and Joliet identifiers are not
/// stored: the writer derives them per directory while it lays out or writes that directory.
/// </summary>
internal sealed class BuildNode
{
    /// <summary>
    /// What the node refers to. Directory: its <see cref="DirectoryPart"/>. Symbolic link: the target string.
    /// Special file: its <see cref="SpecialFile"/>.
    /// File: the host folder string (shared by every file of that folder; the host name is <see cref="Name"/>), a
    /// <see cref="HostPath"/>, a caller's <c>Func&lt;Stream&gt;</c>, or the first <see cref="BuildNode"/> of its hard-link
    /// group, which owns the data (<see cref="Data"/>).
    /// </summary>
    private readonly object? _source;

    public BuildNode(string name, BuildNodeKind kind, object? source)
    {
        Name = name;
        Kind = kind;
        _source = source;
    }

    public string Name { get; }
    public BuildNodeKind Kind { get; }
    /// <summary>Modification time, seconds since 1970 (UTC).</summary>
    public long Seconds { get; set; }
    public short Mode { get; set; }

    /// <summary>A file's length in bytes (the data owner's, for every link).</summary>
    public long Length { get; init; }
    /// <summary>How many names share this file's data (set on the data owner).</summary>
    public int LinkCount { get; set; }
    /// <summary>Layout: the first block of the file's (contiguous) sections (set on the data owner).</summary>
    public uint Extent { get; set; }
    /// <summary>Layout: the data owner is already in the file-data order.</summary>
    public bool Placed { get; set; }

    public DirectoryPart? Dir => _source as DirectoryPart;
    public string? SymlinkTarget => Kind == BuildNodeKind.Symlink ? (string)_source! : null;
    public SpecialFile? Special => _source as SpecialFile;
    /// <summary>The node that owns a file's data: the first name of its hard-link group, or the node itself.</summary>
    public BuildNode Data => _source as BuildNode ?? this;

    public bool IsDirectory => Kind == BuildNodeKind.Directory;
    public bool IsRelocated => Dir?.IsRelocated == true;
    public bool IsRelocationDirectory => Dir?.IsRelocationDirectory == true;
    public DateTimeOffset ModificationTime => DateTimeOffset.FromUnixTimeSeconds(Seconds);
    public ReadOnlySpan<BuildNode> Children => Dir is { } d ? d.Children : default;

    /// <summary>A file's host path, or null for a caller's stream.</summary>
    public string? SourceName => _source switch
    {
        string folder when Kind == BuildNodeKind.File => Path.Join(folder, Name),
        HostPath p => p.Path,
        BuildNode owner => owner.SourceName,
        _ => null,
    };

    /// <summary>Whether this data owner's bytes come from the host file <paramref name="folder"/>/<paramref name="name"/>.</summary>
    public bool IsHostFile(string folder, string name, StringComparison comparison) => _source switch
    {
        string f when Kind == BuildNodeKind.File => string.Equals(Name, name, comparison) && string.Equals(Path.TrimEndingDirectorySeparator(f), Path.TrimEndingDirectorySeparator(folder), comparison),
        HostPath p => string.Equals(p.Path, Path.Join(folder, name), comparison),
        _ => false,
    };

    /// <summary>A file's host path when its bytes come from a host file (not a caller's stream), else null.</summary>
    public string? HostSourcePath => Data._source is Func<Stream> ? null : SourceName;

    public Stream OpenRead() => _source switch
    {
        Func<Stream> open => open(),
        BuildNode owner => owner.OpenRead(),
        _ => new FileStream(SourceName!, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan),
    };

    /// <summary>The image path of a directory node (error messages only: rebuilt from the parents).</summary>
    public string DirectoryPath
    {
        get
        {
            var d = Dir!;
            if (d.Parent is null) return "/";
            var parts = new List<string>();
            for (var n = this; n.Dir!.Parent is not null; n = n.Dir!.Parent) parts.Add(n.Name);
            parts.Reverse();
            return "/" + string.Join('/', parts);
        }
    }

    /// <summary>The image path of a child of <paramref name="parent"/> (error messages only).</summary>
    public static string PathOf(BuildNode parent, string name) => parent.Dir!.Parent is null ? "/" + name : parent.DirectoryPath + "/" + name;
}

/// <summary>What only a directory has: its children (sorted by name, ordinal), its parent, where its records go.</summary>
/// <remarks>
/// The children are one array: a sorted run <c>[0, sorted)</c> and, for names added out of order, a second sorted
/// run <c>[sorted, count)</c> kept shorter than about √count and merged into the first when it grows past that
/// (and before the children are read). A walk adds in name order and only appends; any order costs O(√n) per add.
/// </remarks>
internal sealed class DirectoryPart(BuildNode? parent)
{
    private BuildNode[] _children = [];
    private int _count, _sorted;

    /// <summary>The real parent (null for the root).</summary>
    public BuildNode? Parent { get; } = parent;

    /// <summary>The children in ordinal order of their names (exact-size once <see cref="Trim"/> ran).</summary>
    public ReadOnlySpan<BuildNode> Children
    {
        get
        {
            if (_sorted != _count) Merge();
            return _children.AsSpan(0, _count);
        }
    }

    public bool TryGet(string name, out BuildNode child)
    {
        int i = Find(0, _sorted, name);
        if (i < 0 && _sorted != _count) i = Find(_sorted, _count, name);
        child = i >= 0 ? _children[i] : null!;
        return i >= 0;
    }

    /// <summary>Adds a child whose name is not yet present (callers check with <see cref="TryGet"/>).</summary>
    public void Add(BuildNode child)
    {
        if (_count == _children.Length) Array.Resize(ref _children, Math.Max(4, _count * 2));
        if (_sorted == _count && (_count == 0 || string.CompareOrdinal(_children[_count - 1].Name, child.Name) < 0))
        {
            _children[_count++] = child;
            _sorted = _count;
            return;
        }
        int at = Find(_sorted, _count, child.Name);
        if (at >= 0) throw new InvalidOperationException("Duplicate child " + child.Name);
        at = ~at;
        Array.Copy(_children, at, _children, at + 1, _count - at);
        _children[at] = child;
        _count++;
        long tail = _count - _sorted;
        if (tail > 32 && tail * tail > _count) Merge();
    }

    /// <summary>Drops the growth slack of the child array (memory is per entry: docs/mkiso.md "Memory").</summary>
    public void Trim()
    {
        if (_sorted != _count) Merge();
        if (_children.Length != _count) Array.Resize(ref _children, _count);
    }

    /// <summary>Merges the two sorted runs into one (a new array; names are distinct, so the order is total).</summary>
    private void Merge()
    {
        var merged = new BuildNode[Math.Max(_children.Length, _count)];
        int i = 0, j = _sorted, k = 0;
        while (i < _sorted && j < _count)
            merged[k++] = string.CompareOrdinal(_children[i].Name, _children[j].Name) < 0 ? _children[i++] : _children[j++];
        while (i < _sorted) merged[k++] = _children[i++];
        while (j < _count) merged[k++] = _children[j++];
        _children = merged;
        _sorted = _count;
    }

    /// <summary>Binary search of one sorted run <c>[lo, hi)</c>: the index, or the complement of the insertion point.</summary>
    private int Find(int lo, int hi, string name)
    {
        hi--;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = string.CompareOrdinal(_children[mid].Name, name);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return ~lo;
    }

    // ---- Layout (filled by IsoImageWriter) ----
    /// <summary>A directory moved to the relocation directory (RRIP §4.1.5): its real parent holds a CL placeholder.</summary>
    public bool IsRelocated { get; set; }
    /// <summary>The Rock Ridge relocation directory itself.</summary>
    public bool IsRelocationDirectory { get; init; }
    /// <summary>The primary-tree parent: the real parent, or the relocation directory for a relocated directory.</summary>
    public BuildNode? IsoParent { get; set; }
    /// <summary>This directory's identifier in its real parent (ECMA-119 §7.6), for the path table.</summary>
    public byte[] IsoId { get; set; } = [];
    /// <summary>A relocated directory's identifier inside the relocation directory.</summary>
    public byte[]? RelocatedIsoId { get; set; }
    /// <summary>This directory's Joliet name in its parent, for the Joliet path table.</summary>
    public string JolietName { get; set; } = "";
    public uint Extent { get; set; }
    public uint Size { get; set; }
    /// <summary>The first of the blocks right after this directory that hold its records' continuation areas.</summary>
    public uint ContinuationStart { get; set; }
    public int ContinuationBlocks { get; set; }
    public uint JolietExtent { get; set; }
    public uint JolietSize { get; set; }
    public int PathTableNumber { get; set; }
    public int JolietPathTableNumber { get; set; }
}

/// <summary>A SUSP continuation area (IEEE P1281 §5.1): a byte range inside one block.</summary>
internal readonly record struct ContinuationArea(uint Block, int Offset, int Length);
