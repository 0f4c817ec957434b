namespace VirtualDiskManaged.FileSystems;

/// <summary>
/// One entry of a file system tree, as the namespace that was read describes it. Values a namespace does
/// not record are null (plain ISO 9660 has no POSIX mode; Joliet has no links).
/// </summary>
public sealed class FileSystemEntry
{
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
    public DateTimeOffset? ModificationTime { get; init; }

    /// <summary>Last access time, when recorded.</summary>
    public DateTimeOffset? AccessTime { get; init; }

    /// <summary>Attribute change time, when recorded.</summary>
    public DateTimeOffset? AttributeChangeTime { get; init; }

    /// <summary>Creation time, when recorded.</summary>
    public DateTimeOffset? CreationTime { get; init; }

    /// <summary>POSIX permission bits (the low 12 bits of st_mode), when recorded.</summary>
    public int? Mode { get; init; }

    /// <summary>POSIX owner, when recorded.</summary>
    public long? UserId { get; init; }

    /// <summary>POSIX group, when recorded.</summary>
    public long? GroupId { get; init; }

    /// <summary>Hard link count, when recorded.</summary>
    public long? LinkCount { get; init; }

    /// <summary>The file serial number (inode) the volume records, when recorded.</summary>
    public long? SerialNumber { get; init; }

    /// <summary>For device nodes: the device number (major &lt;&lt; 32 | minor), when recorded.</summary>
    public long? DeviceNumber { get; init; }

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
