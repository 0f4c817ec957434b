using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged.Vhd;

/// <summary>
/// Opens VHD images (docs/open-path.md §8, §8.1, §9; the VHD spec): selects the footer (trailing authoritative, the copy at 0
/// standing in), validates footer, dynamic header, parent locators and BAT, and builds the <see cref="VhdLayer"/>.
/// </summary>
internal static class VhdProvider
{
    /// <summary>Bytes read at offset 0 of a sparse disk: the footer copy, the dynamic header and a small BAT.</summary>
    private const int HeadReadSize = 4096;

    /// <summary>
    /// Largest virtual size accepted, for every disk type: 2040 GiB (0xFF000000 sectors). Dynamic and differencing
    /// disks cannot address more (32-bit BAT sector numbers; qemu's VHD_MAX_SECTORS), and Windows documents 2040 GB
    /// as the VHD format's limit for fixed disks too, so a larger fixed VHD is not one Windows would open.
    /// </summary>
    public const long MaxVirtualSize = 0xFF00_0000L * 512;

    public static VirtualDiskDiagnostic? Open(OpenContext context, out DiskLayer? layer)
    {
        layer = null;
        var file = context.File;
        string path = file.Path;
        long length = file.Length;

        // ---- Footer selection (docs/open-path.md §9; VHD rules 1, 2, 8, docs/open-path.md §8.1) ----
        Span<byte> trailing = stackalloc byte[VhdFooter.Size];
        Span<byte> copy = stackalloc byte[VhdFooter.Size];
        bool shortFooter = false;
        var trailingReason = VirtualDiskErrorReason.VhdFooterMissing;
        VhdFooter trailingFooter = default;
        if (length >= VhdFooter.Size && file.TryReadExactlyAt(length - VhdFooter.Size, trailing) && VhdFooter.HasCookie(trailing))
        {
            VhdFooter.TryParse(trailing, out trailingFooter, out trailingReason);
        }
        else if (length >= VhdFooter.ShortSize && file.TryReadExactlyAt(length - VhdFooter.ShortSize, trailing[..VhdFooter.ShortSize]) && VhdFooter.HasCookie(trailing))
        {
            trailing[VhdFooter.ShortSize] = 0;
            shortFooter = true;
            VhdFooter.TryParse(trailing, out trailingFooter, out trailingReason);
        }
        bool trailingPresent = trailingReason != VirtualDiskErrorReason.VhdFooterMissing;
        bool trailingChecksumOk = trailingPresent && trailingReason != VirtualDiskErrorReason.VhdFooterChecksumMismatch;

        // The copy at 0 matters only for sparse disks or when the trailing footer is unusable. It is read together with
        // what follows it up to 4 KiB: every writer puts the dynamic header there, and the BAT of a small disk (up to
        // 640 entries: 1.25 GiB in 2 MiB blocks) right after it. One read instead of three; from the page cache 4 KiB
        // cost the same as 1.5 KiB.
        var copyReason = VirtualDiskErrorReason.VhdFooterMissing;
        VhdFooter copyFooter = default;
        Span<byte> head = stackalloc byte[HeadReadSize];
        int headLength = 0;
        if (length >= VhdFooter.Size && (!trailingChecksumOk || trailingFooter.IsSparse))
        {
            headLength = (int)Math.Min(head.Length, length);
            if (file.TryReadExactlyAt(0, head[..headLength]))
            {
                head[..VhdFooter.Size].CopyTo(copy);
                if (VhdFooter.HasCookie(copy)) VhdFooter.TryParse(copy, out copyFooter, out copyReason);
            }
            else headLength = 0;
        }

        VhdFooter footer;
        long footerLength; // bytes of trailing footer at the end of the file (0 when there is none)
        if (trailingChecksumOk)
        {
            // The trailing footer is authoritative: its own field errors fail the open.
            if (trailingReason != VirtualDiskErrorReason.None)
                return Fail(trailingReason, path, FooterDetail(trailingReason, trailingFooter), length - (shortFooter ? VhdFooter.ShortSize : VhdFooter.Size));
            footer = trailingFooter;
            footerLength = shortFooter ? VhdFooter.ShortSize : VhdFooter.Size;
            if (shortFooter) context.Warn(VirtualDiskErrorReason.VhdShortFooter, $"Footer of 511 bytes at {length - VhdFooter.ShortSize}", length - VhdFooter.ShortSize);
            if (footer.IsSparse && copyReason == VirtualDiskErrorReason.None)
            {
                int compare = shortFooter ? VhdFooter.ShortSize : VhdFooter.Size;
                if (!copy[..compare].SequenceEqual(trailing[..compare]))
                    context.Warn(VirtualDiskErrorReason.VhdFooterCopiesDiffer, DescribeDifference(copyFooter, footer), 0);
            }
        }
        else if (copyReason == VirtualDiskErrorReason.None && copyFooter.IsSparse)
        {
            footer = copyFooter;
            // A damaged trailing footer still occupies the end of the file; block data must end before it.
            footerLength = trailingPresent ? (shortFooter ? VhdFooter.ShortSize : VhdFooter.Size) : 0;
            context.Warn(VirtualDiskErrorReason.VhdFooterCopyUsed,
                trailingPresent ? $"The trailing footer at {length - VhdFooter.Size} has a wrong checksum" : "No trailing footer; the copy at offset 0 was used", 0);
        }
        else if (copyReason is not (VirtualDiskErrorReason.None or VirtualDiskErrorReason.VhdFooterMissing or VirtualDiskErrorReason.VhdFooterChecksumMismatch) && !trailingPresent)
        {
            // Only the copy at 0 exists, checksum right, fields impossible.
            return Fail(copyReason, path, FooterDetail(copyReason, copyFooter) + " (footer copy at offset 0; no trailing footer)", 0);
        }
        else if (trailingPresent)
        {
            return Fail(VirtualDiskErrorReason.VhdFooterChecksumMismatch, path,
                $"Trailing footer at {length - (shortFooter ? VhdFooter.ShortSize : VhdFooter.Size)}: checksum {StoredChecksum(trailing)} stored, " +
                $"{VhdChecksum.Compute(trailing, VhdFooter.ChecksumOffset):X8} computed; " +
                (copyReason == VirtualDiskErrorReason.VhdFooterMissing ? "no copy at offset 0" : copyReason == VirtualDiskErrorReason.VhdFooterChecksumMismatch ? "the copy at offset 0 is damaged too" : "the copy at offset 0 cannot stand in"),
                length - (shortFooter ? VhdFooter.ShortSize : VhdFooter.Size));
        }
        else if (copyReason == VirtualDiskErrorReason.VhdFooterChecksumMismatch)
        {
            return Fail(VirtualDiskErrorReason.VhdFooterChecksumMismatch, path, "No trailing footer, and the copy at offset 0 has a wrong checksum", 0);
        }
        else
        {
            return Fail(VirtualDiskErrorReason.VhdFooterMissing, path,
                length < VhdFooter.ShortSize ? $"The file has {Counted.Of(length, "byte")}" : "No \"conectix\" in the last 512 or 511 bytes nor at offset 0");
        }

        // VHD rule 4 (docs/open-path.md §8.1) (warning).
        if (!footer.FeaturesValid) context.Warn(VirtualDiskErrorReason.VhdFeaturesInvalid, $"Features 0x{footer.Features:X8}");

        ulong dataEnd = (ulong)(length - footerLength);

        // ---- Fixed disks (VHD rules 7, 19, 20, docs/open-path.md §8.1) ----
        if (footer.DiskType == VhdDiskType.Fixed)
        {
            if (footer.DataOffset == VhdFooter.SpecLiteralNoDataOffset)
                context.Warn(VirtualDiskErrorReason.VhdFixedDataOffsetSpecLiteral, "Data offset 0x00000000FFFFFFFF");
            else if (footer.DataOffset != VhdFooter.NoDataOffset)
                return Fail(VirtualDiskErrorReason.VhdDataOffsetInvalid, path, $"A fixed disk's data offset must be 0xFFFFFFFFFFFFFFFF, not 0x{footer.DataOffset:X16}", length - footerLength + VhdFooter.DataOffsetOffset);
            var sizeFailure = CheckSize(footer, path);
            if (sizeFailure is not null) return sizeFailure;
            if (dataEnd < footer.CurrentSize)
                return Fail(VirtualDiskErrorReason.FileTooShortForLayout, path, $"Size {footer.CurrentSize} needs {Counted.Of(footer.CurrentSize + (ulong)footerLength, "byte")}; the file has {length}");
            if (dataEnd > footer.CurrentSize)
                context.Warn(VirtualDiskErrorReason.VhdFixedFileTooLong, $"{Counted.Of(dataEnd - footer.CurrentSize, "byte")} between the data and the footer");
            layer = new VhdLayer(file, footer, default, null, null, [], shortFooter);
            return null;
        }

        // ---- Dynamic / differencing: the dynamic header (VHD rules 7, 9–14, docs/open-path.md §8.1) ----
        ulong headerOffset = footer.DataOffset;
        if (headerOffset < VhdFooter.Size || headerOffset % 512 != 0 || headerOffset > dataEnd || dataEnd - headerOffset < VhdDynamicHeader.Size)
            return Fail(VirtualDiskErrorReason.VhdDataOffsetInvalid, path,
                $"Data offset 0x{footer.DataOffset:X} must be a sector-aligned offset ≥ 512 with 1024 header bytes before {dataEnd}");
        Span<byte> headerBytes = stackalloc byte[VhdDynamicHeader.Size];
        if (headerOffset + VhdDynamicHeader.Size <= (ulong)headLength) head.Slice((int)headerOffset, VhdDynamicHeader.Size).CopyTo(headerBytes);
        else file.ReadExactlyAt((long)headerOffset, headerBytes);
        if (!VhdDynamicHeader.TryParse(headerBytes, out var header, out var headerReason))
            return Fail(headerReason, path, HeaderDetail(headerReason, headerBytes), (long)headerOffset);

        var size = CheckSize(footer, path);
        if (size is not null) return size;
        long virtualSize = (long)footer.CurrentSize;
        long needed = (long)((footer.CurrentSize + header.BlockSize - 1) / header.BlockSize);
        if (header.MaxTableEntries < needed)
            return Fail(VirtualDiskErrorReason.VhdMaxTableEntriesTooSmall, path,
                $"{Counted.Of(header.MaxTableEntries, "entry", "entries")}; {Counted.Of(virtualSize, "byte")} in blocks of {header.BlockSize} need {needed}", (long)headerOffset + VhdDynamicHeader.MaxTableEntriesOffset);
        if (header.MaxTableEntries > needed)
            context.Warn(VirtualDiskErrorReason.VhdMaxTableEntriesTooLarge, $"{Counted.Of(header.MaxTableEntries, "entry", "entries")}; {needed} needed");

        // VHD rule 15 (docs/open-path.md §8.1): the BAT inside the file, clear of the footer copy and the header.
        ulong tableOffset = header.TableOffset;
        ulong tableBytes = (ulong)header.MaxTableEntries * 4;
        ulong tablePadded = (tableBytes + 511) / 512 * 512;
        if (tableOffset > dataEnd || dataEnd - tableOffset < tableBytes)
            return Fail(VirtualDiskErrorReason.BatBeyondEndOfFile, path,
                $"BAT at {tableOffset}, {Counted.Of(tableBytes, "byte")}; block data must end by {dataEnd}", (long)headerOffset + VhdDynamicHeader.TableOffsetOffset);
        if (tableOffset < VhdFooter.Size || (tableOffset < headerOffset + VhdDynamicHeader.Size && headerOffset < tableOffset + tableBytes))
            return Fail(VirtualDiskErrorReason.VhdDynamicHeaderFieldInvalid, path,
                $"BAT at {tableOffset}..{tableOffset + tableBytes} overlaps the footer copy or the dynamic header at {headerOffset}", (long)headerOffset + VhdDynamicHeader.TableOffsetOffset);

        var metadata = new List<(ulong, ulong, string)>(12)
        {
            (0, VhdFooter.Size, "footer copy"),
            (headerOffset, headerOffset + VhdDynamicHeader.Size, "dynamic header"),
            (tableOffset, tableOffset + Math.Max(tablePadded, 1), "BAT"),
        };
        if (footerLength > 0) metadata.Add((dataEnd, (ulong)length, "trailing footer"));

        // ---- Parent locators (VHD spec "Dynamic Disk Header Format", parent locator entries; docs/open-path.md §10 order: W2ru, W2ku, then the parent name) ----
        var locators = new List<ParentLocator>();
        string? parentName = null;
        if (footer.DiskType == VhdDiskType.Differencing)
        {
            var w2ru = new List<ParentLocator>();
            var w2ku = new List<ParentLocator>();
            var legacy = new List<ParentLocator>();
            for (int i = 0; i < VhdDynamicHeader.ParentLocatorCount; i++)
            {
                var entry = VhdDynamicHeader.Locator(headerBytes, i);
                if (!entry.IsUsed || entry.PlatformDataLength == 0) continue;
                if (entry.PlatformCode is not (VhdParentLocatorEntry.CodeW2ru or VhdParentLocatorEntry.CodeW2ku or VhdParentLocatorEntry.CodeWi2r or VhdParentLocatorEntry.CodeWi2k)) continue;
                ulong at = entry.PlatformDataOffset, len = entry.PlatformDataLength;
                long entryOffset = (long)headerOffset + VhdDynamicHeader.ParentLocatorsOffset + i * VhdParentLocatorEntry.Size;
                if (len > VhdParentLocatorEntry.MaxDataLength || at > dataEnd || dataEnd - at < len || at < VhdFooter.Size)
                    return Fail(VirtualDiskErrorReason.VhdParentLocatorInvalid, path,
                        $"Parent locator {i} ({entry.CodeText}): {Counted.Of(len, "byte")} at {at} are not inside the file's data area (ends at {dataEnd})", entryOffset);
                metadata.Add((at, at + len, $"parent locator {i} data"));
                byte[] data = new byte[(int)len];
                file.ReadExactlyAt((long)at, data);
                string? text = entry.Decode(data);
                if (string.IsNullOrWhiteSpace(text)) continue;
                switch (entry.PlatformCode)
                {
                    case VhdParentLocatorEntry.CodeW2ru: w2ru.Add(new("W2ru", text, IsRelative: true)); break;
                    case VhdParentLocatorEntry.CodeW2ku: w2ku.Add(new("W2ku", text, IsRelative: false)); break;
                    case VhdParentLocatorEntry.CodeWi2r: legacy.Add(new("Wi2r", text, IsRelative: true)); break;
                    default: legacy.Add(new("Wi2k", text, IsRelative: false)); break;
                }
            }
            locators.AddRange(w2ru);
            locators.AddRange(w2ku);
            locators.AddRange(legacy);
            parentName = VhdDynamicHeader.ParentUnicodeName(headerBytes);
            if (parentName.Length > 0) locators.Add(new("ParentName", parentName, IsRelative: true));
        }

        // ---- The BAT (VHD rules 16, 17, docs/open-path.md §8.1) ----
        var table = new VhdBlockTable(file, tableOffset, needed, header.BlockSize, header.BitmapSize, virtualSize, dataEnd, [.. metadata]);
        if (needed <= VhdBlockTable.EagerEntryLimit)
        {
            var failure = table.CheckOverlaps(head[..headLength]);
            if (failure is not null) return failure;
        }
        layer = new VhdLayer(file, footer, header, table, parentName, locators, shortFooter);
        return null;
    }

    private static string StoredChecksum(ReadOnlySpan<byte> footer) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(footer[VhdFooter.ChecksumOffset..]).ToString("X8");

    /// <summary>VHD rule 19 and docs/open-path.md §8: size zero, not whole sectors, or beyond the format maximum.</summary>
    private static VirtualDiskDiagnostic? CheckSize(in VhdFooter footer, string path)
    {
        ulong size = footer.CurrentSize;
        if (size == 0) return new(VirtualDiskErrorReason.VirtualSizeZero, path, "Current size 0");
        if (size % 512 != 0) return new(VirtualDiskErrorReason.VirtualSizeNotSectorMultiple, path, $"Current size {size} leaves {Counted.Of(size % 512, "byte")} over whole sectors");
        if (size > MaxVirtualSize) return new(VirtualDiskErrorReason.VirtualSizeTooLarge, path, $"Current size {size} exceeds {MaxVirtualSize} (2040 GiB)");
        return null;
    }

    private static VirtualDiskDiagnostic Fail(VirtualDiskErrorReason reason, string path, string? detail, long? offset = null) => new(reason, path, detail, offset);

    private static string FooterDetail(VirtualDiskErrorReason reason, in VhdFooter footer) => reason switch
    {
        VirtualDiskErrorReason.VhdFormatVersionUnsupported => $"Format version 0x{footer.FormatVersion:X8}",
        VirtualDiskErrorReason.VhdDiskTypeInvalid => $"Disk type {(uint)footer.DiskType}",
        _ => reason.ToString(),
    };

    private static string HeaderDetail(VirtualDiskErrorReason reason, ReadOnlySpan<byte> bytes) => reason switch
    {
        VirtualDiskErrorReason.VhdDynamicHeaderCookieInvalid => $"Cookie \"{System.Text.Encoding.Latin1.GetString(bytes[..8])}\"",
        VirtualDiskErrorReason.VhdDynamicHeaderChecksumMismatch =>
            $"Checksum {VhdChecksum.Stored(bytes, VhdDynamicHeader.ChecksumOffset):X8} stored, {VhdChecksum.Compute(bytes, VhdDynamicHeader.ChecksumOffset):X8} computed",
        VirtualDiskErrorReason.VhdDynamicHeaderVersionUnsupported => $"Header version 0x{System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[VhdDynamicHeader.HeaderVersionOffset..]):X8}",
        VirtualDiskErrorReason.VhdBlockSizeInvalid => $"Block size {System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[VhdDynamicHeader.BlockSizeOffset..])}",
        _ => reason.ToString(),
    };

    private static string DescribeDifference(in VhdFooter copy, in VhdFooter trailing)
    {
        if (copy.CurrentSize != trailing.CurrentSize) return $"Copy at 0 says current size {copy.CurrentSize}, trailing footer {trailing.CurrentSize}; the trailing footer is used";
        if (copy.UniqueId != trailing.UniqueId) return $"Copy at 0 has unique id {copy.UniqueId}, trailing footer {trailing.UniqueId}; the trailing footer is used";
        if (copy.DiskType != trailing.DiskType) return $"Copy at 0 has disk type {(uint)copy.DiskType}, trailing footer {(uint)trailing.DiskType}; the trailing footer is used";
        return "The copy at offset 0 and the trailing footer differ; the trailing footer is used";
    }
}
