using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// The El Torito boot catalog (El Torito 1.0 §2): the validation entry (header ID 1, platform, ID string,
/// checksum word, key bytes 55 AA), the initial/default entry, then section headers (0x90 more follow, 0x91
/// final) each with its section entries and their extension entries (0x44). 32-byte entries; the catalog is
/// read from at most <see cref="MaxSectors"/> sectors (libisofs reads 10) and ends at the first entry that is
/// neither a header nor a valid entry.
/// </summary>
public sealed class ElToritoBootCatalog
{
    /// <summary>Sectors of catalog read (64 entries each).</summary>
    public const int MaxSectors = 10;

    /// <summary>Boot entries kept (libisofs Libisofs_max_boot_imageS is 32).</summary>
    public const int MaxEntries = 128;

    private const int EntrySize = 32;

    private ElToritoBootCatalog() { }

    /// <summary>The catalog's sector (from the boot record).</summary>
    public uint Sector { get; private init; }

    /// <summary>Byte offset of the catalog in the image.</summary>
    public long Offset => (long)Sector * 2048;

    /// <summary>The validation entry's platform ID (that of the default entry).</summary>
    public byte PlatformId { get; private init; }

    /// <summary>The validation entry's ID string (manufacturer).</summary>
    public string IdString { get; private init; } = "";

    /// <summary>The validation entry's checksum word as recorded.</summary>
    public ushort Checksum { get; private init; }

    /// <summary>True when the validation entry's sixteen words sum to 0 (El Torito §2.1).</summary>
    public bool ChecksumValid { get; private init; }

    /// <summary>Every boot entry: the default entry first, then each section's entries.</summary>
    public IReadOnlyList<ElToritoBootEntry> Entries { get; private init; } = [];

    /// <summary>Every section header, in order.</summary>
    public IReadOnlyList<ElToritoSectionHeader> Sections { get; private init; } = [];

    /// <summary>The 32-byte validation entry as recorded.</summary>
    public ReadOnlyMemory<byte> ValidationEntry { get; private init; }

    /// <summary>Parses the catalog; null with findings when its validation entry is unusable.</summary>
    internal static ElToritoBootCatalog? Read(IsoVolume volume, uint sector, IsoFindings? findings)
    {
        long offset = (long)sector * 2048;
        if (sector >= volume.EndByte / 2048 || !volume.InImage(offset, 2048))
        {
            findings?.Report(VirtualDiskErrorReason.ElToritoCatalogOutsideVolume, $"Catalog sector {sector}; the volume ends at byte {volume.EndByte}, the image at {volume.ImageLength}", offset, null);
            return null;
        }
        long available = Math.Min(volume.ImageLength - offset, (long)MaxSectors * 2048);
        var data = new byte[(int)(available / EntrySize * EntrySize)];
        if (!volume.Source.TryReadExactlyAt(offset, data)) return null;
        var v = data.AsSpan(0, EntrySize);
        if (v[0] != 1 || v[30] != 0x55 || v[31] != 0xAA)
        {
            findings?.Report(VirtualDiskErrorReason.ElToritoValidationEntryInvalid, $"Header ID {v[0]}, key bytes {v[30]:X2} {v[31]:X2}", offset, null);
            return null;
        }
        int sum = 0;
        for (int i = 0; i < EntrySize; i += 2) sum += BinaryPrimitives.ReadUInt16LittleEndian(v[i..]);
        bool checksumOk = (sum & 0xFFFF) == 0;
        if (!checksumOk) findings?.Report(VirtualDiskErrorReason.ElToritoChecksumMismatch, $"The words sum to 0x{sum & 0xFFFF:X4}", offset, null);
        var entries = new List<ElToritoBootEntry>();
        var sections = new List<ElToritoSectionHeader>();
        byte platform = v[1];
        int pos = EntrySize;
        // El Torito §2.2: the initial/default entry follows the validation entry.
        if (pos + EntrySize <= data.Length)
        {
            var d = data.AsSpan(pos, EntrySize);
            if (IsEntry(d, defaultEntry: true)) entries.Add(Entry(data, pos, offset, 0, true, null, platform, out _));
            else findings?.Report(VirtualDiskErrorReason.ElToritoEntryInvalid, $"Default entry: boot indicator 0x{d[0]:X2}, media 0x{d[1]:X2}", offset + pos, null);
            pos += EntrySize;
        }
        bool final = false;
        while (!final && pos + EntrySize <= data.Length)
        {
            var h = data.AsSpan(pos, EntrySize);
            if (h[0] is not (0x90 or 0x91))
            {
                // Zero fill ends the catalog; anything else is a damaged entry (pycdlib, 7-Zip stop there too).
                if (h[0] != 0) findings?.Report(VirtualDiskErrorReason.ElToritoEntryInvalid, $"Header indicator 0x{h[0]:X2} where a section header (0x90/0x91) belongs", offset + pos, null);
                break;
            }
            final = h[0] == 0x91;
            var header = new ElToritoSectionHeader(sections.Count, h[0], h[1], BinaryPrimitives.ReadUInt16LittleEndian(h[2..]),
                Encoding.ASCII.GetString(h[4..]).TrimEnd('\0', ' '), offset + pos);
            sections.Add(header);
            pos += EntrySize;
            for (int n = 0; n < header.EntryCount && pos + EntrySize <= data.Length; n++)
            {
                var e = data.AsSpan(pos, EntrySize);
                if (!IsEntry(e, defaultEntry: false))
                {
                    findings?.Report(VirtualDiskErrorReason.ElToritoEntryInvalid, $"Section {header.Index} entry {n}: boot indicator 0x{e[0]:X2}, media 0x{e[1]:X2}", offset + pos, null);
                    final = true;
                    break;
                }
                if (entries.Count >= MaxEntries)
                {
                    findings?.Report(VirtualDiskErrorReason.ElToritoCatalogTooLarge, $"Cap: {MaxEntries} boot entries", offset + pos, null);
                    final = true;
                    break;
                }
                entries.Add(Entry(data, pos, offset, entries.Count, false, header, header.PlatformId, out int used));
                pos += used;
            }
        }
        return new ElToritoBootCatalog
        {
            Sector = sector,
            PlatformId = platform,
            IdString = Encoding.ASCII.GetString(v[4..28]).TrimEnd('\0', ' '),
            Checksum = BinaryPrimitives.ReadUInt16LittleEndian(v[28..]),
            ChecksumValid = checksumOk,
            Entries = entries,
            Sections = sections,
            ValidationEntry = v.ToArray(),
        };
    }

    /// <summary>El Torito §2.2/§2.4: boot indicator 0x88 or 0x00, media type 0–4 (the default entry's bits 4–7 zero).</summary>
    private static bool IsEntry(ReadOnlySpan<byte> e, bool defaultEntry)
    {
        bool valid = e[0] is 0x88 or 0x00 && (e[1] & 0x0F) <= 4 && (!defaultEntry || (e[1] & 0xF0) == 0);
        // An all-zero section entry is fill, not an image.
        return valid && (defaultEntry || e.IndexOfAnyExcept((byte)0) >= 0);
    }

    private static ElToritoBootEntry Entry(byte[] data, int pos, long catalogOffset, int index, bool isDefault, ElToritoSectionHeader? section, byte platform, out int used)
    {
        var e = data.AsSpan(pos, EntrySize);
        var extensions = new List<ReadOnlyMemory<byte>>();
        used = EntrySize;
        // El Torito §2.5: media byte bit 5 — an extension entry (0x44) follows; its flag bit 5 — another follows.
        bool more = !isDefault && (e[1] & 0x20) != 0;
        while (more && extensions.Count < 32 && pos + used + EntrySize <= data.Length && data[pos + used] == 0x44)
        {
            extensions.Add(data.AsMemory(pos + used, EntrySize));
            more = (data[pos + used + 1] & 0x20) != 0;
            used += EntrySize;
        }
        return new ElToritoBootEntry
        {
            Index = index,
            IsDefault = isDefault,
            Section = section,
            PlatformId = platform,
            BootIndicator = e[0],
            MediaByte = e[1],
            LoadSegment = BinaryPrimitives.ReadUInt16LittleEndian(e[2..]),
            SystemType = e[4],
            SectorCount = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]),
            LoadRba = BinaryPrimitives.ReadUInt32LittleEndian(e[8..]),
            SelectionCriteriaType = isDefault ? (byte)0 : e[12],
            RawEntry = e.ToArray(),
            Extensions = extensions,
            Offset = catalogOffset + pos,
        };
    }
}
