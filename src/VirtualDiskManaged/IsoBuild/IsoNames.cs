using System.Text;

namespace VirtualDiskManaged.IsoBuild;

/// <summary>
/// Maps names to ISO 9660 identifiers per interchange level (ECMA-119 §7.5, §7.6, §10) and to Joliet identifiers,
/// resolving collisions deterministically, and orders records (§9.3).
/// </summary>
internal static class IsoNames
{
    /// <summary>Joliet's limit (64 UCS-2 characters) and mkisofs' <c>-joliet-long</c> limit (103, what fits a record).</summary>
    public const int JolietMaxChars = 64, JolietLongMaxChars = 103;

    private static bool IsDChar(char c) => c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '_';

    /// <summary>Splits a file name at its last dot into name and extension (a leading dot belongs to the name).</summary>
    private static (string Name, string Ext) Split(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot <= 0 ? (name, "") : (name[..dot], name[(dot + 1)..]);
    }

    /// <summary>
    /// Assigns ISO identifiers to <paramref name="children"/> (one directory's entries). Level 1: 8.3 files and
    /// 8-character directories; levels 2–3: name + extension ≤ 30, directories ≤ 31 (§7.5.2, §7.6.3). Files get
    /// the version ";1" and always a separator dot (§7.5.1). Collisions, in the ordinal order of the original
    /// names, get a decimal counter in the name's last characters. <paramref name="children"/> must be in that order
    /// (stable for equal names); the identifiers are returned in the same order.
    /// </summary>
    public static byte[][] AssignIsoIds(List<BuildNode> children, int level)
    {
        var used = new HashSet<string>(children.Count, StringComparer.Ordinal);
        var spans = used.GetAlternateLookup<ReadOnlySpan<char>>();
        var result = new byte[children.Count][];
        Span<char> buffer = stackalloc char[64];
        for (int index = 0; index < children.Count; index++)
        {
            var node = children[index];
            bool isFile = !node.IsDirectory;
            int length = Compose(node.Name, isFile, level, buffer, out int nameEnd, out int extEnd, out int maxName);
            if (spans.Add(buffer[..length]))
            {
                result[index] = ToBytes(buffer[..length]);
                continue;
            }
            // A collision: the counter loop of Unique (the identifier as composed is taken).
            string name = new(isFile ? buffer[..nameEnd] : buffer[..length]);
            string ext = isFile ? new string(buffer[(nameEnd + 1)..extEnd]) : "";
            result[index] = Encoding.ASCII.GetBytes(Unique(name, ext, maxName, used, isFile));
        }
        return result;
    }

    /// <summary>
    /// The identifiers <see cref="AssignIsoIds"/> gives when no two composed identifiers collide (no set, one array
    /// per entry). The caller checks for equal neighbours after sorting and falls back to <see cref="AssignIsoIds"/>.
    /// </summary>
    public static byte[][] ComposeIsoIds(List<BuildNode> children, int level)
    {
        var result = new byte[children.Count][];
        Span<char> buffer = stackalloc char[64];
        for (int index = 0; index < children.Count; index++)
        {
            var node = children[index];
            int length = Compose(node.Name, !node.IsDirectory, level, buffer, out _, out _, out _);
            result[index] = ToBytes(buffer[..length]);
        }
        return result;
    }

    private static byte[] ToBytes(ReadOnlySpan<char> id)
    {
        var bytes = new byte[id.Length];
        for (int i = 0; i < id.Length; i++) bytes[i] = (byte)id[i];
        return bytes;
    }

    /// <summary>
    /// Composes a name's identifier before collisions: a directory's mapped name (dots too become '_') cut to 8 or
    /// 31; a file's mapped name and extension (split at the last dot) cut to the level's limits, then ".", ";1".
    /// </summary>
    private static int Compose(string full, bool isFile, int level, Span<char> buffer, out int nameEnd, out int extEnd, out int maxName)
    {
        int length;
        if (!isFile)
        {
            maxName = level == 1 ? 8 : 31;
            length = Math.Min(full.Length, maxName);
            for (int i = 0; i < length; i++) buffer[i] = DChar(full[i]);
            if (length == 0) buffer[length++] = '_';
            nameEnd = extEnd = length;
            return length;
        }
        int dot = full.LastIndexOf('.');
        int nameLength = dot <= 0 ? full.Length : dot;
        int extStart = dot <= 0 ? full.Length : dot + 1;
        int extLength = full.Length - extStart;
        int maxExt;
        if (level == 1) { maxName = 8; maxExt = 3; }
        else { maxExt = Math.Min(extLength, Math.Max(10, 30 - nameLength)); maxName = 30 - maxExt; }
        int nameTake = Math.Min(nameLength, maxName), extTake = Math.Min(extLength, maxExt);
        length = 0;
        for (int i = 0; i < nameTake; i++) buffer[length++] = DChar(full[i]);
        if (nameTake == 0 && extTake == 0) buffer[length++] = '_';
        nameEnd = length;
        buffer[length++] = '.';
        for (int i = 0; i < extTake; i++) buffer[length++] = DChar(full[extStart + i]);
        extEnd = length;
        buffer[length++] = ';';
        buffer[length++] = '1';
        return length;
    }

    /// <summary>A character of a name as a d-character (ECMA-119 §7.4.1): a–z upper-cased, anything else not A–Z, 0–9 or _ becomes _.</summary>
    private static char DChar(char c)
    {
        char u = c is >= 'a' and <= 'z' ? (char)(c - 32) : c;
        return IsDChar(u) ? u : '_';
    }

    private static string Unique(string name, string ext, int maxName, HashSet<string> used, bool isFile)
    {
        string Compose(string n) => isFile ? n + "." + ext + ";1" : n;
        string candidate = Compose(name);
        for (int counter = 1; !used.Add(candidate); counter++)
        {
            string digits = counter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string stem = name.Length + digits.Length > maxName ? name[..Math.Max(0, maxName - digits.Length)] : name;
            candidate = Compose(stem + digits);
        }
        return candidate;
    }

    /// <summary>
    /// Assigns Joliet identifiers (UCS-2 big-endian; UTF-16 surrogate pairs for characters beyond the BMP, never
    /// split): the characters Joliet forbids (controls, <c>* / : ; ? \</c>) become <c>_</c>; longer names keep
    /// their extension and lose the end of the name; collisions get a decimal counter. <paramref name="children"/>
    /// must be in ordinal name order; the names are returned in the same order.
    /// </summary>
    public static string[] AssignJolietIds(List<BuildNode> children, bool longNames)
    {
        int max = longNames ? JolietLongMaxChars : JolietMaxChars;
        var used = new HashSet<string>(children.Count, StringComparer.Ordinal);
        var result = new string[children.Count];
        for (int index = 0; index < children.Count; index++)
        {
            var node = children[index];
            if (FitsJoliet(node, max) && used.Add(node.Name))
            {
                result[index] = node.Name;
                continue;
            }
            var sb = new StringBuilder(node.Name.Length);
            foreach (char c in node.Name) sb.Append(c < 0x20 || c is '*' or '/' or ':' or ';' or '?' or '\\' ? '_' : c);
            string full = sb.ToString();
            var (name, ext) = node.IsDirectory ? (full, "") : Split(full);
            if (ext.Length > 16) { name = full; ext = ""; }
            string candidate = Fit(name, ext, max, "");
            for (int counter = 1; !used.Add(candidate); counter++)
                candidate = Fit(name, ext, max, counter.ToString(System.Globalization.CultureInfo.InvariantCulture));
            result[index] = candidate == node.Name ? node.Name : candidate;
        }
        return result;
    }

    /// <summary>Whether a name is its own Joliet name: no character Joliet forbids, within the limit, not ending in a dot after a name (that dot would go).</summary>
    public static bool FitsJoliet(BuildNode node, int max)
    {
        string name = node.Name;
        if (name.Length > max) return false;
        foreach (char c in name) if (c < 0x20 || c is '*' or '/' or ':' or ';' or '?' or '\\') return false;
        return node.IsDirectory || name.LastIndexOf('.') is var dot && (dot <= 0 || dot < name.Length - 1);
    }

    private static string Fit(string name, string ext, int max, string suffix)
    {
        int room = max - suffix.Length - (ext.Length > 0 ? ext.Length + 1 : 0);
        if (name.Length > room)
        {
            int cut = Math.Max(0, room);
            if (cut > 0 && char.IsHighSurrogate(name[cut - 1])) cut--;
            name = name[..cut];
        }
        return ext.Length > 0 ? name + suffix + "." + ext : name + suffix;
    }

    /// <summary>
    /// ECMA-119 §9.3 order of file identifiers: name, then extension, each padded with spaces; then version
    /// descending. Directory identifiers have no extension or version.
    /// </summary>
    public static int CompareIsoIds(byte[] a, byte[] b)
    {
        var (an, ae, av) = Parts(a);
        var (bn, be, bv) = Parts(b);
        int c = ComparePadded(an, bn, 0x20);
        if (c != 0) return c;
        c = ComparePadded(ae, be, 0x20);
        if (c != 0) return c;
        return -ComparePaddedLeft(av, bv, 0x30);
    }

    private static (ReadOnlyMemory<byte> Name, ReadOnlyMemory<byte> Ext, ReadOnlyMemory<byte> Version) Parts(byte[] id)
    {
        int semi = Array.IndexOf(id, (byte)';');
        int end = semi < 0 ? id.Length : semi;
        int dot = Array.IndexOf(id, (byte)'.', 0, end);
        var name = dot < 0 ? id.AsMemory(0, end) : id.AsMemory(0, dot);
        var ext = dot < 0 ? ReadOnlyMemory<byte>.Empty : id.AsMemory(dot + 1, end - dot - 1);
        var version = semi < 0 ? ReadOnlyMemory<byte>.Empty : id.AsMemory(semi + 1);
        return (name, ext, version);
    }

    private static int ComparePadded(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b, byte pad)
    {
        var x = a.Span; var y = b.Span;
        int n = Math.Max(x.Length, y.Length);
        for (int i = 0; i < n; i++)
        {
            int cx = i < x.Length ? x[i] : pad, cy = i < y.Length ? y[i] : pad;
            if (cx != cy) return cx - cy;
        }
        return 0;
    }

    private static int ComparePaddedLeft(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b, byte pad)
    {
        var x = a.Span; var y = b.Span;
        int n = Math.Max(x.Length, y.Length);
        for (int i = 0; i < n; i++)
        {
            int cx = i < n - x.Length ? pad : x[i - (n - x.Length)];
            int cy = i < n - y.Length ? pad : y[i - (n - y.Length)];
            if (cx != cy) return cx - cy;
        }
        return 0;
    }
}
