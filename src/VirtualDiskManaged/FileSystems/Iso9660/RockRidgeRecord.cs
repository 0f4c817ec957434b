using System.Text;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>The ZF entry of a zisofs file (zisofs format, "pz" algorithm; RRIP extension used by mkzftree/libisofs).</summary>
internal readonly record struct ZisofsInfo(string Algorithm, int HeaderSizeDiv4, int BlockSizeLog2, uint UncompressedSize, int Version, long EntryOffset);

/// <summary>
/// What the SUSP/RRIP entries of one directory record say (IEEE P1282 §4.1: PX, PN, SL, NM, CL, PL, RE, TF;
/// plus ZF). Reused from record to record; every accumulated text is capped.
/// </summary>
internal sealed class RockRidgeRecord
{
    /// <summary>Names longer than this (bytes) are cut (POSIX names are at most 255 bytes; Linux cuts at 254).</summary>
    public const int MaxNameBytes = 1024;

    /// <summary>Symbolic link targets longer than this (characters) are cut (Linux bounds them by a page).</summary>
    public const int MaxSymlinkChars = 4096;

    private readonly byte[] _name = new byte[MaxNameBytes];
    private readonly StringBuilder _symlink = new();
    private bool _slashPending;

    public bool Any;
    public int NameLength;
    public bool HasName, NameTruncated, SymlinkTruncated;
    public bool HasPx;
    public uint Mode, Links, Uid, Gid;
    public uint? Serial;
    public bool HasPn;
    public uint DeviceHigh, DeviceLow;
    public bool HasSymlink;
    public DateTimeOffset? Created, Modified, Accessed, AttributesChanged;
    public uint? ChildLink, ParentLink;
    public bool Relocated;
    public ZisofsInfo? Zisofs;

    // Root "." only.
    public bool HasSp;
    public int SpSkip;
    public List<string>? ExtensionIds;

    public ReadOnlySpan<byte> Name => _name.AsSpan(0, NameLength);

    public string? SymlinkTarget => HasSymlink ? _symlink.ToString() : null;

    public void Reset()
    {
        Any = HasName = NameTruncated = SymlinkTruncated = HasPx = HasPn = HasSymlink = Relocated = HasSp = false;
        NameLength = 0;
        Mode = Links = Uid = Gid = DeviceHigh = DeviceLow = 0;
        Serial = null;
        Created = Modified = Accessed = AttributesChanged = null;
        ChildLink = ParentLink = null;
        Zisofs = null;
        SpSkip = 0;
        _symlink.Clear();
        _slashPending = false;
    }

    /// <summary>RRIP NM (IEEE P1282 §4.1.4): appends name bytes; false when the cap cut them.</summary>
    public bool AppendName(ReadOnlySpan<byte> bytes)
    {
        HasName = true;
        int room = MaxNameBytes - NameLength;
        int n = Math.Min(room, bytes.Length);
        bytes[..n].CopyTo(_name.AsSpan(NameLength));
        NameLength += n;
        if (n < bytes.Length) NameTruncated = true;
        return n == bytes.Length;
    }

    /// <summary>
    /// RRIP SL component (IEEE P1282 §4.1.3.1): flags bit 0 CONTINUE, 1 CURRENT, 2 PARENT, 3 ROOT. Components
    /// are joined with "/" unless a component continues in the next one; ROOT starts the target with "/".
    /// </summary>
    public void AppendSymlinkComponent(int flags, ReadOnlySpan<byte> content)
    {
        HasSymlink = true;
        if (_slashPending) Append("/");
        switch (flags & 0x0E)
        {
            case 0x02: Append("."); break;
            case 0x04: Append(".."); break;
            case 0x08: Append("/"); break;
            default: Append(JolietName.Bytes(content)); break;
        }
        _slashPending = (flags & 0x01) == 0 && (flags & 0x08) == 0;
    }

    private void Append(string s)
    {
        int room = MaxSymlinkChars - _symlink.Length;
        if (s.Length > room) { SymlinkTruncated = true; s = s[..Math.Max(0, room)]; }
        _symlink.Append(s);
    }

    /// <summary>The entry kind PX's file type bits give (POSIX st_mode S_IFMT), or null for regular/unknown.</summary>
    public FileSystemEntryKind? KindFromMode() => HasPx ? PosixFileType.KindOf((int)Mode) : null;

    /// <summary>
    /// RRIP PN: the device number as major &lt;&lt; 32 | minor; a zero high word with a low word above 0xFF is the old
    /// 16-bit encoding (major &lt;&lt; 8 | minor), as Linux rock.c reads it.
    /// </summary>
    public long? DeviceNumber()
    {
        if (!HasPn) return null;
        if (DeviceHigh == 0 && (DeviceLow & ~0xFFu) != 0) return (long)(DeviceLow >> 8) << 32 | (DeviceLow & 0xFF);
        return (long)DeviceHigh << 32 | DeviceLow;
    }
}
