using VirtualDiskManaged.OpenPath;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Create;

/// <summary>
/// The one create path behind both API layers (docs/create.md): the parameter rules (<see cref="CreateRules"/>), then
/// the target's folder and name, the parent or the source, the image written under a temporary name, flushed and
/// renamed, and finally the new image opened through the open path. Returns a diagnostic instead of throwing for
/// anything a caller or a file can cause; nothing is left behind on failure.
/// </summary>
internal static class CreateCore
{
    /// <summary>Bytes of the temporary file written by the last create on this thread (benchmarks and tests).</summary>
    [ThreadStatic] internal static long LastBytesWritten;

    /// <summary>Bytes read from the source by the last create on this thread (benchmarks and tests).</summary>
    [ThreadStatic] internal static long LastBytesRead;

    private sealed class Failure(VirtualDiskDiagnostic diagnostic) : Exception(diagnostic.Message)
    {
        public VirtualDiskDiagnostic Diagnostic { get; } = diagnostic;
    }

    public static VirtualDiskDiagnostic? Create(CreateRequest request, out VirtualDiskHandle? handle)
    {
        handle = null;
        LastBytesWritten = LastBytesRead = 0;
        // Rules 1–19: arguments only.
        var reason = CreateRules.Check(request, out var plan, out string? detail);
        if (reason != R.None) return new(reason, request.Path, detail);

        // Rules 20–21: the target's folder exists and nothing stands at the path.
        string path;
        try { path = Path.GetFullPath(plan!.Path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return new(R.CreateFolderNotFound, plan!.Path, e.Message); }
        string? folder = Path.GetDirectoryName(path);
        if (folder is null || !Directory.Exists(folder)) return new(R.CreateFolderNotFound, path, $"Folder {folder}");
        if (File.Exists(path) || Directory.Exists(path)) return new(R.CreateTargetExists, path);
        plan = plan with { Path = path };

        // Rules 22–23: the parent.
        ParentInfo? parent = null;
        if (request.ParentPath is not null)
        {
            var failure = ReadParent(request, plan, out parent);
            if (failure is not null) return failure;
        }

        // Rules 24–25: the source.
        SourceReader? source = null;
        try
        {
            if (request.SourcePath is not null)
            {
                var failure = OpenSource(request, plan, out source);
                if (failure is not null) return failure;
            }
            var resolved = Resolve(plan, parent, source, request.Flags);
            if (resolved is not null) return resolved;

            var failureWrite = Write(request, plan, parent, source);
            if (failureWrite is not null) return failureWrite;
        }
        finally
        {
            if (source is not null) LastBytesRead = source.BytesRead;
            source?.Dispose();
        }

        // The new image, opened as CreateVirtualDisk returns it: read/write (docs/create.md "The handle").
        var open = new OpenRequest
        {
            StorageType = new VirtualStorageType(plan.DeviceId, VirtualStorageType.VendorMicrosoft),
            Path = path,
            Access = request.Version == CreateVirtualDiskVersion.Version1 ? request.Access : VirtualDiskAccessMask.None,
            Flags = request.OpenFlags,
            Parameters = request.Version == CreateVirtualDiskVersion.Version1 ? null : OpenVirtualDiskParameters.V2(readOnly: false),
            Rules = (request.OpenFlags & ~(OpenVirtualDiskFlags.NoParents | OpenVirtualDiskFlags.BlankFile)) != 0 ? OpenRuleSet.Current : OpenRuleSet.Documented,
        };
        var reopen = OpenCore.Open(open, out handle);
        if (reopen is not null)
        {
            try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            return new(R.CreateReopenFailed, path, inner: reopen);
        }
        return null;
    }

    /// <summary>Opens the parent read-only (its chain included) and takes what the child inherits (MS-VHDX §2.6.1.2 IsVirtualDisk items; VHD "Implementing a Differencing Hard Disk").</summary>
    private static VirtualDiskDiagnostic? ReadParent(CreateRequest request, CreatePlan plan, out ParentInfo? parent)
    {
        parent = null;
        var open = new OpenRequest
        {
            StorageType = request.ParentType,
            Path = request.ParentPath,
            Access = VirtualDiskAccessMask.None,
            Parameters = OpenVirtualDiskParameters.V2(readOnly: true),
            Flags = request.OpenFlags & OpenVirtualDiskFlags.IgnoreRelativeParentLocator,
            Rules = OpenRuleSet.Documented,
        };
        var failure = OpenCore.Open(open, out var handle);
        if (failure is not null) return new(R.CreateParentOpenFailed, request.ParentPath, inner: failure, code: failure.Code);
        using (handle)
        {
            var top = handle!.TopLayer;
            if (top.DeviceId != plan.DeviceId)
                return new(R.CreateParentFormatMismatch, handle.Path, $"The parent is a {(VirtualDiskFormat)top.DeviceId}, the new disk a {(VirtualDiskFormat)plan.DeviceId}");
            parent = new ParentInfo(handle.Path, top.DeviceId, top.Subtype, top.VirtualSize, top.BlockSize, top.LogicalSectorSize,
                top.PhysicalSectorSize, top.Identifier, top.VirtualDiskId);
        }
        return null;
    }

    private static VirtualDiskDiagnostic? OpenSource(CreateRequest request, CreatePlan plan, out SourceReader? source)
    {
        source = null;
        if (request.SourceRaw)
        {
            if ((request.Flags & CreateVirtualDiskFlags.PreventWritesToSourceDisk) != 0)
                return new(R.CreateSourceOwnershipNotSupported, request.SourcePath);
            var host = Host.HostFile.TryOpen(request.SourcePath!, exclusive: false, out var file);
            if (host is not null) return new(R.CreateSourceOpenFailed, request.SourcePath, inner: host, code: host.Code);
            // The checked host file proves the path is a readable regular file; the copy reads through its own handle.
            string full = file!.Path;
            file.Dispose();
            try { source = SourceReader.ForRaw(File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), full); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new(R.CreateSourceOpenFailed, full, e.Message, code: VirtualDiskError.IoDevice);
            }
            return null;
        }
        var so = request.SourceOpenOptions;
        var open = new OpenRequest
        {
            StorageType = so?.StorageType ?? request.SourceType,
            Path = request.SourcePath,
            Access = VirtualDiskAccessMask.None,
            Parameters = OpenVirtualDiskParameters.V2(readOnly: true),
            Flags = so?.Flags ?? OpenVirtualDiskFlags.None,
            Rules = so?.Rules ?? OpenRuleSet.Documented,
            Strict = so?.Strict ?? false,
            RestrictParentsToChildFolder = so?.RestrictParentsToChildFolder ?? false,
            // Read-only whatever the format: VHD/VHDX with version 2 ReadOnly, ISO with the READ mask.
            ValidationMode = true,
        };
        var failure = OpenCore.Open(open, out var handle);
        if (failure is not null) return new(R.CreateSourceOpenFailed, request.SourcePath, inner: failure, code: failure.Code);
        source = SourceReader.ForImage(handle!);
        return null;
    }

    /// <summary>Defaults, and the rules that need the parent or source: sizes, block and sector sizes, identifiers.</summary>
    private static VirtualDiskDiagnostic? Resolve(CreatePlan plan, ParentInfo? parent, SourceReader? source, CreateVirtualDiskFlags flags)
    {
        if (parent is not null)
        {
            // Rule 23: sector sizes given for a differencing disk must be the parent's (they are IsVirtualDisk items).
            if (plan.LogicalSectorSize != 0 && plan.LogicalSectorSize != parent.LogicalSectorSize)
                return new(R.CreateParentSectorSizeMismatch, plan.Path, $"Logical sector size {plan.LogicalSectorSize}; the parent's is {parent.LogicalSectorSize}");
            if (plan.PhysicalSectorSize != 0 && plan.PhysicalSectorSize != parent.PhysicalSectorSize)
                return new(R.CreateParentSectorSizeMismatch, plan.Path, $"Physical sector size {plan.PhysicalSectorSize}; the parent's is {parent.PhysicalSectorSize}");
            plan.Size = parent.VirtualSize;
            plan.LogicalSectorSize = parent.LogicalSectorSize;
            plan.PhysicalSectorSize = parent.PhysicalSectorSize;
            // virtdisk.h: for a differencing disk a block size of 0 means the parent's (a fixed parent has none).
            if (plan.BlockSize == 0) plan.BlockSize = parent.BlockSize;
        }
        if (plan.LogicalSectorSize == 0) plan.LogicalSectorSize = 512;
        if (plan.PhysicalSectorSize == 0) plan.PhysicalSectorSize = plan.IsVhdx ? CreateRules.VhdxDefaultPhysicalSector : 512;
        // A fixed VHD has no blocks; every other kind gets the format's default when none is given or inherited.
        if (!plan.IsVhdx && plan.Subtype == VirtualDiskProviderSubtype.Fixed) plan.BlockSize = 0;
        else if (plan.BlockSize == 0) plan.BlockSize = plan.IsVhdx ? CreateRules.VhdxDefaultBlock : CreateRules.VhdDefaultBlock;

        if (source is not null)
        {
            long sourceSize = ImageWriter.Align(source.Size, plan.LogicalSectorSize);
            // Rule 25: MaximumSize 0 takes the source's size; otherwise it must hold the source.
            if (plan.Size == 0) plan.Size = sourceSize;
            else if (plan.Size < source.Size)
                return new(R.CreateSourceLargerThanSize, plan.Path, $"MaximumSize {plan.Size}; the source {source.Path} has {source.Size} bytes");
        }
        var sizeReason = CreateRules.CheckResolvedSize(plan, out string? detail);
        if (sizeReason != R.None) return new(sizeReason, plan.Path, detail);

        if (plan.UniqueId == Guid.Empty) plan.UniqueId = Guid.NewGuid();
        return null;
    }

    private static VirtualDiskDiagnostic? Write(CreateRequest request, CreatePlan plan, ParentInfo? parent, SourceReader? source)
    {
        // VHDX page 83 (Virtual Disk ID): a differencing disk takes its parent's (an IsVirtualDisk item, MS-VHDX
        // §2.6.1.2) unless UniqueId or DO_NOT_COPY_METADATA_FROM_PARENT asks otherwise.
        Guid virtualDiskId = plan.UniqueId;
        if (parent?.VirtualDiskId is { } inherited && request.UniqueId == Guid.Empty
            && (request.Flags & CreateVirtualDiskFlags.DoNotCopyMetadataFromParent) == 0)
            virtualDiskId = inherited;
        ImageWriter writer = plan.IsVhdx ? new VhdxImageWriter(plan, parent, virtualDiskId) : new VhdImageWriter(plan, parent);

        TargetFile? target = null;
        try
        {
            long preallocate = plan.Subtype == VirtualDiskProviderSubtype.Fixed && !plan.SparseFile ? writer.FinalFileLength : 0;
            target = TargetFile.Create(plan.Path, preallocate);
            writer.Start(target);
            if (source is not null) Copy(source, writer, plan, request.Progress, request.CancellationToken);
            writer.Finish();
            LastBytesWritten = target.BytesWritten;
            target.Commit();
            return null;
        }
        catch (Failure f) { return f.Diagnostic; }
        catch (OperationCanceledException) { return new(R.CreateCanceled, plan.Path); }
        catch (IOException e) when (File.Exists(plan.Path))
        {
            // The rename found a file that appeared at the path meanwhile.
            return new(R.CreateTargetExists, plan.Path, e.Message);
        }
        catch (IOException e) when (IsDiskFull(e)) { return new(R.CreateDiskFull, plan.Path, e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new(R.CreateWriteFailed, plan.Path, e.Message); }
        finally
        {
            target?.Dispose();
        }
    }

    /// <summary>ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows, ENOSPC (28) or EDQUOT (122) elsewhere.</summary>
    private static bool IsDiskFull(IOException e)
    {
        int code = e.HResult & 0xFFFF;
        return OperatingSystem.IsWindows() ? code is 112 or 39 : code is 28 or 122 || e.HResult is 28 or 122;
    }

    /// <summary>Bytes read and handed over at once: 4 MiB (a copy unit is split into pieces of this size, docs/create.md).</summary>
    private const int CopyPiece = 4 << 20;

    /// <summary>Piece buffers in flight between the source reader and the target writer (see <see cref="Copy"/>).</summary>
    private const int CopyBuffers = 4;

    /// <summary>Skipped (unallocated or all-zero) bytes between two progress reports of a copy.</summary>
    private const long ProgressStride = 256L << 20;

    /// <summary>
    /// Copies the source's allocated, non-zero content (docs/create.md "Copying a source"): unallocated ranges are not
    /// read, all-zero pieces are not written, so a dynamic target allocates only the units (blocks) that hold a
    /// non-zero byte and stays sparse. The source is read in pieces of at most 4 MiB inside one copy unit (large I/O
    /// whose data is still in the processor's cache when it is checked for zeros and written), and reading overlaps
    /// writing: one reader thread fills up to <see cref="CopyBuffers"/> piece buffers while this thread writes the
    /// filled ones in order, so the target sees the same writes in the same order as a sequential copy.
    /// </summary>
    private static void Copy(SourceReader source, ImageWriter writer, CreatePlan plan, IProgress<long>? progress, CancellationToken token)
    {
        int piece = Math.Min(writer.CopyUnit, CopyPiece); // copy units are powers of two or 4 MiB: a piece never crosses one
        long size = Math.Min(plan.Size, ImageWriter.Align(source.Size, plan.LogicalSectorSize));
        if (size <= 0) return;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var free = new Handoff<byte[]>();
        var full = new Handoff<(long Offset, int Length, byte[]? Buffer)>();
        long pieces = (size + piece - 1) / piece;
        for (int i = 0; i < Math.Min(CopyBuffers, pieces); i++) free.Add(new byte[piece]);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? readFailure = null;
        var reader = Task.Run(() =>
        {
            try
            {
                byte[]? buffer = null;
                long reported = 0;
                for (long offset = 0; offset < size; offset += piece)
                {
                    stop.Token.ThrowIfCancellationRequested();
                    buffer ??= free.Take(stop.Token) ?? throw new OperationCanceledException(stop.Token);
                    int length = (int)Math.Min(piece, size - offset);
                    var data = buffer.AsSpan(0, length);
                    bool any;
                    try { any = source.Read(offset, data); }
                    catch (VirtualDiskException e) { throw new Failure(new(R.CreateSourceReadFailed, source.Path, $"At virtual offset {offset}", inner: e.Diagnostic)); }
                    catch (IOException e) { throw new Failure(new(R.CreateSourceReadFailed, source.Path, $"At virtual offset {offset}: {e.Message}")); }
                    if (any && data.ContainsAnyExcept((byte)0))
                    {
                        full.Add((offset, length, buffer));
                        buffer = null;
                        reported = offset + length;
                    }
                    else if (offset + length - reported >= ProgressStride || offset + length == size)
                    {
                        // Nothing to write (unallocated or all zero): the buffer is kept; only progress goes across.
                        full.Add((offset, length, null));
                        reported = offset + length;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && !token.IsCancellationRequested)
            {
                // The writer stopped (it failed): nothing to report from here.
            }
            catch (Exception e)
            {
                readFailure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                full.Complete();
            }
        }, CancellationToken.None);
        try
        {
            while (full.TryTake(out var item))
            {
                var (offset, length, buffer) = item;
                if (buffer is not null)
                {
                    writer.WriteData(offset, buffer.AsSpan(0, length));
                    free.Add(buffer);
                }
                progress?.Report(offset + length);
            }
        }
        finally
        {
            stop.Cancel();
            free.Complete(); // wakes a reader waiting for a buffer
            reader.Wait(CancellationToken.None); // the reader never throws: its failure is in readFailure
        }
        readFailure?.Throw();
    }

    /// <summary>
    /// A first-in first-out handoff between the copy's two threads that blocks without spinning (Monitor.Wait): on a
    /// busy machine a spinning wait (SemaphoreSlim's sched_yield loop) costs the processor time the copy needs. Its
    /// size is bounded by the buffers in circulation (at most <see cref="CopyBuffers"/> plus progress-only items,
    /// which the reader sends at most one per 256 MiB and only between buffers).
    /// </summary>
    private sealed class Handoff<T>
    {
        private readonly Queue<T> _items = new();
        private bool _complete;

        public void Add(T item)
        {
            lock (_items)
            {
                _items.Enqueue(item);
                Monitor.Pulse(_items);
            }
        }

        /// <summary>No more items: takers get what is queued, then false.</summary>
        public void Complete()
        {
            lock (_items)
            {
                _complete = true;
                Monitor.PulseAll(_items);
            }
        }

        /// <summary>The next item; false once completed and empty.</summary>
        public bool TryTake(out T item)
        {
            lock (_items)
            {
                while (_items.Count == 0 && !_complete) Monitor.Wait(_items);
                return _items.TryDequeue(out item!);
            }
        }

        /// <summary>The next item, or default when completed or <paramref name="token"/> is canceled (checked when woken).</summary>
        public T? Take(CancellationToken token)
        {
            lock (_items)
            {
                while (_items.Count == 0 && !_complete && !token.IsCancellationRequested) Monitor.Wait(_items, 100);
                return _items.TryDequeue(out var item) ? item : default;
            }
        }
    }
}
