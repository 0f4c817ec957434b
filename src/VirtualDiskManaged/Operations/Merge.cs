using VirtualDiskManaged.IO;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

/// <summary>Progress of a merge: bytes written into the target out of the bytes the files above it hold.</summary>
/// <param name="BytesDone">Bytes written so far.</param>
/// <param name="BytesTotal">Bytes the child (and the intermediate files) hold above the target.</param>
public readonly record struct MergeProgress(long BytesDone, long BytesTotal);

/// <summary>Options of <see cref="VirtualDiskOperations.Merge"/> (MergeVirtualDisk version 1, docs/operations.md "merge").</summary>
public sealed record MergeOptions
{
    /// <summary>
    /// MERGE_VIRTUAL_DISK_PARAMETERS MergeDepth: how many parents up the target is (1 = the child's parent, 2 = its
    /// grandparent, the intermediate file's sectors merged too). At least 1 and at most the number of parents.
    /// </summary>
    public int Depth { get; init; } = 1;

    /// <summary>Receives the bytes written out of the bytes to write (optional).</summary>
    public IProgress<MergeProgress>? Progress { get; init; }

    /// <summary>Cancels the merge: what was written is flushed and <see cref="VirtualDiskErrorReason.MergeCanceled"/> returned.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Tests: called with the target's writable handle before the first write (to record its writes).</summary>
    internal Action<VirtualDiskHandle>? TargetOpened { get; init; }

    /// <summary>Tests: the copy buffer's size (a multiple of 4096; default 1 MiB).</summary>
    internal int BufferSize { get; init; } = 1 << 20;
}

/// <summary>What <see cref="VirtualDiskOperations.Merge"/> did.</summary>
/// <param name="ChildPath">The child's full path (not changed by the merge).</param>
/// <param name="TargetPath">The file that was written: the parent <paramref name="Depth"/> levels up.</param>
/// <param name="Depth">The merge depth.</param>
/// <param name="SourcePaths">The files whose sectors were written into the target, child first (Depth files).</param>
/// <param name="Runs">How many runs of sectors (stretches with one source) were written.</param>
/// <param name="BytesCopied">Bytes merged into the target: every byte the source files hold, zero runs included.</param>
/// <param name="ZeroBytes">Of <paramref name="BytesCopied"/>, the bytes of runs a source file holds as zeros (zero-state blocks).</param>
/// <param name="BytesNotWritten">Of <paramref name="BytesCopied"/>, zero bytes not written because the target already read
/// zeros there without data (an unallocated or zero-state block): writing them would only allocate.</param>
public sealed record MergeResult(string ChildPath, string TargetPath, int Depth, IReadOnlyList<string> SourcePaths, long Runs, long BytesCopied, long ZeroBytes, long BytesNotWritten);

public static partial class VirtualDiskOperations
{
    /// <summary>
    /// MergeVirtualDisk version 1 (docs/operations.md "merge"): writes every sector the child — and, for a depth above 1,
    /// the files between it and the target — holds into the target, the parent <see cref="MergeOptions.Depth"/> levels
    /// up, so that the target afterwards reads what the child read before. The child and the intermediate files are never
    /// written (they stay valid for reading through the old chain where the format allows it; deleting them is the caller's
    /// job, as on Windows). Writes go through the write path (docs/write.md), so a crash leaves the target openable, with
    /// each sector either its old or its merged content. Throws <see cref="VirtualDiskException"/> on failure.
    /// </summary>
    /// <param name="childPath">The differencing disk to merge.</param>
    /// <param name="options">The depth, progress and cancellation (null: depth 1).</param>
    /// <returns>What was written where.</returns>
    public static MergeResult Merge(string childPath, MergeOptions? options = null)
    {
        if (!TryMerge(childPath, options, out var result, out var failure)) ThrowHelper.Throw(failure!);
        return result!;
    }

    /// <summary>Tries to merge (see <see cref="Merge"/>).</summary>
    /// <param name="childPath">The differencing disk to merge.</param>
    /// <param name="options">The depth, progress and cancellation (null: depth 1).</param>
    /// <param name="result">What was written where, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryMerge(string childPath, MergeOptions? options, out MergeResult? result, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(childPath);
        options ??= new MergeOptions();
        result = null;
        if (options.Depth < 1)
        {
            failure = new(R.MergeDepthInvalid, childPath, $"Depth {options.Depth}");
            return false;
        }
        if (options.BufferSize < 4096 || options.BufferSize % 4096 != 0 || options.BufferSize > 64 << 20) ThrowHelper.ThrowArgumentOutOfRange(nameof(options));

        // 1. The whole chain, read-only (docs/open-path.md §10 checks every link): which files, which identities.
        failure = OpenInput(childPath, out var chain);
        if (failure is not null)
        {
            failure = ClassifyInUse(failure);
            return false;
        }
        var paths = new List<string>();
        var identities = new List<Guid>();
        using (chain)
        {
            for (DiskLayer? l = chain!.TopLayer; l is not null; l = l.Parent)
            {
                paths.Add(l.File.Path);
                identities.Add(l.Identifier);
            }
            if (chain.Subtype != VirtualDiskProviderSubtype.Differencing)
            {
                failure = new(R.MergeNotDifferencing, chain.Path, $"A {chain.Format} {chain.Subtype} disk has no parent");
                return false;
            }
        }
        if (options.Depth > paths.Count - 1)
        {
            failure = new(R.MergeDepthBeyondChain, paths[0], $"Depth {options.Depth}; the chain has {paths.Count - 1} parent(s)");
            return false;
        }
        // 2. The target for writing, before the files above it are opened for the copy: a handle or process holding it
        // (another child's chain included) is found before anything is written (docs/open-path.md §11). The chain handle
        // is closed first: it held the target as a parent.
        string targetPath = paths[options.Depth];
        failure = OpenForWrite(targetPath, out var target);
        if (failure is not null)
        {
            var root = failure.Inner ?? failure;
            failure = root.Reason is R.SharingViolation or R.SharingViolationOtherProcess
                ? new(R.MergeTargetInUse, targetPath, root.Detail, inner: root)
                : new(R.MergeTargetOpenFailed, targetPath, root.Detail, inner: root, code: root.Code);
            return false;
        }
        var sources = new VirtualDiskHandle?[options.Depth];
        try
        {
            if (target!.TopLayer.Identifier != identities[options.Depth])
            {
                failure = new(R.MergeChainChanged, targetPath, "The target's identity changed after the chain was opened");
                return false;
            }
            // 3. The files above the target, each alone (NO_PARENTS): their own runs; "parent" runs reach the next one down.
            for (int i = 0; i < sources.Length; i++)
            {
                var openOptions = new VirtualDiskOpenOptions
                {
                    Access = VirtualDiskAccessMask.None,
                    Flags = OpenVirtualDiskFlags.NoParents,
                    Parameters = OpenVirtualDiskParameters.V2(readOnly: true),
                };
                if (!VirtualDisk.TryOpen(paths[i], openOptions, out sources[i], out VirtualDiskDiagnostic? open))
                {
                    failure = new(R.OperationOpenFailed, paths[i], open.Detail, inner: open, code: open.Code);
                    return false;
                }
                if (sources[i]!.TopLayer.Identifier != identities[i] || sources[i]!.VirtualSize != target.VirtualSize)
                {
                    failure = new(R.MergeChainChanged, paths[i], "The file's identity or size changed after the chain was opened");
                    return false;
                }
            }
            options.TargetOpened?.Invoke(target);
            failure = Copy(sources!, target, options, out long runs, out long bytes, out long zeros, out long notWritten);
            if (failure is not null) return false;
            result = new(paths[0], targetPath, options.Depth, paths.GetRange(0, options.Depth), runs, bytes, zeros, notWritten);
            return true;
        }
        finally
        {
            foreach (var s in sources) s?.Dispose();
            try { target!.Dispose(); }
            catch (VirtualDiskException e) { failure ??= new(R.MergeWriteFailed, targetPath, e.Diagnostic.Detail, inner: e.Diagnostic); result = null; }
            if (failure is not null) result = null;
        }
    }

    /// <summary>
    /// A chain open that failed because a file is held by a writer (docs/open-path.md §11: a child's sharing violation, or a
    /// parent reported as ParentAccessDenied, which also covers permissions): a shared probe of that file tells the two apart.
    /// </summary>
    private static VirtualDiskDiagnostic ClassifyInUse(VirtualDiskDiagnostic failure)
    {
        var root = failure.Root;
        if (root.FilePath is not { } file) return failure;
        if (root.Reason is R.SharingViolation or R.SharingViolationOtherProcess)
            return new(R.MergeChainInUse, file, root.Detail, inner: failure);
        if (root.Reason != R.ParentAccessDenied) return failure;
        var probe = Host.HostFile.TryOpen(file, exclusive: false, out var probed, asParent: true);
        probed?.Dispose();
        return probe?.Reason is R.SharingViolation or R.SharingViolationOtherProcess
            ? new(R.MergeChainInUse, file, probe.Detail, inner: failure)
            : failure;
    }

    /// <summary>
    /// Writes the runs the source files hold (docs/operations.md "merge"): first a pass over the block tables for the
    /// total, then the copy in bounded pieces; the target is flushed at the end (and when canceled).
    /// </summary>
    private static VirtualDiskDiagnostic? Copy(VirtualDiskHandle[] sources, VirtualDiskHandle target, MergeOptions options, out long runs, out long bytes, out long zeros, out long notWritten)
    {
        long total = 0, count = 0, zeroTotal = 0, skipped = 0;
        var failure = WalkHeld(sources, 0, 0, target.VirtualSize, (_, length, _) => { total += length; count++; return null; });
        runs = count;
        bytes = 0;
        zeros = 0;
        notWritten = 0;
        if (failure is not null) return failure;
        options.Progress?.Report(new(0, total));
        var buffer = new byte[options.BufferSize];
        var zeroBuffer = new byte[options.BufferSize];
        long done = 0;
        var ct = options.CancellationToken;
        failure = WalkHeld(sources, 0, 0, target.VirtualSize, (start, length, source) =>
        {
            for (long at = start, end = start + length; at < end;)
            {
                if (ct.IsCancellationRequested) return new(R.MergeCanceled, target.Path);
                int n = (int)Math.Min(buffer.Length, end - at);
                ReadOnlySpan<byte> data;
                if (source is null) { data = zeroBuffer.AsSpan(0, n); zeroTotal += n; }
                else
                {
                    try { source.ReadCore(at, buffer.AsSpan(0, n)); }
                    catch (VirtualDiskException e) { return new(R.MergeReadFailed, source.Path, e.Diagnostic.Detail, e.Diagnostic.Offset ?? at, inner: e.Diagnostic); }
                    data = buffer.AsSpan(0, n);
                }
                var write = WriteSkippingZeros(target, at, data, ref skipped);
                if (write is not null) return write;
                at += n;
                done += n;
                options.Progress?.Report(new(done, total));
            }
            return null;
        });
        bytes = done;
        zeros = zeroTotal;
        notWritten = skipped;
        if (failure is not null && failure.Reason is R.MergeWriteFailed) return failure;
        // Flush also after a read failure or a cancel: the target then holds a consistent part of the merge.
        try { target.Flush(); }
        catch (VirtualDiskException e) { return failure ?? new(R.MergeWriteFailed, target.Path, e.Diagnostic.Detail, inner: e.Diagnostic); }
        return failure;
    }

    /// <summary>
    /// Writes one piece into the target, except the parts that are all zeros where the target itself reads zeros without
    /// data (an unallocated block of a dynamic disk, a ZERO/UNMAPPED VHDX block, MS-VHDX §2.5.1.1): writing them would
    /// allocate blocks and change no byte. A differencing target's parent runs are written (they are not zeros).
    /// </summary>
    private static VirtualDiskDiagnostic? WriteSkippingZeros(VirtualDiskHandle target, long at, ReadOnlySpan<byte> data, ref long skipped)
    {
        var layer = target.TopLayer;
        bool allZero = !data.ContainsAnyExcept((byte)0);
        for (int done = 0; done < data.Length;)
        {
            long position = at + done;
            int length = data.Length - done;
            if (allZero)
            {
                Run run;
                try { run = layer.RunAt(position, length); }
                catch (VirtualDiskException e) { return new(R.MergeReadFailed, target.Path, e.Diagnostic.Detail, e.Diagnostic.Offset ?? position, inner: e.Diagnostic); }
                length = (int)Math.Clamp(run.Length, 1, length);
                if (run.Kind == RunKind.Zero) { skipped += length; done += length; continue; }
            }
            try { target.Write(position, data.Slice(done, length)); }
            catch (VirtualDiskException e) { return new(R.MergeWriteFailed, target.Path, e.Diagnostic.Detail, e.Diagnostic.Offset ?? position, inner: e.Diagnostic); }
            done += length;
        }
        return null;
    }

    /// <summary>
    /// Calls <paramref name="visit"/> for each run, in order, that the files from <paramref name="index"/> down to the
    /// last source hold (the allocation map of docs/operations.md "map", cut at the target): data runs with the source
    /// handle that holds them, zero runs (zero-state blocks, MS-VHDX §2.5.1.1) with null. Runs the sources leave to their
    /// parent are the target's own and are skipped. Recursion is bounded by the chain depth (the open path caps chains).
    /// </summary>
    private static VirtualDiskDiagnostic? WalkHeld(VirtualDiskHandle[] sources, int index, long position, long end,
        Func<long, long, VirtualDiskHandle?, VirtualDiskDiagnostic?> visit)
    {
        var handle = sources[index];
        var layer = handle.TopLayer;
        end = Math.Min(end, layer.VirtualSize);
        while (position < end)
        {
            Run run;
            try { run = layer.RunAt(position, end - position); }
            catch (VirtualDiskException e) { return new(R.MergeReadFailed, handle.Path, e.Diagnostic.Detail, e.Diagnostic.Offset ?? position, inner: e.Diagnostic); }
            long length = Math.Min(run.Length, end - position);
            if (length <= 0) break; // defensive: a run is never empty
            VirtualDiskDiagnostic? failure = run.Kind switch
            {
                RunKind.Data => visit(position, length, handle),
                RunKind.Zero => visit(position, length, null),
                _ => index + 1 < sources.Length ? WalkHeld(sources, index + 1, position, position + length, visit) : null,
            };
            if (failure is not null) return failure;
            position += length;
        }
        return null;
    }
}
