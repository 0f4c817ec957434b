using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// Replays a pending log into the file (MS-VHDX §2.3, the log replay; docs/write.md: "opens that may write replay into the file
/// before first use"). Order: a header with a new FileWriteGuid first (MS-VHDX §2.2.2: the FileWriteGuid changes
/// before the first modification, log replay included), then every replayed sector and zero range at its final
/// offset and the file extended to the log's LastFileOffset, flush, then a header with LogGuid = 0, flush. A crash
/// before the last step leaves the log pending, and replaying it again gives the same result.
/// </summary>
internal static class VhdxLogApplier
{
    public static void ReplayIntoFile(HostFile file, VhdxLogOverlay overlay)
    {
        var headers = VhdxHeaderUpdater.TryRead(file)
            ?? throw new VirtualDiskException(new(VirtualDiskErrorReason.VhdxHeadersInvalid, file.Path, "The headers changed during the open"));
        headers.Update(file, h => h with { FileWriteGuid = Guid.NewGuid() });
        byte[] buffer = new byte[1 << 20];
        if (overlay.Length > file.Length) file.SetLength(overlay.Length);
        foreach (var (offset, length) in overlay.ChangedRanges)
        {
            for (long done = 0; done < length;)
            {
                int n = (int)Math.Min(buffer.Length, length - done);
                int got = overlay.ReadAt(offset + done, buffer.AsSpan(0, n));
                if (got <= 0) break;
                file.WriteAt(offset + done, buffer.AsSpan(0, got));
                done += got;
            }
        }
        file.Flush();
        headers.Update(file, h => h with { LogGuid = Guid.Empty });
    }
}
