using System.Buffers.Binary;
using System.Globalization;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// The parent locator item of a differencing VHDX (MS-VHDX §2.6.2.6): a locator type GUID and a table
/// of UTF-16 key/value pairs. Only the VHDX locator type is defined; its keys are parent_linkage (required),
/// parent_linkage2, relative_path, volume_path and absolute_win32_path.
/// </summary>
internal sealed class VhdxParentLocator
{
    public const int HeaderLength = 20;
    private const int TypeOffset = 0, ReservedOffset = 16, CountOffset = 18, EntryLength = 12;

    /// <summary>A locator item is at most 1 MiB, so the pair count is bounded by that too.</summary>
    private const int MaxPairs = (1024 * 1024 - HeaderLength) / EntryLength;

    public Guid ParentLinkage { get; private init; }
    public Guid? ParentLinkage2 { get; private init; }
    public string? RelativePath { get; private init; }
    public string? VolumePath { get; private init; }
    public string? AbsoluteWin32Path { get; private init; }

    /// <summary>Every pair as stored (for info output).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries { get; private init; } = [];

    public static bool TryParse(ReadOnlySpan<byte> data, out VhdxParentLocator? locator, out VirtualDiskErrorReason reason, out string? detail)
    {
        locator = null;
        reason = VirtualDiskErrorReason.VhdxParentLocatorInvalid;
        if (data.Length < HeaderLength) { detail = $"Item length {data.Length}"; return false; }
        var type = new Guid(data.Slice(TypeOffset, 16));
        if (type != VhdxConstants.VhdxParentLocatorType) { detail = $"Locator type {type} is not the VHDX locator type"; return false; } // VHDX rule 33 (docs/open-path.md §8.2)
        if (BinaryPrimitives.ReadUInt16LittleEndian(data[ReservedOffset..]) != 0) { detail = "Reserved field is not zero"; return false; }
        int count = BinaryPrimitives.ReadUInt16LittleEndian(data[CountOffset..]);
        if (count > MaxPairs || HeaderLength + (long)count * EntryLength > data.Length)
        {
            detail = $"{Counted.Of(count, "key/value pair")} do not fit in {Counted.Of(data.Length, "byte")}";
            return false;
        }
        var entries = new List<KeyValuePair<string, string>>(count);
        string? linkage = null, linkage2 = null, relative = null, volume = null, absolute = null;
        for (int i = 0; i < count; i++)
        {
            var e = data.Slice(HeaderLength + i * EntryLength, EntryLength);
            uint keyOffset = BinaryPrimitives.ReadUInt32LittleEndian(e);
            uint valueOffset = BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
            ushort keyLength = BinaryPrimitives.ReadUInt16LittleEndian(e[8..]);
            ushort valueLength = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]);
            if (keyLength == 0 || valueLength == 0 || keyLength % 2 != 0 || valueLength % 2 != 0
                || (ulong)keyOffset + keyLength > (ulong)data.Length || (ulong)valueOffset + valueLength > (ulong)data.Length
                || keyOffset < HeaderLength || valueOffset < HeaderLength)
            {
                detail = $"Pair {i}: key at {keyOffset} ({Counted.Of(keyLength, "byte")}), value at {valueOffset} ({Counted.Of(valueLength, "byte")})";
                return false;
            }
            string key = Utf16(data.Slice((int)keyOffset, keyLength));
            string value = Utf16(data.Slice((int)valueOffset, valueLength));
            entries.Add(new(key, value));
            ref string? slot = ref linkage;
            switch (key)
            {
                case "parent_linkage": slot = ref linkage; break;
                case "parent_linkage2": slot = ref linkage2; break;
                case "relative_path": slot = ref relative; break;
                case "volume_path": slot = ref volume; break;
                case "absolute_win32_path": slot = ref absolute; break;
                default: continue; // unknown keys are kept for display only
            }
            if (slot is not null) { detail = $"Key {key} appears twice"; return false; }
            slot = value;
        }
        if (linkage is null) { detail = "No parent_linkage"; return false; } // MS-VHDX §2.6.2.6.3: must be present
        if (!TryParseGuid(linkage, out var linkageGuid)) { detail = $"parent_linkage {linkage} is not a GUID"; return false; }
        Guid? linkage2Guid = null;
        if (linkage2 is not null)
        {
            if (!TryParseGuid(linkage2, out var g)) { detail = $"parent_linkage2 {linkage2} is not a GUID"; return false; }
            linkage2Guid = g;
        }
        if (relative is null && volume is null && absolute is null) { detail = "No parent path (relative_path, volume_path, absolute_win32_path)"; return false; }
        locator = new VhdxParentLocator
        {
            ParentLinkage = linkageGuid, ParentLinkage2 = linkage2Guid,
            RelativePath = relative, VolumePath = volume, AbsoluteWin32Path = absolute, Entries = entries,
        };
        reason = VirtualDiskErrorReason.None;
        detail = null;
        return true;
    }

    /// <summary>"{xxxxxxxx-...}" in any case (the spec says lowercase; writers differ); braces optional.</summary>
    private static bool TryParseGuid(string text, out Guid guid) =>
        Guid.TryParseExact(text.Trim(), "B", out guid) || Guid.TryParseExact(text.Trim(), "D", out guid);

    /// <summary>UTF-16 LE, decoded leniently (unpaired surrogates are kept as they are).</summary>
    private static string Utf16(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length / 2];
        for (int i = 0; i < chars.Length; i++) chars[i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
        return new string(chars);
    }

    internal static string Format(Guid g) => g.ToString("B", CultureInfo.InvariantCulture);
}
