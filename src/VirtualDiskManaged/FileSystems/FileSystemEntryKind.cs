namespace VirtualDiskManaged.FileSystems;

/// <summary>What an entry of a file system is.</summary>
public enum FileSystemEntryKind
{
    /// <summary>A regular file.</summary>
    File = 0,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (see <see cref="FileSystemEntry.SymlinkTarget"/>).</summary>
    Symlink,

    /// <summary>A block device node.</summary>
    BlockDevice,

    /// <summary>A character device node.</summary>
    CharacterDevice,

    /// <summary>A named pipe (FIFO).</summary>
    Fifo,

    /// <summary>A socket.</summary>
    Socket,
}
