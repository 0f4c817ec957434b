using VirtualDiskManaged.Host;
using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

/// <summary>How <see cref="VirtualDiskOperations.Resize(string, long, ResizeOptions)"/> runs (ResizeVirtualDisk).</summary>
public sealed record ResizeOptions
{
    /// <summary>
    /// RESIZE_VIRTUAL_DISK_FLAG_ALLOW_UNSAFE_VIRTUAL_SIZE: shrink below the smallest safe virtual size (the end of the last
    /// partition, docs/operations.md "partitions"), or when no partition table can be read. Data past the new size is lost.
    /// </summary>
    public bool AllowUnsafeShrink { get; init; }

    /// <summary>
    /// RESIZE_VIRTUAL_DISK_FLAG_RESIZE_TO_SMALLEST_SAFE_VIRTUAL_SIZE: shrink a VHDX to its smallest safe virtual size (the end
    /// of the last partition); the new size passed must then be 0 (ResizeVirtualDisk's rule).
    /// </summary>
    public bool ToSmallestSafeVirtualSize { get; init; }

    /// <summary>Bytes copied or cleared so far, of the total the resize will copy or clear (moved VHD blocks, a moved VHDX BAT, cleared tails).</summary>
    public IProgress<ResizeProgress>? Progress { get; init; }

    /// <summary>Cancels the resize before the size changes; once the new size is being committed the resize finishes.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>Progress of a resize: bytes copied or cleared so far, of the total.</summary>
/// <param name="BytesDone">Bytes done.</param>
/// <param name="BytesTotal">Bytes to do in all.</param>
public readonly record struct ResizeProgress(long BytesDone, long BytesTotal);

/// <summary>What a resize did.</summary>
/// <param name="Path">The image's full path.</param>
/// <param name="Format">VHD or VHDX.</param>
/// <param name="Subtype">Fixed or dynamic.</param>
/// <param name="OldVirtualSize">The virtual size before.</param>
/// <param name="NewVirtualSize">The virtual size after.</param>
/// <param name="OldFileLength">The file's length before.</param>
/// <param name="NewFileLength">The file's length after.</param>
/// <param name="Changes">One sentence per change, the size change first.</param>
public sealed record ResizeResult(string Path, VirtualDiskFormat Format, VirtualDiskProviderSubtype Subtype, long OldVirtualSize, long NewVirtualSize,
    long OldFileLength, long NewFileLength, IReadOnlyList<string> Changes)
{
    /// <summary>Bytes inside the file that no structure references any more (blocks a shrink freed that were not at the end, moved blocks' old places).</summary>
    public long UnreferencedBytes { get; init; }
}

public static partial class VirtualDiskOperations
{
    /// <summary>
    /// ResizeVirtualDisk (docs/operations.md "resize"): grows a VHD or VHDX (fixed or dynamic), shrinks a VHDX down to the
    /// smallest safe virtual size. Every step is ordered so that a crash leaves the image opening with the old or the new size
    /// and the content below the smaller of the two unchanged. Returns one sentence saying what changed.
    /// </summary>
    /// <param name="path">The image (opened exclusively).</param>
    /// <param name="newSize">The new virtual size (a multiple of the logical sector size; VHD at most 2040 GiB, VHDX 64 TiB).</param>
    /// <returns>The first change, "Virtual size OLD -> NEW".</returns>
    public static string Resize(string path, long newSize)
    {
        if (!TryResize(path, newSize, out var change, out var failure)) ThrowHelper.Throw(failure!);
        return change!;
    }

    /// <summary>Resizes with options (see <see cref="Resize(string, long)"/>).</summary>
    /// <param name="path">The image (opened exclusively).</param>
    /// <param name="newSize">The new virtual size (0 with <see cref="ResizeOptions.ToSmallestSafeVirtualSize"/>).</param>
    /// <param name="options">Unsafe shrink, progress, cancellation.</param>
    /// <returns>What changed.</returns>
    public static ResizeResult Resize(string path, long newSize, ResizeOptions options)
    {
        if (!TryResize(path, newSize, options, out var result, out var failure)) ThrowHelper.Throw(failure!);
        return result!;
    }

    /// <summary>Tries to resize (see <see cref="Resize(string, long)"/>).</summary>
    /// <param name="path">The image.</param>
    /// <param name="newSize">The new virtual size.</param>
    /// <param name="change">What changed, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryResize(string path, long newSize, out string? change, out VirtualDiskDiagnostic? failure)
    {
        bool ok = TryResize(path, newSize, new ResizeOptions(), out var result, out failure);
        change = ok ? result!.Changes[0] : null;
        return ok;
    }

    /// <summary>Tries to resize with options (see <see cref="Resize(string, long, ResizeOptions)"/>).</summary>
    /// <param name="path">The image.</param>
    /// <param name="newSize">The new virtual size.</param>
    /// <param name="options">Unsafe shrink, progress, cancellation.</param>
    /// <param name="result">What changed, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryResize(string path, long newSize, ResizeOptions options, out ResizeResult? result, out VirtualDiskDiagnostic? failure) =>
        TryResizeCore(path, newSize, options, null, out result, out failure);

    /// <summary>The resize; <paramref name="wrap"/> lets tests journal every write and flush (crash cuts).</summary>
    internal static bool TryResizeCore(string path, long newSize, ResizeOptions options, Func<IBackingStore, IBackingStore>? wrap,
        out ResizeResult? result, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        result = null;
        failure = OpenInput(path, out var handle);
        if (failure is not null) return false;
        string full;
        long oldSize, smallest = 0;
        int logical;
        uint blockSize;
        VirtualDiskFormat format;
        VirtualDiskProviderSubtype subtype;
        string? problems = null;
        bool pending;
        using (handle)
        {
            pending = handle!.LogReplayed;
            full = handle!.Path;
            oldSize = handle.VirtualSize;
            logical = handle.LogicalSectorSize;
            blockSize = handle.Info.Top.BlockSize;
            format = handle.Format;
            subtype = handle.Subtype;
            if (options.ToSmallestSafeVirtualSize && newSize == 0 && format == VirtualDiskFormat.Vhdx && subtype != VirtualDiskProviderSubtype.Differencing)
            {
                var layout = ReadPartitions(handle);
                if (layout.Scheme == PartitionScheme.None || layout.Problems.Count > 0)
                {
                    failure = new(R.ResizeMinimumUnknown, handle.Path, layout.Scheme == PartitionScheme.None ? "No partition table" : string.Join("; ", layout.Problems));
                    return false;
                }
                if (layout.SmallestSafeVirtualSize >= oldSize)
                {
                    failure = new(R.ResizeAlreadyAtMinimum, handle.Path, $"The smallest safe virtual size is {layout.SmallestSafeVirtualSize}; the size is {oldSize}");
                    return false;
                }
                // UEFI 2.10 §5.3: partitions are in whole logical blocks, so the size stays a multiple of the sector size.
                newSize = (layout.SmallestSafeVirtualSize + logical - 1) / logical * logical;
                smallest = newSize;
            }
            else if (newSize < oldSize && format == VirtualDiskFormat.Vhdx && subtype != VirtualDiskProviderSubtype.Differencing && !options.AllowUnsafeShrink)
            {
                var layout = ReadPartitions(handle);
                smallest = layout.SmallestSafeVirtualSize;
                problems = layout.Scheme == PartitionScheme.None ? "no partition table" : layout.Problems.Count > 0 ? string.Join("; ", layout.Problems) : null;
            }
        }
        if (format is not (VirtualDiskFormat.Vhd or VirtualDiskFormat.Vhdx))
        {
            failure = new(R.OperationNotSupported, full, $"Resize applies to VHD and VHDX, not {format}");
            return false;
        }
        if (options.ToSmallestSafeVirtualSize && (newSize != smallest || newSize == 0))
        {
            failure = format == VirtualDiskFormat.Vhd ? new(R.ResizeShrinkNotSupported, full, "A VHD only grows")
                : subtype == VirtualDiskProviderSubtype.Differencing ? new(R.ResizeDifferencingNotSupported, full, "A differencing disk's virtual size is its parent's")
                : new(R.ResizeSizeInvalid, full, "With ToSmallestSafeVirtualSize the new size must be 0");
            return false;
        }
        long max = format == VirtualDiskFormat.Vhd ? VhdProvider.MaxVirtualSize : VhdxConstants.MaxVirtualSize;
        if (newSize <= 0 || newSize % logical != 0 || newSize > max)
        {
            failure = new(R.ResizeSizeInvalid, full, $"Size {newSize}: a multiple of {logical} up to {max}");
            return false;
        }
        if (subtype == VirtualDiskProviderSubtype.Differencing)
        {
            failure = new(R.ResizeDifferencingNotSupported, full, "A differencing disk's virtual size is its parent's");
            return false;
        }
        if (newSize < oldSize && format == VirtualDiskFormat.Vhd)
        {
            failure = new(R.ResizeShrinkNotSupported, full, $"{oldSize} -> {newSize}: a VHD only grows");
            return false;
        }
        if (newSize < oldSize && !options.AllowUnsafeShrink && newSize < smallest)
        {
            failure = new(R.ResizeWouldTruncateData, full, $"{newSize} is below the smallest safe virtual size {smallest}" + (problems is null ? "" : $" ({problems})"));
            return false;
        }

        bool replayed = false;
        if (pending)
        {
            // A pending VHDX log (a crash, for example of an earlier resize) is replayed into the file first, as an open for
            // writing does (MS-VHDX §2.3.3; docs/write.md), so that every step below starts from a clean log. The replayed
            // file is what the read-only open above saw, so its sizes still hold.
            failure = OpenForWrite(full, out var writer);
            if (failure is not null) return false;
            writer!.Dispose();
            replayed = true;
        }
        long oldLength = new FileInfo(full).Length;
        if (newSize == oldSize)
        {
            result = new(full, format, subtype, oldSize, newSize, oldLength, oldLength,
                replayed ? ["The virtual size is already " + newSize, "Pending log replayed into the file"] : ["The virtual size is already " + newSize]);
            return true;
        }
        var open = HostFile.TryOpen(full, exclusive: true, out var file, writable: true);
        if (open is not null) { failure = new(R.ResizeWriteFailed, full, inner: open, code: open.Code); return false; }
        var job = new ResizeJob(file!, wrap is null ? file! : wrap(file!), options);
        using (file)
        {
            try
            {
                failure = format == VirtualDiskFormat.Vhd
                    ? subtype == VirtualDiskProviderSubtype.Fixed ? GrowVhdFixed(job, oldSize, newSize) : GrowVhdDynamic(job, oldSize, newSize)
                    : ResizeVhdx(job, oldSize, newSize, logical, blockSize, subtype == VirtualDiskProviderSubtype.Fixed);
            }
            catch (OperationCanceledException) { failure = new(R.ResizeCanceled, full); }
            catch (IOException e) { failure = new(R.ResizeWriteFailed, full, e.Message); }
            catch (UnauthorizedAccessException e) { failure = new(R.ResizeWriteFailed, full, e.Message); }
        }
        if (failure is not null) return false;
        if (replayed) job.Changes.Insert(0, "Pending log replayed into the file first");
        job.Changes.Insert(0, $"Virtual size {oldSize} -> {newSize}");
        result = new(full, format, subtype, oldSize, newSize, oldLength, new FileInfo(full).Length, job.Changes) { UnreferencedBytes = job.Unreferenced };
        return true;
    }

    /// <summary>The open file (reads), the store every write and flush goes through, the options and what changed.</summary>
    private sealed class ResizeJob(HostFile file, IBackingStore store, ResizeOptions options)
    {
        public HostFile File { get; } = file;
        public IBackingStore Store { get; } = store;
        public ResizeOptions Options { get; } = options;
        public List<string> Changes { get; } = [];
        public long Unreferenced { get; set; }
        public long Done { get; set; }
        public long Total { get; set; }

        public void Step(long bytes)
        {
            Done += bytes;
            Options.Progress?.Report(new(Math.Min(Done, Total), Total));
        }

        public void ThrowIfCanceled() => Options.CancellationToken.ThrowIfCancellationRequested();

        public VirtualDiskDiagnostic Layout(string detail, long? offset = null) => new(R.ResizeLayoutNotSupported, File.Path, detail, offset);

        /// <summary>Copies <paramref name="length"/> bytes inside the file in 1 MiB pieces (not flushed).</summary>
        public void Copy(long from, long to, long length)
        {
            var buffer = new byte[(int)Math.Min(length, 1 << 20)];
            for (long done = 0; done < length; done += buffer.Length)
            {
                var part = buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - done));
                File.ReadExactlyAt(from + done, part);
                Store.WriteAt(to + done, part);
                Step(part.Length);
            }
        }

        /// <summary>Writes <paramref name="length"/> bytes of <paramref name="value"/> in 1 MiB pieces (not flushed).</summary>
        public void Fill(long at, long length, byte value)
        {
            var buffer = new byte[(int)Math.Min(length, 1 << 20)];
            if (value != 0) buffer.AsSpan().Fill(value);
            for (long done = 0; done < length; done += buffer.Length)
            {
                int part = (int)Math.Min(buffer.Length, length - done);
                Store.WriteAt(at + done, buffer.AsSpan(0, part));
                Step(part);
            }
        }
    }
}
