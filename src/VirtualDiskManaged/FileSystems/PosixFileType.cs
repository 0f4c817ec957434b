namespace VirtualDiskManaged.FileSystems;

/// <summary>
/// POSIX st_mode file type bits (S_IFMT, sys/stat.h): what stat(2) gives for a host file and what Rock Ridge PX records
/// for an entry (RRIP §4.1.1), with the one mapping to <see cref="FileSystemEntryKind"/> both directions use.
/// </summary>
internal static class PosixFileType
{
    public const int Mask = 0xF000, Fifo = 0x1000, CharacterDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000,
        Regular = 0x8000, Symlink = 0xA000, Socket = 0xC000;

    public static bool IsSpecial(int typeBits) => typeBits is Fifo or CharacterDevice or BlockDevice or Socket;

    /// <summary>The entry kind of a mode's type bits, or null for a regular file or an unknown type.</summary>
    public static FileSystemEntryKind? KindOf(int mode) => (mode & Mask) switch
    {
        Symlink => FileSystemEntryKind.Symlink,
        BlockDevice => FileSystemEntryKind.BlockDevice,
        CharacterDevice => FileSystemEntryKind.CharacterDevice,
        Fifo => FileSystemEntryKind.Fifo,
        Socket => FileSystemEntryKind.Socket,
        Directory => FileSystemEntryKind.Directory,
        _ => null,
    };

    /// <summary>The type bits of a device node, FIFO or socket kind; 0 for any other kind.</summary>
    public static int SpecialTypeBits(FileSystemEntryKind kind) => kind switch
    {
        FileSystemEntryKind.CharacterDevice => CharacterDevice,
        FileSystemEntryKind.BlockDevice => BlockDevice,
        FileSystemEntryKind.Fifo => Fifo,
        FileSystemEntryKind.Socket => Socket,
        _ => 0,
    };
}
