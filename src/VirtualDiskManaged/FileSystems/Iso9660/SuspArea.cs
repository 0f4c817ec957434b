using System.Text;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// Walks a System Use area and its continuation areas (IEEE P1281 SUSP §4–5) and hands each RRIP entry
/// (IEEE P1282 §4.1) to a <see cref="RockRidgeRecord"/>. Bounded: entries must have LEN ≥ 4 and lie inside
/// their area, a CE chain has at most <see cref="MaxContinuations"/> hops, never revisits an area, and each area
/// lies inside one logical block of the volume.
/// </summary>
internal static class SuspArea
{
    /// <summary>Continuation hops per record (Linux rock.c RR_MAX_CE_ENTRIES = 32).</summary>
    public const int MaxContinuations = 32;

    // IEEE P1281 §5.1 CE fields (offsets in the entry).
    private const int CeBlockOffset = 4, CeOffsetOffset = 12, CeLengthOffset = 20, CeLength = 28;

    /// <summary>
    /// Parses <paramref name="area"/> (already past LEN_SKP) and the continuation chain it starts.
    /// <paramref name="areaOffset"/> is the area's byte offset in the image (for findings).
    /// </summary>
    public static void Walk(IsoVolume volume, ReadOnlySpan<byte> area, long areaOffset, RockRidgeRecord rr, bool isRoot,
        IsoFindings? findings, string? entryPath)
    {
        Span<byte> buffer = stackalloc byte[IsoDirectoryRecord.SectorSize];
        Walk(volume, area, areaOffset, rr, isRoot, findings, entryPath, buffer);
    }

    private static void Walk(IsoVolume volume, ReadOnlySpan<byte> area, long areaOffset, RockRidgeRecord rr, bool isRoot,
        IsoFindings? findings, string? entryPath, Span<byte> buffer)
    {
        Span<long> visited = stackalloc long[MaxContinuations];
        int hops = 0;
        while (true)
        {
            var next = WalkOne(area, areaOffset, rr, isRoot, findings, entryPath, out long ceBlock, out long ceOffset, out long ceLength);
            if (!next) return;
            // IEEE P1281 §5.1: the continuation area lies in the block CE names; Linux and libarchive require
            // offset + length ≤ block size and the block inside the volume.
            long bs = volume.BlockSize;
            if (ceBlock >= volume.EndBlock || ceOffset >= bs || ceLength > bs - ceOffset || ceBlock * bs + ceOffset + ceLength > volume.ImageLength)
            {
                findings?.Report(VirtualDiskErrorReason.IsoSuspContinuationOutsideVolume,
                    $"CE block {ceBlock}, offset {ceOffset}, length {ceLength}; volume {volume.EndBlock} blocks of {bs}", areaOffset, entryPath);
                return;
            }
            long at = ceBlock * bs + ceOffset;
            if (visited[..hops].Contains(at))
            {
                findings?.Report(VirtualDiskErrorReason.IsoSuspContinuationLoop, $"CE returns to block {ceBlock} offset {ceOffset}", areaOffset, entryPath);
                return;
            }
            if (hops == MaxContinuations)
            {
                findings?.Report(VirtualDiskErrorReason.IsoSuspContinuationChainTooLong, $"Cap: {MaxContinuations} continuation areas", areaOffset, entryPath);
                return;
            }
            visited[hops++] = at;
            if (ceLength < 4) return;
            var span = buffer[..(int)ceLength];
            if (!volume.Source.TryReadExactlyAt(at, span)) return;
            area = span;
            areaOffset = at;
        }
    }

    /// <summary>One area; true when it ends with a CE to follow.</summary>
    private static bool WalkOne(ReadOnlySpan<byte> area, long areaOffset, RockRidgeRecord rr, bool isRoot, IsoFindings? findings,
        string? entryPath, out long ceBlock, out long ceOffset, out long ceLength)
    {
        ceBlock = ceOffset = ceLength = -1;
        bool haveCe = false;
        int p = 0;
        // IEEE P1281 §4: fewer than 4 bytes left ends the area (a single pad byte is normal, ECMA-119 §9.1.13).
        while (area.Length - p >= 4)
        {
            byte s0 = area[p], s1 = area[p + 1];
            int len = area[p + 2];
            if (s0 == 0 && s1 == 0 && len == 0) break; // zero padding
            // One 0x00 pad byte between entries (DiscUtils writes one after an odd-length entry): skip it when a
            // well-formed entry follows, as pycdlib tolerates a single pad byte.
            if (s0 == 0 && area.Length - p >= 5 && IsSignature(area[p + 1], area[p + 2]) && area[p + 3] >= 4 && area[p + 3] <= area.Length - p - 1)
            {
                p++;
                continue;
            }
            if (len < 4 || len > area.Length - p)
            {
                findings?.Report(VirtualDiskErrorReason.IsoSuspEntryLengthInvalid,
                    $"Entry '{Sig(s0, s1)}' LEN {len} with {area.Length - p} bytes left in the area", areaOffset + p, entryPath);
                break;
            }
            var e = area.Slice(p, len);
            long at = areaOffset + p;
            p += len;
            switch ((char)s0, (char)s1)
            {
                case ('S', 'T'): // IEEE P1281 §5.4: terminates this area
                    return haveCe;
                case ('C', 'E'): // IEEE P1281 §5.1
                    if (len < CeLength) { Bad(findings, "CE", len, at, entryPath); break; }
                    if (haveCe) break; // at most one CE per area; the first wins
                    haveCe = true;
                    ceBlock = IsoBytes.BothEndian32(e, CeBlockOffset);
                    ceOffset = IsoBytes.BothEndian32(e, CeOffsetOffset);
                    ceLength = IsoBytes.BothEndian32(e, CeLengthOffset);
                    break;
                case ('S', 'P'): // IEEE P1281 §5.3: only meaningful in the root's "." record
                    if (len < 7 || e[4] != 0xBE || e[5] != 0xEF) { Bad(findings, "SP", len, at, entryPath); break; }
                    if (isRoot) { rr.HasSp = true; rr.SpSkip = e[6]; }
                    break;
                case ('E', 'R'): // IEEE P1281 §5.5
                {
                    if (len < 8 || 8 + e[4] + e[5] + e[6] > len) { Bad(findings, "ER", len, at, entryPath); break; }
                    if (isRoot && (rr.ExtensionIds ??= []).Count < 16) rr.ExtensionIds.Add(Encoding.Latin1.GetString(e.Slice(8, e[4])));
                    break;
                }
                case ('P', 'X'): // IEEE P1282 §4.1.1: 36 bytes (RRIP 1.10) or 44 with the serial number (1.12)
                    if (len < 36) { Bad(findings, "PX", len, at, entryPath); break; }
                    rr.Any = rr.HasPx = true;
                    rr.Mode = IsoBytes.BothEndian32(e, 4);
                    rr.Links = IsoBytes.BothEndian32(e, 12);
                    rr.Uid = IsoBytes.BothEndian32(e, 20);
                    rr.Gid = IsoBytes.BothEndian32(e, 28);
                    rr.Serial = len >= 44 ? IsoBytes.BothEndian32(e, 36) : null;
                    break;
                case ('P', 'N'): // IEEE P1282 §4.1.2
                    if (len < 20) { Bad(findings, "PN", len, at, entryPath); break; }
                    rr.Any = rr.HasPn = true;
                    rr.DeviceHigh = IsoBytes.BothEndian32(e, 4);
                    rr.DeviceLow = IsoBytes.BothEndian32(e, 12);
                    break;
                case ('S', 'L'): // IEEE P1282 §4.1.3
                {
                    if (len < 5) { Bad(findings, "SL", len, at, entryPath); break; }
                    rr.Any = true;
                    rr.HasSymlink = true;
                    var c = e[5..];
                    while (c.Length >= 2)
                    {
                        int cl = c[1];
                        if (2 + cl > c.Length) { Bad(findings, "SL component", cl, at, entryPath); break; }
                        rr.AppendSymlinkComponent(c[0], c.Slice(2, cl));
                        c = c[(2 + cl)..];
                    }
                    if (rr.SymlinkTruncated)
                        findings?.Report(VirtualDiskErrorReason.IsoRockRidgeNameTooLong, $"Symbolic link target cut at {RockRidgeRecord.MaxSymlinkChars} characters", at, entryPath);
                    break;
                }
                case ('N', 'M'): // IEEE P1282 §4.1.4: flags 1 CONTINUE, 2 CURRENT, 4 PARENT; names may span entries
                    if (len < 5) { Bad(findings, "NM", len, at, entryPath); break; }
                    rr.Any = true;
                    if ((e[4] & 0x06) != 0) break; // "." / "..": ignored (as Linux does)
                    if (!rr.AppendName(e[5..]))
                        findings?.Report(VirtualDiskErrorReason.IsoRockRidgeNameTooLong, $"Name cut at {RockRidgeRecord.MaxNameBytes} bytes", at, entryPath);
                    break;
                case ('C', 'L'): // IEEE P1282 §4.1.5.1
                    if (len < 12) { Bad(findings, "CL", len, at, entryPath); break; }
                    rr.Any = true;
                    rr.ChildLink = IsoBytes.BothEndian32(e, 4);
                    break;
                case ('P', 'L'): // IEEE P1282 §4.1.5.2
                    if (len < 12) { Bad(findings, "PL", len, at, entryPath); break; }
                    rr.Any = true;
                    rr.ParentLink = IsoBytes.BothEndian32(e, 4);
                    break;
                case ('R', 'E'): // IEEE P1282 §4.1.5.3
                    rr.Any = true;
                    rr.Relocated = true;
                    break;
                case ('T', 'F'): // IEEE P1282 §4.1.6
                    rr.Any = true;
                    ParseTimes(e, rr, findings, at, entryPath);
                    break;
                case ('Z', 'F'): // zisofs: 'pz', header size / 4, log2(block size), uncompressed size (733)
                    if (len < 16) { Bad(findings, "ZF", len, at, entryPath); break; }
                    rr.Any = true;
                    rr.Zisofs = new ZisofsInfo(Encoding.Latin1.GetString(e.Slice(4, 2)), e[6], e[7], IsoBytes.BothEndian32(e, 8), e[3], at);
                    break;
                case ('Z', '2'): // zisofs2 (libisofs zisofs2_format.txt): recognised, not decoded
                    if (len < 16) { Bad(findings, "Z2", len, at, entryPath); break; }
                    rr.Any = true;
                    rr.Zisofs = new ZisofsInfo(Encoding.Latin1.GetString(e.Slice(4, 2)), e[6], e[7], IsoBytes.BothEndian32(e, 8), 2, at);
                    break;
                case ('R', 'R'): // RRIP 1.09 flags entry: presence only
                    rr.Any = true;
                    break;
                default: // PD, ES, SF, AL, AA and anything unknown: skipped by length (IEEE P1281 §4)
                    break;
            }
        }
        return haveCe;
    }

    /// <summary>
    /// RRIP TF: flags (1 CREATION, 2 MODIFY, 4 ACCESS, 8 ATTRIBUTES, 0x10 BACKUP, 0x20 EXPIRATION, 0x40 EFFECTIVE,
    /// 0x80 LONG_FORM) then one time per set flag in bit order, 7 bytes (ECMA-119 §9.1.5) or 17 (§8.4.26.1).
    /// </summary>
    private static void ParseTimes(ReadOnlySpan<byte> e, RockRidgeRecord rr, IsoFindings? findings, long at, string? entryPath)
    {
        if (e.Length < 5) { Bad(findings, "TF", e.Length, at, entryPath); return; }
        int flags = e[4];
        int size = (flags & 0x80) != 0 ? 17 : 7;
        int p = 5;
        for (int bit = 0; bit < 7; bit++)
        {
            if ((flags & (1 << bit)) == 0) continue;
            if (size > e.Length - p) { Bad(findings, "TF", e.Length, at, entryPath); return; }
            var t = e.Slice(p, size);
            var value = size == 7 ? IsoBytes.RecordingDate(t) : IsoBytes.DecimalDate(t);
            p += size;
            switch (bit)
            {
                case 0: rr.Created = value; break;
                case 1: rr.Modified = value; break;
                case 2: rr.Accessed = value; break;
                case 3: rr.AttributesChanged = value; break;
            }
        }
    }

    private static void Bad(IsoFindings? findings, string what, int len, long at, string? entryPath) =>
        findings?.Report(VirtualDiskErrorReason.IsoRockRidgeEntryInvalid, $"{what} entry LEN {len} is too short for its fields", at, entryPath);

    private static bool IsSignature(byte a, byte b) => a is >= (byte)'A' and <= (byte)'Z' && b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9';

    private static string Sig(byte a, byte b) => a is >= 0x20 and < 0x7F && b is >= 0x20 and < 0x7F ? $"{(char)a}{(char)b}" : $"0x{a:X2}{b:X2}";
}
