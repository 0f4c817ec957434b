namespace VirtualDiskManaged.FileSystems;

/// <summary>
/// One entry of a file system tree, as the namespace that was read describes it. Values a namespace does
/// not record are null (plain ISO 9660 has no POSIX mode; Joliet has no links).
/// </summary>
public sealed class FileSystemEntry
{
    // The optional values are stored without Nullable<T> wrappers, with one bit each in _present saying whether
    // the value was recorded: a listing holds one entry per file in flight, and this keeps each entry ~70 bytes
    // smaller.
    private int _present;
    private DateTimeOffset _modificationTime;
    private DateTimeOffset _accessTime;
    private DateTimeOffset _attributeChangeTime;
    private DateTimeOffset _creationTime;
    private int _mode;
    private long _userId;
    private long _groupId;
    private long _linkCount;
    private long _serialNumber;
    private long _deviceNumber;

    /// <summary>The entry's name as readers show it (ISO 9660: without the <c>;1</c> version and trailing dot).</summary>
    public required string Name { get; init; }

    /// <summary>The absolute, <c>/</c>-separated path from the volume's root (the root itself is <c>/</c>).</summary>
    public required string Path { get; init; }

    /// <summary>The identifier exactly as recorded (ISO 9660: with version suffix; UDF: the decoded d-string).</summary>
    public string RawName { get; init; } = "";

    /// <summary>File, directory, symbolic link or special file.</summary>
    public required FileSystemEntryKind Kind { get; init; }

    /// <summary>The content length in bytes (for a zisofs file: the uncompressed length).</summary>
    public long Length { get; init; }

    /// <summary>For a symbolic link: its target as recorded; otherwise null.</summary>
    public string? SymlinkTarget { get; init; }

    /// <summary>Last modification time (ISO 9660 recording date or RRIP TF modify; UDF modification time).</summary>
    public DateTimeOffset? ModificationTime
    {
        get => (_present & (1 << 0)) != 0 ? _modificationTime : null;
        init { if (value is { } v) { _modificationTime = v; _present |= 1 << 0; } }
    }

    /// <summary>Last access time, when recorded.</summary>
    public DateTimeOffset? AccessTime
    {
        get => (_present & (1 << 1)) != 0 ? _accessTime : null;
        init { if (value is { } v) { _accessTime = v; _present |= 1 << 1; } }
    }

    /// <summary>Attribute change time, when recorded.</summary>
    public DateTimeOffset? AttributeChangeTime
    {
        get => (_present & (1 << 2)) != 0 ? _attributeChangeTime : null;
        init { if (value is { } v) { _attributeChangeTime = v; _present |= 1 << 2; } }
    }

    /// <summary>Creation time, when recorded.</summary>
    public DateTimeOffset? CreationTime
    {
        get => (_present & (1 << 3)) != 0 ? _creationTime : null;
        init { if (value is { } v) { _creationTime = v; _present |= 1 << 3; } }
    }

    /// <summary>POSIX permission bits (the low 12 bits of st_mode), when recorded.</summary>
    public int? Mode
    {
        get => (_present & (1 << 4)) != 0 ? _mode : null;
        init { if (value is { } v) { _mode = v; _present |= 1 << 4; } }
    }

    /// <summary>POSIX owner, when recorded.</summary>
    public long? UserId
    {
        get => (_present & (1 << 5)) != 0 ? _userId : null;
        init { if (value is { } v) { _userId = v; _present |= 1 << 5; } }
    }

    /// <summary>POSIX group, when recorded.</summary>
    public long? GroupId
    {
        get => (_present & (1 << 6)) != 0 ? _groupId : null;
        init { if (value is { } v) { _groupId = v; _present |= 1 << 6; } }
    }

    /// <summary>Hard link count, when recorded.</summary>
    public long? LinkCount
    {
        get => (_present & (1 << 7)) != 0 ? _linkCount : null;
        init { if (value is { } v) { _linkCount = v; _present |= 1 << 7; } }
    }

    /// <summary>The file serial number (inode) the volume records, when recorded.</summary>
    public long? SerialNumber
    {
        get => (_present & (1 << 8)) != 0 ? _serialNumber : null;
        init { if (value is { } v) { _serialNumber = v; _present |= 1 << 8; } }
    }

    /// <summary>For device nodes: the device number (major &lt;&lt; 32 | minor), when recorded.</summary>
    public long? DeviceNumber
    {
        get => (_present & (1 << 9)) != 0 ? _deviceNumber : null;
        init { if (value is { } v) { _deviceNumber = v; _present |= 1 << 9; } }
    }

    /// <summary>The hidden (ISO 9660 "existence") flag.</summary>
    public bool IsHidden { get; init; }

    /// <summary>The associated-file flag (ISO 9660) or a named stream (UDF).</summary>
    public bool IsAssociated { get; init; }

    /// <summary>The runs of recorded bytes in order (several for multi-extent or fragmented files).</summary>
    public IReadOnlyList<FileExtent> Extents { get; init; } = [];

    /// <summary>The byte offset in the volume of the record that describes this entry (for diagnostics).</summary>
    public long RecordOffset { get; init; }

    /// <summary>True for <see cref="FileSystemEntryKind.Directory"/>.</summary>
    public bool IsDirectory => Kind == FileSystemEntryKind.Directory;

    /// <summary>The format's own per-entry state (internal: lets the reader find the entry again without a lookup).</summary>
    internal object? Tag { get; init; }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        FileSystemEntryKind.Directory => Path + "/",
        FileSystemEntryKind.Symlink => $"{Path} -> {SymlinkTarget}",
        _ => $"{Path} ({Counted.Of(Length, "byte")})",
    };
}
