using VirtualDiskManaged.Host;
using VirtualDiskManaged.Vhd;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

/// <summary>One change a repair made (or, in a dry run, would make).</summary>
/// <param name="Description">What is (or would be) changed, in a sentence.</param>
/// <param name="FileOffset">Where in the file, when one place.</param>
public sealed record RepairChange(string Description, long? FileOffset);

/// <summary>What <see cref="VirtualDiskOperations.Repair"/> did (docs/operations.md "repair").</summary>
/// <param name="Path">The image's full path.</param>
/// <param name="DryRun">True when nothing was written.</param>
/// <param name="Changes">The changes made (or that a run without dry-run would make); empty when nothing needed repair.</param>
public sealed record RepairResult(string Path, bool DryRun, IReadOnlyList<RepairChange> Changes)
{
    /// <summary>True when the image needed (dry run) or got a repair.</summary>
    public bool Repaired => Changes.Count > 0;
}

public static partial class VirtualDiskOperations
{
    /// <summary>
    /// Repairs what a crash or a careless copy leaves behind and the open path works around (docs/operations.md "repair"):
    /// a VHDX's pending log is replayed into the file (MS-VHDX §2.3.3); a VHD's damaged or missing trailing footer is
    /// restored from its copy at offset 0, or a damaged, missing or stale copy from the trailing footer (VHD spec "Hard
    /// Disk Footer Format", "Dynamic Disk Header Format": a copy of the footer at the beginning of the file); a 511-byte
    /// footer is completed. Refused when the two footers disagree about the disk's size, type or identity (which one is
    /// right cannot be told: the repair could lose data). Throws <see cref="VirtualDiskException"/> on failure.
    /// </summary>
    /// <param name="path">The image (opened exclusively when it is changed).</param>
    /// <param name="dryRun">Only say what would change; never write.</param>
    /// <returns>The changes.</returns>
    public static RepairResult Repair(string path, bool dryRun = false)
    {
        if (!TryRepair(path, dryRun, out var result, out var failure)) ThrowHelper.Throw(failure!);
        return result!;
    }

    /// <summary>Tries to repair (see <see cref="Repair"/>).</summary>
    /// <param name="path">The image.</param>
    /// <param name="dryRun">Only say what would change.</param>
    /// <param name="result">The changes, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryRepair(string path, bool dryRun, out RepairResult? result, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(path);
        result = null;
        failure = OpenInput(path, out var handle);
        if (failure is not null)
        {
            if (failure.Root.Code is VirtualDiskError.VhdDriveFooterChecksumMismatch or VirtualDiskError.VhdDriveFooterMissing)
                failure = new(R.RepairNoIntactFooter, path, failure.Root.Detail, failure.Root.Offset, inner: failure.Inner);
            return false;
        }
        string full;
        VirtualDiskFormat format;
        bool pendingLog;
        using (handle)
        {
            full = handle!.Path;
            format = handle.Format;
            pendingLog = handle.LogReplayed;
        }
        var changes = new List<RepairChange>();
        switch (format)
        {
            case VirtualDiskFormat.Vhdx:
                failure = RepairVhdx(full, dryRun, pendingLog, changes);
                break;
            case VirtualDiskFormat.Vhd:
                failure = RepairVhd(full, dryRun, changes);
                break;
            default:
                failure = new(R.OperationNotSupported, full, $"Repair applies to VHD and VHDX, not {format}");
                break;
        }
        if (failure is not null) return false;
        result = new(full, dryRun, changes);
        return true;
    }

    private static VirtualDiskDiagnostic? RepairVhdx(string path, bool dryRun, bool pendingLog, List<RepairChange> changes)
    {
        if (!pendingLog) return null;
        if (dryRun)
        {
            changes.Add(new("Replay the pending log into the file (MS-VHDX §2.3.3) and mark it clean", null));
            return null;
        }
        // The write path replays a pending log into the file when a handle that may write opens (docs/write.md).
        var failure = OpenForWrite(path, out var handle);
        if (failure is not null) return new(R.RepairWriteFailed, path, "Opening for write to replay the log", inner: failure, code: failure.Code);
        using (handle)
        {
            var replayed = handle!.Warnings.FirstOrDefault(w => w.Reason == R.VhdxLogReplayedIntoFile);
            if (replayed is null) return new(R.RepairWriteFailed, path, "The writable open did not replay the log");
            changes.Add(new("Replayed the pending log into the file (MS-VHDX §2.3.3): " + replayed.Detail, replayed.Offset));
        }
        return null;
    }

    private static VirtualDiskDiagnostic? RepairVhd(string path, bool dryRun, List<RepairChange> changes)
    {
        // Read both footers as they are on disk (the open path chose one; here both are judged).
        var host = HostFile.TryOpen(path, exclusive: false, out var reader);
        if (host is not null) return new(R.OperationOpenFailed, path, inner: host, code: host.Code);
        byte[] trailing = new byte[VhdFooter.Size], copy = new byte[VhdFooter.Size];
        long length;
        int trailingLength = 0; // 512, 511 (short), or 0 (none)
        bool trailingOk = false, copyOk = false;
        VhdFooter t = default, c = default;
        using (reader)
        {
            length = reader!.Length;
            if (length >= VhdFooter.Size && reader.TryReadExactlyAt(length - VhdFooter.Size, trailing) && VhdFooter.HasCookie(trailing))
                trailingLength = VhdFooter.Size;
            else if (length >= VhdFooter.ShortSize && reader.TryReadExactlyAt(length - VhdFooter.ShortSize, trailing.AsSpan(0, VhdFooter.ShortSize)) && VhdFooter.HasCookie(trailing))
            {
                trailing[VhdFooter.ShortSize] = 0;
                trailingLength = VhdFooter.ShortSize;
            }
            if (trailingLength > 0) trailingOk = VhdFooter.TryParse(trailing, out t, out var tr) && tr == R.None;
            if (length >= VhdFooter.Size && reader.TryReadExactlyAt(0, copy) && VhdFooter.HasCookie(copy))
                copyOk = VhdFooter.TryParse(copy, out c, out var cr) && cr == R.None;
        }

        byte[]? writeData = null;
        long writeOffset = 0;
        string? what = null;
        if (trailingOk && !t.IsSparse)
        {
            // A fixed disk has only the trailing footer (VHD spec "Fixed Hard Disk Image").
            if (trailingLength == VhdFooter.ShortSize) (writeData, writeOffset, what) = (trailing, length - VhdFooter.ShortSize, "Completed the 511-byte footer to 512 bytes");
        }
        else if (trailingOk)
        {
            if (copyOk && (c.CurrentSize != t.CurrentSize || c.DiskType != t.DiskType || c.UniqueId != t.UniqueId))
                return new(R.RepairWouldLoseData, path,
                    $"The copy at offset 0 says size {c.CurrentSize}, type {(uint)c.DiskType}, id {c.UniqueId}; the trailing footer size {t.CurrentSize}, type {(uint)t.DiskType}, id {t.UniqueId}", 0);
            if (trailingLength == VhdFooter.ShortSize)
                (writeData, writeOffset, what) = (trailing, length - VhdFooter.ShortSize, "Completed the 511-byte trailing footer to 512 bytes");
            else if (!copyOk || !copy.AsSpan().SequenceEqual(trailing))
                (writeData, writeOffset, what) = (trailing, 0, copyOk ? "Rewrote the stale footer copy at offset 0 from the trailing footer" : "Restored the damaged footer copy at offset 0 from the trailing footer");
        }
        else if (copyOk && c.IsSparse)
        {
            // The open used the copy; the damaged trailing footer's place is the end of the file, or, when there is
            // none, the footer goes after the last byte (rounded up to a sector).
            writeOffset = trailingLength > 0 ? length - trailingLength : (length + 511) / 512 * 512;
            (writeData, what) = (copy, trailingLength > 0 ? "Restored the damaged trailing footer from the copy at offset 0" : "Appended the missing trailing footer from the copy at offset 0");
        }
        else return new(R.RepairNoIntactFooter, path, "Neither footer is intact", trailingLength > 0 ? length - trailingLength : 0);

        if (writeData is null) return null;
        changes.Add(new(what!.Replace("Restored", dryRun ? "Restore" : "Restored").Replace("Rewrote", dryRun ? "Rewrite" : "Rewrote")
            .Replace("Appended", dryRun ? "Append" : "Appended").Replace("Completed", dryRun ? "Complete" : "Completed"), writeOffset));
        if (dryRun) return null;

        // One 512-byte sector write, then a flush: the file opens with the old footer (the other copy stands in) or the new one.
        var open = HostFile.TryOpen(path, exclusive: true, out var writer, writable: true);
        if (open is not null) return new(R.RepairWriteFailed, path, inner: open, code: open.Code);
        using (writer)
        {
            if (writer!.Length != length) return new(R.RepairWriteFailed, path, "The file changed while it was being repaired");
            try
            {
                ((IBackingStore)writer).WriteAt(writeOffset, writeData);
                ((IBackingStore)writer).Flush();
            }
            catch (IOException e) { return new(R.RepairWriteFailed, path, e.Message, writeOffset); }
        }
        return null;
    }
}
