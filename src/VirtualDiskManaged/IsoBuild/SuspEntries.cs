using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.IsoBuild;

/// <summary>
/// SUSP (IEEE P1281) and RRIP 1.10 (IEEE P1282, "RRIP_1991A") entries as byte arrays: a 4-byte header
/// (signature, length, version 1) and the entry's fields, numbers in both byte orders (ECMA-119 §7.3.3).
/// </summary>
internal static class SuspEntries
{
    /// <summary>An entry's largest length (its length field is one byte).</summary>
    public const int MaxEntryLength = 255;

    /// <summary>Length of a CE entry (P1281 §5.1).</summary>
    public const int ContinuationLength = 28;

    private static byte[] Header(string signature, int length)
    {
        var e = new byte[length];
        e[0] = (byte)signature[0];
        e[1] = (byte)signature[1];
        e[2] = (byte)length;
        e[3] = 1;
        return e;
    }

    private static void Header(byte[] e, string signature)
    {
        e[0] = (byte)signature[0];
        e[1] = (byte)signature[1];
        e[2] = (byte)e.Length;
        e[3] = 1;
    }

    internal static void Both32(Span<byte> at, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(at, value);
        BinaryPrimitives.WriteUInt32BigEndian(at[4..], value);
    }

    /// <summary>SP: the SUSP indicator, first in the root's "." record (P1281 §5.3), skip length 0.</summary>
    public static byte[] SharingProtocol()
    {
        var e = Header("SP", 7);
        e[4] = 0xBE;
        e[5] = 0xEF;
        return e;
    }

    /// <summary>ER: the extension reference naming RRIP 1.10 (P1281 §5.5, P1282 §5.2 identifier RRIP_1991A).</summary>
    public static byte[] ExtensionReference()
    {
        ReadOnlySpan<byte> id = "RRIP_1991A"u8;
        ReadOnlySpan<byte> description = "THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS"u8;
        ReadOnlySpan<byte> source = "PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION."u8;
        var e = Header("ER", 8 + id.Length + description.Length + source.Length);
        e[4] = (byte)id.Length;
        e[5] = (byte)description.Length;
        e[6] = (byte)source.Length;
        e[7] = 1;
        id.CopyTo(e.AsSpan(8));
        description.CopyTo(e.AsSpan(8 + id.Length));
        source.CopyTo(e.AsSpan(8 + id.Length + description.Length));
        return e;
    }

    /// <summary>CE: where the System Use area continues (P1281 §5.1).</summary>
    public static byte[] Continuation(ContinuationArea area)
    {
        var e = Header("CE", ContinuationLength);
        Both32(e.AsSpan(4), area.Block);
        Both32(e.AsSpan(12), (uint)area.Offset);
        Both32(e.AsSpan(20), (uint)area.Length);
        return e;
    }

    /// <summary>
    /// PN: a device node's number (P1282 §4.1.2: "Dev_t High" and "Dev_t Low", both-endian). A major up to 4095 and a
    /// minor up to 255 are written as xorriso writes them — high 0, low major &lt;&lt; 8 | minor, the st_rdev encoding —,
    /// which Linux, libarchive and this library's reader all decode alike; larger numbers as high = major,
    /// low = minor, which is how Linux (fs/isofs/rock.c) and this library's reader decode a non-zero high word.
    /// </summary>
    public static byte[] DeviceNumber(uint major, uint minor)
    {
        var e = Header("PN", 20);
        bool small = major <= 0xFFF && minor <= 0xFF;
        Both32(e.AsSpan(4), small ? 0 : major);
        Both32(e.AsSpan(12), small ? major << 8 | minor : minor);
        return e;
    }

    /// <summary>PX: POSIX file attributes, the 36-byte RRIP 1.10 form (P1282 §4.1.1).</summary>
    public static byte[] PosixAttributes(int mode, uint links) => PosixAttributes(new byte[36], mode, links);

    /// <summary>PX written into <paramref name="e"/> (36 bytes, reused by the writer for every record).</summary>
    public static byte[] PosixAttributes(byte[] e, int mode, uint links)
    {
        Header(e, "PX");
        Both32(e.AsSpan(4), (uint)mode);
        Both32(e.AsSpan(12), links);
        Both32(e.AsSpan(20), 0);
        Both32(e.AsSpan(28), 0);
        return e;
    }

    /// <summary>TF: modification, access and attribute-change times, 7-byte form (P1282 §4.1.6).</summary>
    public static byte[] Timestamps(DateTimeOffset time) => Timestamps(new byte[5 + 3 * 7], time);

    /// <summary>TF written into <paramref name="e"/> (26 bytes, reused by the writer for every record).</summary>
    public static byte[] Timestamps(byte[] e, DateTimeOffset time)
    {
        Header(e, "TF");
        e[4] = 0x0E;
        for (int i = 0; i < 3; i++) IsoDates.WriteRecordingDate(e.AsSpan(5 + i * 7, 7), time);
        return e;
    }

    /// <summary>NM: the alternate name, split over several entries with CONTINUE when long (P1282 §4.1.4).</summary>
    public static void AlternateName(string name, List<byte[]> into, byte[]?[]? scratch = null)
    {
        const int chunk = MaxEntryLength - 5;
        int total = Encoding.UTF8.GetByteCount(name);
        if (total <= chunk)
        {
            // The common case: one entry, encoded in place (into a reused array of that length when given).
            byte[] one;
            if (scratch is null) one = Header("NM", 5 + total);
            else
            {
                one = scratch[5 + total] ??= new byte[5 + total];
                Header(one, "NM");
                one[4] = 0;
            }
            Encoding.UTF8.GetBytes(name, one.AsSpan(5));
            into.Add(one);
            return;
        }
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        for (int start = 0; start < bytes.Length; start += chunk)
        {
            int n = Math.Min(chunk, bytes.Length - start);
            var e = Header("NM", 5 + n);
            e[4] = (byte)(start + n < bytes.Length ? 1 : 0);
            bytes.AsSpan(start, n).CopyTo(e.AsSpan(5));
            into.Add(e);
        }
    }

    /// <summary>
    /// SL: a symbolic link's target as component records (P1282 §4.1.3): ROOT for a leading <c>/</c>, CURRENT
    /// and PARENT for <c>.</c> and <c>..</c>; long components and long targets continue over several records
    /// and entries.
    /// </summary>
    public static IEnumerable<byte[]> SymbolicLink(string target)
    {
        var components = new List<(byte Flags, byte[] Content)>();
        if (target.StartsWith('/')) components.Add((0x08, []));
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") components.Add((0x02, []));
            else if (part == "..") components.Add((0x04, []));
            else
            {
                byte[] bytes = Encoding.UTF8.GetBytes(part);
                for (int start = 0; start < bytes.Length; start += 248)
                {
                    int n = Math.Min(248, bytes.Length - start);
                    components.Add(((byte)(start + n < bytes.Length ? 1 : 0), bytes[start..(start + n)]));
                }
            }
        }
        var entries = new List<byte[]>();
        var body = new List<byte>();
        foreach (var (flags, content) in components)
        {
            if (5 + body.Count + 2 + content.Length > MaxEntryLength)
            {
                entries.Add(SymlinkEntry(body, more: true));
                body.Clear();
            }
            body.Add(flags);
            body.Add((byte)content.Length);
            body.AddRange(content);
        }
        entries.Add(SymlinkEntry(body, more: false));
        return entries;
    }

    private static byte[] SymlinkEntry(List<byte> body, bool more)
    {
        var e = Header("SL", 5 + body.Count);
        e[4] = (byte)(more ? 1 : 0);
        body.CopyTo(e, 5);
        return e;
    }

    /// <summary>CL: the child link of a relocated directory's placeholder (P1282 §4.1.5.1).</summary>
    public static byte[] ChildLink(uint location)
    {
        var e = Header("CL", 12);
        Both32(e.AsSpan(4), location);
        return e;
    }

    /// <summary>PL: the parent link in a relocated directory's ".." record (P1282 §4.1.5.2).</summary>
    public static byte[] ParentLink(uint location)
    {
        var e = Header("PL", 12);
        Both32(e.AsSpan(4), location);
        return e;
    }

    /// <summary>RE: marks the relocated directory's record (P1282 §4.1.5.3).</summary>
    public static byte[] Relocated() => Header("RE", 4);

    /// <summary>The areas of a record that needs none (shared, never changed).</summary>
    private static readonly List<List<byte[]>> NoAreas = [];

    /// <summary>
    /// Splits a record's entries into what fits the record (<paramref name="available"/> bytes) and continuation
    /// areas of at most one block each, every area but the last ending in a CE entry (P1281 §5.1: an area never
    /// crosses a block). Deterministic: the layout and the writer split identically.
    /// </summary>
    public static (int InlineCount, List<List<byte[]>> Areas) Split(List<byte[]> entries, int available, int blockSize)
    {
        int total = 0;
        foreach (var e in entries) total += e.Length;
        if (total <= available) return (entries.Count, NoAreas);
        var areas = new List<List<byte[]>>();
        int used = 0, i = 0;
        while (i < entries.Count && used + entries[i].Length + ContinuationLength <= available) used += entries[i++].Length;
        // A name that does not fit starts in the record and continues in the area (NM CONTINUE, P1282 §4.1.4),
        // as other writers do: some readers take the name only when an NM entry is in the record itself.
        int room = available - used - ContinuationLength;
        if (i < entries.Count && entries[i][0] == 'N' && entries[i][1] == 'M' && room >= 6)
        {
            var nm = entries[i];
            int head = room - 5;
            var first = new byte[5 + head];
            nm.AsSpan(0, 5 + head).CopyTo(first);
            first[2] = (byte)first.Length;
            first[4] = 1;
            var rest = new byte[nm.Length - head];
            nm.AsSpan(0, 5).CopyTo(rest);
            nm.AsSpan(5 + head).CopyTo(rest.AsSpan(5));
            rest[2] = (byte)rest.Length;
            entries[i] = first;
            entries.Insert(i + 1, rest);
            used += first.Length;
            i++;
        }
        int inline = i;
        var area = new List<byte[]>();
        int areaUsed = 0;
        for (; i < entries.Count; i++)
        {
            bool more = i + 1 < entries.Count;
            int need = entries[i].Length;
            if (areaUsed + need + (more ? ContinuationLength : 0) > blockSize && area.Count > 0)
            {
                areas.Add(area);
                area = [];
                areaUsed = 0;
            }
            area.Add(entries[i]);
            areaUsed += need;
        }
        areas.Add(area);
        return (inline, areas);
    }

    /// <summary>The byte length of an area, with the CE entry that links it to the next one.</summary>
    public static int AreaLength(List<List<byte[]>> areas, int index)
    {
        int n = 0;
        foreach (var e in areas[index]) n += e.Length;
        return n + (index + 1 < areas.Count ? ContinuationLength : 0);
    }
}
