using VirtualDiskManaged.IO;
using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged;

/// <summary>
/// An open virtual disk: its identity and geometry, warnings, and access to the guest's view of its bytes.
/// Reads are positional and lock-free: any number of threads may call <see cref="Read"/> or use their own
/// <see cref="OpenStream"/> streams at once. A writable handle (<see cref="CanWrite"/>) also takes <see cref="Write"/>
/// and <see cref="Flush"/> from any number of threads (docs/write.md). Disposing closes every file of the chain; it
/// must not race with reads or writes.
/// </summary>
public sealed class VirtualDiskHandle : IDisposable, IAsyncDisposable
{
    private readonly DiskLayer _top;
    private readonly OpenRequest _request;
    private readonly HandleTable.Registration? _registration;
    private VirtualDiskInfo? _info;
    private int _disposed;
    private readonly LayerWriter? _writer;

    internal VirtualDiskHandle(DiskLayer top, OpenRequest request, List<VirtualDiskDiagnostic> warnings, HandleTable.Registration? registration,
        LayerWriter? writer = null)
    {
        _writer = writer;
        _top = top;
        _request = request;
        _registration = registration;
        Warnings = warnings.ToArray();
    }

    internal DiskLayer TopLayer => _top;

    /// <summary>The full path of the image (the child of a chain).</summary>
    public string Path => _top.File.Path;

    /// <summary>The virtual disk's size in bytes.</summary>
    public long VirtualSize => _top.VirtualSize;

    /// <summary>The format and vendor (vendor is always Microsoft).</summary>
    public VirtualStorageType StorageType => new(_top.DeviceId, VirtualStorageType.VendorMicrosoft);

    /// <summary>The format.</summary>
    public VirtualDiskFormat Format => (VirtualDiskFormat)_top.DeviceId;

    /// <summary>Fixed, dynamic or differencing (None for ISO).</summary>
    public VirtualDiskProviderSubtype Subtype => _top.Subtype;

    /// <summary>Logical sector size in bytes.</summary>
    public int LogicalSectorSize => _top.LogicalSectorSize;

    /// <summary>Physical sector size in bytes.</summary>
    public int PhysicalSectorSize => _top.PhysicalSectorSize;

    /// <summary>What the open noticed but accepted (each a reason; strict mode would have failed on them).</summary>
    public IReadOnlyList<VirtualDiskDiagnostic> Warnings { get; }

    /// <summary>
    /// True when a non-empty VHDX log (of any file of the chain) was replayed: into memory (read-only opens and parents),
    /// or into the child's file by a writable open (docs/write.md).
    /// </summary>
    public bool LogReplayed => Warnings.Any(w => w.Reason is VirtualDiskErrorReason.VhdxLogReplayed or VirtualDiskErrorReason.VhdxLogReplayedIntoFile);

    /// <summary>True when the disk was opened without its parents (NO_PARENTS or CUSTOM_DIFF_CHAIN).</summary>
    public bool ParentsOmitted => _top.ParentsOmitted;

    /// <summary>Everything known about the disk and each file of its chain (child first).</summary>
    public VirtualDiskInfo Info
    {
        get
        {
            ThrowIfDisposed();
            return _info ??= BuildInfo();
        }
    }

    private VirtualDiskInfo BuildInfo()
    {
        var files = new List<VirtualDiskFileInfo>();
        for (DiskLayer? l = _top; l is not null; l = l.Parent) files.Add(l.Describe());
        return new VirtualDiskInfo(files, Warnings, ParentsOmitted);
    }

    /// <summary>Whether this handle may read content: V1 with ATTACH_RO/ATTACH_RW (or null parameters), or V2/V3 without GetInfoOnly.</summary>
    public bool CanRead => _request.Version == OpenVirtualDiskVersion.Version1
        ? (_request.Access & (VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.AttachRW)) != 0
        : !_request.Parameters!.GetInfoOnly;

    /// <summary>Whether this handle may query information: V1 with GET_INFO, or any V2/V3 handle.</summary>
    public bool CanGetInfo => _request.Version != OpenVirtualDiskVersion.Version1 || (_request.Access & VirtualDiskAccessMask.GetInfo) != 0;

    /// <summary>
    /// Whether this handle may write: version 1 with ATTACH_RW, or version 2/3 with ReadOnly = false (and the handle
    /// VirtualDisk.Create returns). Writes go to the child only; parents are never written.
    /// </summary>
    public bool CanWrite => _writer is not null;

    /// <summary>Tests: the top layer's writer (null for read-only handles).</summary>
    internal LayerWriter? Writer => _writer;

    /// <summary>
    /// Writes <paramref name="data"/> at virtual <paramref name="offset"/>. Thread-safe: any number of threads may
    /// write and read at once; overlapping writes take effect as in some serial order. Not durable until
    /// <see cref="Flush"/> returns; a crash before then leaves every sector as it was before or after each write in
    /// flight (docs/write.md). Throws <see cref="VirtualDiskException"/>: HandleNotWritable (ERROR_ACCESS_DENIED) on
    /// a read-only handle, WriteBeyondEnd (ERROR_INVALID_PARAMETER) when the range passes <see cref="VirtualSize"/>,
    /// WriteFailed/WriteHandleFaulted on I/O faults (after one, the handle refuses further writes).
    /// </summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        ThrowIfDisposed();
        var writer = _writer;
        if (writer is null)
        {
            ThrowHelper.Throw(VirtualDiskErrorReason.HandleNotWritable, Path,
                "Open with ATTACH_RW (version 1) or ReadOnly = false (version 2/3) to write");
            return;
        }
        if (offset < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(offset));
        long size = _top.VirtualSize;
        if (offset > size || data.Length > size - offset)
            ThrowHelper.Throw(VirtualDiskErrorReason.WriteBeyondEnd, Path,
                $"{data.Length} bytes at {offset} end at {offset + data.Length}; the virtual size is {size}", offset);
        if (data.IsEmpty) return;
        writer.Write(offset, data);
    }

    /// <summary>
    /// Makes every write completed before the call durable: the data and every metadata change it needs are on
    /// stable storage when this returns (fsync / FlushFileBuffers). Throws <see cref="VirtualDiskException"/>
    /// (HandleNotWritable on a read-only handle; FlushFailed on I/O faults).
    /// </summary>
    public void Flush()
    {
        ThrowIfDisposed();
        if (_writer is null)
        {
            ThrowHelper.Throw(VirtualDiskErrorReason.HandleNotWritable, Path, "A read-only handle has nothing to flush");
            return;
        }
        _writer.Flush();
    }

    /// <summary>
    /// A new seekable stream over the virtual disk (its own position): read-only, or writable (CanWrite) on a
    /// writable handle. Throws
    /// <see cref="VirtualDiskException"/> (ERROR_ACCESS_DENIED) when the handle was not opened for reading.
    /// </summary>
    public Stream OpenStream()
    {
        ThrowIfDisposed();
        if (!CanRead) ThrowHelper.Throw(VirtualDiskErrorReason.HandleAccessDenied, Path, "Open with ATTACH_RO/ATTACH_RW (version 1) or GetInfoOnly = false (version 2/3) to read");
        return new VirtualDiskStream(this);
    }

    /// <summary>
    /// Reads virtual bytes at <paramref name="offset"/> into <paramref name="buffer"/>; returns the count read
    /// (short only at the end of the disk). Thread-safe. Throws <see cref="VirtualDiskException"/> on I/O faults.
    /// </summary>
    public int Read(long offset, Span<byte> buffer)
    {
        ThrowIfDisposed();
        if (!CanRead) ThrowHelper.Throw(VirtualDiskErrorReason.HandleAccessDenied, Path);
        return ReadCore(offset, buffer);
    }

    internal int ReadCore(long offset, Span<byte> buffer)
    {
        if (offset < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(offset));
        long size = _top.VirtualSize;
        if (offset >= size || buffer.IsEmpty) return 0;
        int count = (int)Math.Min(buffer.Length, size - offset);
        _top.Read(offset, buffer[..count]);
        return count;
    }

    /// <summary>
    /// Deep check (what <c>vdisk check --deep</c> runs besides reading every byte): walks the metadata of every
    /// allocated block of each file of the chain, child first, and returns every problem found (empty when none).
    /// </summary>
    public IReadOnlyList<VirtualDiskDiagnostic> Verify()
    {
        ThrowIfDisposed();
        var problems = new List<VirtualDiskDiagnostic>();
        for (DiskLayer? l = _top; l is not null; l = l.Parent) problems.AddRange(l.Verify());
        return problems;
    }

    /// <summary>GetVirtualDiskInformation for this handle; returns a Win32 code (0 on success).</summary>
    internal VirtualDiskDiagnostic? GetInformation(GetVirtualDiskInfoVersion version, out VirtualDiskInformation info)
    {
        info = new VirtualDiskInformation { Version = version };
        if (Volatile.Read(ref _disposed) != 0) return new(VirtualDiskErrorReason.HandleClosed, null);
        if (!CanGetInfo) return new(VirtualDiskErrorReason.HandleAccessDenied, Path, "Open with GET_INFO (version 1) or version 2/3 parameters to query information");
        var link = _top.ParentLink;
        bool isIso = _top.DeviceId == VirtualStorageDeviceId.Iso;
        switch (version)
        {
            case GetVirtualDiskInfoVersion.Size:
                info = new() { Version = version, VirtualSize = (ulong)_top.VirtualSize, PhysicalSize = (ulong)_top.File.Length, BlockSize = _top.BlockSize, SectorSize = (uint)_top.LogicalSectorSize };
                return null;
            case GetVirtualDiskInfoVersion.VirtualStorageType:
                info = new() { Version = version, VirtualStorageType = StorageType };
                return null;
            case GetVirtualDiskInfoVersion.ProviderSubtype:
                if (isIso) break;
                info = new() { Version = version, ProviderSubtype = _top.Subtype };
                return null;
            case GetVirtualDiskInfoVersion.Identifier:
                if (isIso) break;
                info = new() { Version = version, Identifier = _top.Identifier };
                return null;
            case GetVirtualDiskInfoVersion.Is4kAligned:
                if (isIso) break;
                info = new() { Version = version, Is4kAligned = _top.Is4KAligned };
                return null;
            case GetVirtualDiskInfoVersion.VhdPhysicalSectorSize:
                if (isIso) break;
                info = new() { Version = version, VhdPhysicalSectorSize = (uint)_top.PhysicalSectorSize };
                return null;
            case GetVirtualDiskInfoVersion.VirtualDiskId:
                if (_top.DeviceId != VirtualStorageDeviceId.Vhdx) break;
                info = new() { Version = version, Identifier = _top.VirtualDiskId ?? Guid.Empty };
                return null;
            case GetVirtualDiskInfoVersion.ParentLocation:
                if (link is null) break;
                if (_top.Parent is { } parent)
                    info = new() { Version = version, ParentResolved = true, ParentLocationBuffer = [parent.File.Path] };
                else
                    info = new() { Version = version, ParentResolved = false, ParentLocationBuffer = link.Locators.Select(l => l.Path).Where(p => p.Length > 0).Distinct().ToArray() };
                return null;
            case GetVirtualDiskInfoVersion.ParentIdentifier:
                if (link is null) break;
                info = new() { Version = version, Identifier = link.ParentIdentifier };
                return null;
            case GetVirtualDiskInfoVersion.ParentTimestamp:
                if (link is null || _top.DeviceId != VirtualStorageDeviceId.Vhd) break;
                info = new() { Version = version, ParentTimestamp = link.ParentTimestamp };
                return null;
            case GetVirtualDiskInfoVersion.PhysicalDisk or GetVirtualDiskInfoVersion.SmallestSafeVirtualSize or GetVirtualDiskInfoVersion.Fragmentation
                or GetVirtualDiskInfoVersion.IsLoaded or GetVirtualDiskInfoVersion.ChangeTrackingState:
                return new(VirtualDiskErrorReason.InfoNotAvailableOffline, Path, $"Version {(uint)version}");
            default:
                return new(VirtualDiskErrorReason.InfoVersionNotSupported, Path, $"Version {(uint)version}");
        }
        return new(VirtualDiskErrorReason.InfoNotApplicable, Path, $"{version} on a {(isIso ? "ISO" : _top.Subtype.ToString().ToLowerInvariant())} disk");
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0) ThrowHelper.ThrowObjectDisposed(nameof(VirtualDiskHandle));
    }

    /// <summary>Closes every file of the chain and leaves the in-process sharing table.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _writer?.Close();
        _registration?.Dispose();
        OpenCore.DisposeChain(_top);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The disk as a whole and each file of its chain.</summary>
public sealed class VirtualDiskInfo
{
    internal VirtualDiskInfo(IReadOnlyList<VirtualDiskFileInfo> chain, IReadOnlyList<VirtualDiskDiagnostic> warnings, bool parentsOmitted)
    {
        Chain = chain;
        Warnings = warnings;
        ParentsOmitted = parentsOmitted;
    }

    /// <summary>Every file of the chain, the child first.</summary>
    public IReadOnlyList<VirtualDiskFileInfo> Chain { get; }

    /// <summary>The child (the file that was opened).</summary>
    public VirtualDiskFileInfo Top => Chain[0];

    /// <summary>Warnings of the open.</summary>
    public IReadOnlyList<VirtualDiskDiagnostic> Warnings { get; }

    /// <summary>True when the chain was not resolved (NO_PARENTS / CUSTOM_DIFF_CHAIN).</summary>
    public bool ParentsOmitted { get; }

    /// <summary>The top file (see <see cref="VirtualDiskFileInfo.ToString"/>), then each parent's path, whether parents were omitted, and the warning count.</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder(Top.ToString());
        for (int i = 1; i < Chain.Count; i++) sb.Append(i == 1 ? "; parents: " : " <- ").Append(Chain[i].Path);
        if (ParentsOmitted) sb.Append("; parents not opened");
        if (Warnings.Count > 0) sb.Append("; ").Append(Counted.Of(Warnings.Count, "warning"));
        return sb.ToString();
    }
}
