using System.Buffers.Binary;
using VirtualDiskManaged.Vhd;

namespace VirtualDiskManaged;

public static partial class VirtualDiskOperations
{
    /// <summary>BAT entries a VHD grow reads and rewrites at most (a cap that does not depend on the file: 64 MiB of entries).</summary>
    private const long MaxVhdBatEntries = 16L << 20;

    /// <summary>
    /// A fixed VHD (VHD spec "Fixed Hard Disk Image": the data, then the footer) grows by writing the footer with the new
    /// Current Size and geometry at the new end first (flushed: from then on the image opens with the new size), then zeroing
    /// the old footer's sector, which is now virtual data (flushed). A crash between leaves the new size with that one
    /// sector at the old size reading the old footer's bytes instead of zeros (docs/operations.md "resize").
    /// </summary>
    private static VirtualDiskDiagnostic? GrowVhdFixed(ResizeJob job, long oldSize, long newSize)
    {
        long length = job.File.Length;
        var footer = new byte[VhdFooter.Size];
        if (length != oldSize + VhdFooter.Size || !job.File.TryReadExactlyAt(oldSize, footer) || !VhdFooter.TryParse(footer, out var parsed, out var reason)
            || reason != VirtualDiskErrorReason.None || parsed.DiskType != VhdDiskType.Fixed)
            return job.Layout($"The file is not the data ({oldSize} bytes) followed by one intact 512-byte footer; run repair first", length - VhdFooter.Size);
        job.Total = VhdFooter.Size;
        job.ThrowIfCanceled();
        SetFooterSize(footer, newSize);
        job.Store.WriteAt(newSize, footer);
        job.Store.Flush();
        job.Store.WriteAt(oldSize, new byte[VhdFooter.Size]);
        job.Store.Flush();
        job.Step(VhdFooter.Size);
        job.Changes.Add($"Footer moved from {oldSize} to {newSize} (Current Size and geometry {Geometry(newSize)}); the old footer's sector cleared");
        return null;
    }

    /// <summary>
    /// A dynamic VHD grows (VHD spec "Dynamic Disk Header Format": Max Table Entries; "Hard Disk Footer Format": Current Size,
    /// Disk Geometry). When the BAT's padded sectors have no room for ceil(size / block size) entries, the data blocks in the
    /// way are moved to the end of the file first (the footer moved past them and flushed, the blocks copied and flushed,
    /// their BAT entries rewritten and flushed), then the new entries are written as unused (0xFFFFFFFF) and flushed, then
    /// Max Table Entries (one sector) and flushed; last the footer copy at offset 0 and then the trailing footer, each flushed.
    /// Before the trailing footer lands the image opens with the old size (more table entries than needed is only a warning).
    /// </summary>
    private static VirtualDiskDiagnostic? GrowVhdDynamic(ResizeJob job, long oldSize, long newSize)
    {
        var file = job.File;
        var store = job.Store;
        long length = file.Length;
        long fileEnd = length - VhdFooter.Size;
        var footer = new byte[VhdFooter.Size];
        if (length < 3 * VhdSector || length % VhdSector != 0 || !file.TryReadExactlyAt(fileEnd, footer) || !VhdFooter.TryParse(footer, out var parsed, out var reason)
            || reason != VirtualDiskErrorReason.None || parsed.DiskType != VhdDiskType.Dynamic || (long)parsed.CurrentSize != oldSize)
            return job.Layout("The trailing footer is not one intact 512-byte footer at a sector boundary (a 511-byte or damaged footer; run repair first)", fileEnd);
        // VHD spec "Hard Disk Footer Format", Data Offset: the dynamic header; "Dynamic Disk Header Format": 1024 bytes.
        ulong headerField = parsed.DataOffset;
        if (headerField < VhdSector || headerField % VhdSector != 0 || headerField > (ulong)(fileEnd - VhdDynamicHeader.Size))
            return job.Layout($"Data offset 0x{headerField:X} is not a dynamic header inside the file");
        long headerAt = (long)headerField;
        var header = new byte[VhdDynamicHeader.Size];
        file.ReadExactlyAt(headerAt, header);
        if (!VhdDynamicHeader.TryParse(header, out var dyn, out _)) return job.Layout("The dynamic header is not intact", headerAt);
        long blockSize = dyn.BlockSize, bitmap = dyn.BitmapSize, max = dyn.MaxTableEntries;
        if (dyn.TableOffset % VhdSector != 0 || dyn.TableOffset > (ulong)fileEnd) return job.Layout($"The BAT at {dyn.TableOffset} is not sector aligned inside the file");
        long tableAt = (long)dyn.TableOffset;
        long needed = (newSize + blockSize - 1) / blockSize;
        if (needed > MaxVhdBatEntries || max > MaxVhdBatEntries) return job.Layout($"{needed} BAT entries exceed the resize's cap of {MaxVhdBatEntries}");
        long oldPadded = (max * 4 + VhdSector - 1) / VhdSector * VhdSector;
        if (tableAt + max * 4 > fileEnd) return job.Layout("The BAT runs past the trailing footer");
        var bat = new byte[oldPadded];
        file.ReadExactlyAt(tableAt, bat.AsSpan(0, (int)Math.Min(oldPadded, fileEnd - tableAt)));
        uint Entry(long i) => BinaryPrimitives.ReadUInt32BigEndian(bat.AsSpan((int)(i * 4)));

        // The last old block's tail past the old size becomes virtual data: it must read as zeros (it normally does).
        long tailBlock = (oldSize - 1) / blockSize, tailFrom = oldSize - tailBlock * blockSize;
        long tailLength = Math.Min(blockSize, newSize - tailBlock * blockSize) - tailFrom;
        bool clearTail = oldSize % blockSize != 0 && Entry(tailBlock) != VhdBlockTable.Unallocated && tailLength > 0;
        if (clearTail && (long)Entry(tailBlock) * VhdSector > fileEnd - bitmap - blockSize)
            return job.Layout($"Block {tailBlock} runs past the trailing footer", tableAt + tailBlock * 4);

        var movers = new List<long>();
        long footerAt = fileEnd, newPadded = oldPadded, first = 0, stride = (bitmap + blockSize + 4095) / 4096 * 4096;
        if (needed > max)
        {
            newPadded = (needed * 4 + VhdSector - 1) / VhdSector * VhdSector;
            long lo = tableAt + oldPadded, hi = tableAt + newPadded;
            if (headerAt < hi && lo < headerAt + VhdDynamicHeader.Size) return job.Layout($"The dynamic header at {headerAt} lies where the BAT must grow", headerAt);
            for (long i = 0; i < max; i++)
            {
                uint e = Entry(i);
                if (e == VhdBlockTable.Unallocated) continue;
                long at = (long)e * VhdSector;
                if (at < hi && lo < at + bitmap + blockSize)
                {
                    // VHD rule 16 (docs/open-path.md §8.1): a block lies inside the file's data area; checked again before copying it.
                    if (at > fileEnd - bitmap - blockSize) return job.Layout($"Block {i} at {at} runs past the trailing footer", tableAt + i * 4);
                    movers.Add(i);
                }
            }
            // The moved blocks go past both the file's data and the grown BAT, data on a 4 KiB boundary as the write path places them.
            long start = Math.Max(fileEnd, hi);
            first = (start + bitmap + 4095) / 4096 * 4096 - bitmap;
            footerAt = movers.Count == 0 ? start : first + (movers.Count - 1) * stride + bitmap + blockSize;
            footerAt = (footerAt + VhdSector - 1) / VhdSector * VhdSector;
        }
        // The new entries are filled only when the table grows (below); otherwise newPadded is the old padding.
        job.Total = movers.Count * (bitmap + blockSize) + (clearTail ? tailLength : 0) + (needed > max ? newPadded - max * 4 : 0);
        job.ThrowIfCanceled();

        if (clearTail)
        {
            // Past the old size, so invisible until the new footer lands.
            job.Fill((long)Entry(tailBlock) * VhdSector + bitmap + tailFrom, tailLength, 0);
            store.Flush();
        }
        if (footerAt != fileEnd)
        {
            // The footer moves first (VHD spec "Dynamic Hard Disk Image": it follows the last block), the old one becomes interior space.
            store.WriteAt(footerAt, footer);
            store.Flush();
        }
        if (movers.Count > 0)
        {
            for (int k = 0; k < movers.Count; k++)
            {
                job.ThrowIfCanceled();
                job.Copy((long)Entry(movers[k]) * VhdSector, first + k * stride, bitmap + blockSize);
            }
            store.Flush();
            // Each entry's sector is rewritten whole (a sector write lands or not); both places hold the same block until then.
            var sectors = new SortedSet<long>();
            for (int k = 0; k < movers.Count; k++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bat.AsSpan((int)(movers[k] * 4)), (uint)((first + k * stride) / VhdSector));
                sectors.Add(movers[k] * 4 / VhdSector);
            }
            foreach (long s in sectors) store.WriteAt(tableAt + s * VhdSector, bat.AsSpan((int)(s * VhdSector), VhdSector));
            store.Flush();
            job.Unreferenced += movers.Count * (bitmap + blockSize) - Math.Min(movers.Count * (bitmap + blockSize), newPadded - oldPadded);
            job.Changes.Add($"{movers.Count} data block(s) moved from after the BAT to the end of the file");
        }
        if (needed > max)
        {
            // VHD spec "Block Allocation Table": unused entries are 0xFFFFFFFF; the padding of the last sector too.
            job.Fill(tableAt + max * 4, newPadded - max * 4, 0xFF);
            store.Flush();
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(VhdDynamicHeader.MaxTableEntriesOffset), (uint)needed);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(VhdDynamicHeader.ChecksumOffset), 0);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(VhdDynamicHeader.ChecksumOffset), VhdChecksum.Compute(header, VhdDynamicHeader.ChecksumOffset));
            // Max Table Entries and the checksum are both in the header's first sector: one sector write.
            store.WriteAt(headerAt, header.AsSpan(0, VhdSector));
            store.Flush();
            job.Changes.Add($"BAT grown from {max} to {needed} entries ({oldPadded} -> {newPadded} bytes at {tableAt})");
        }
        SetFooterSize(footer, newSize);
        // The copy first: until the trailing (authoritative) footer lands the image has the old size.
        store.WriteAt(0, footer);
        store.Flush();
        store.WriteAt(footerAt, footer);
        store.Flush();
        job.Changes.Add($"Footers: Current Size {newSize}, geometry {Geometry(newSize)}");
        return null;
    }

    /// <summary>VHD spec "Hard Disk Footer Format": Current Size, Disk Geometry (the spec's CHS algorithm, as the create path writes it), checksum.</summary>
    private static void SetFooterSize(Span<byte> footer, long size)
    {
        BinaryPrimitives.WriteUInt64BigEndian(footer[VhdFooter.CurrentSizeOffset..], (ulong)size);
        var g = VhdGeometry.FromSize(size);
        BinaryPrimitives.WriteUInt16BigEndian(footer[VhdFooter.CylindersOffset..], (ushort)g.Cylinders);
        footer[VhdFooter.HeadsOffset] = (byte)g.Heads;
        footer[VhdFooter.SectorsPerTrackOffset] = (byte)g.SectorsPerTrack;
        footer.Slice(VhdFooter.ChecksumOffset, 4).Clear();
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.ChecksumOffset..], VhdChecksum.Compute(footer, VhdFooter.ChecksumOffset));
    }

    private static string Geometry(long size)
    {
        var g = VhdGeometry.FromSize(size);
        return $"{g.Cylinders}/{g.Heads}/{g.SectorsPerTrack}";
    }
}
