using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.IO;

/// <summary>Where a run of virtual bytes comes from.</summary>
internal enum RunKind : byte
{
    /// <summary>Bytes of this layer's file (through its <see cref="DiskLayer.Source"/>) at <see cref="Run.FileOffset"/>.</summary>
    Data,
    /// <summary>Zeros.</summary>
    Zero,
    /// <summary>The parent layer at the same virtual offset.</summary>
    Parent,
}

/// <summary>A maximal stretch of virtual bytes with one source. <see cref="Length"/> is always &gt; 0.</summary>
internal readonly record struct Run(RunKind Kind, long Length, long FileOffset = 0)
{
    public static Run Zero(long length) => new(RunKind.Zero, length);
    public static Run FromParent(long length) => new(RunKind.Parent, length);
    public static Run Data(long length, long fileOffset) => new(RunKind.Data, length, fileOffset);
}

/// <summary>
/// One file of a chain, parsed and validated: its geometry, identity, parent link and the mapping from virtual
/// offsets to runs. After open a layer is immutable (lazily loaded tables publish atomically), so reads need no lock.
/// </summary>
internal abstract partial class DiskLayer : IDisposable
{
    protected DiskLayer(HostFile file, FileView source)
    {
        File = file;
        Source = source;
    }

    /// <summary>The backing file (owned; closed by <see cref="Dispose"/>).</summary>
    public HostFile File { get; }

    /// <summary>What data runs read from: the file, or a view over it (the replayed VHDX log overlay).</summary>
    public FileView Source { get; }

    public abstract long VirtualSize { get; }

    public abstract uint DeviceId { get; }

    public abstract VirtualDiskProviderSubtype Subtype { get; }

    public virtual int LogicalSectorSize => 512;

    public virtual int PhysicalSectorSize => 512;

    /// <summary>Block size of sparse formats; 0 for fixed layouts and ISO.</summary>
    public virtual uint BlockSize => 0;

    /// <summary>GET_VIRTUAL_DISK_INFO_IDENTIFIER: VHD footer unique id, VHDX DataWriteGuid... (Guid.Empty for ISO).</summary>
    public virtual Guid Identifier => Guid.Empty;

    /// <summary>GET_VIRTUAL_DISK_INFO_VIRTUAL_DISK_ID: the VHDX Virtual Disk ID item; null for formats without one.</summary>
    public virtual Guid? VirtualDiskId => null;

    /// <summary>Whether the data layout is 4 KiB aligned (GET_VIRTUAL_DISK_INFO_IS_4K_ALIGNED).</summary>
    public virtual bool Is4KAligned => true;

    /// <summary>The typed description of this file for the .NET layer.</summary>
    public abstract VirtualDiskFileInfo Describe();

    /// <summary>Non-null for differencing layers: where the parent is and how to recognise it.</summary>
    public virtual ParentLink? ParentLink => null;

    /// <summary>The resolved parent (set once by the chain resolver before the handle is published).</summary>
    public DiskLayer? Parent { get; internal set; }

    /// <summary>True when opened without parents (NO_PARENTS / CUSTOM_DIFF_CHAIN): parent runs then fail.</summary>
    public bool ParentsOmitted { get; internal set; }

    /// <summary>
    /// Maps <paramref name="virtualOffset"/> (0 ≤ offset &lt; <see cref="VirtualSize"/>) to the longest run of at most
    /// <paramref name="maxLength"/> bytes with one source. Throws <see cref="VirtualDiskException"/> for corruption
    /// found lazily (e.g. a BAT page that fails validation when first loaded).
    /// </summary>
    protected abstract Run MapRun(long virtualOffset, long maxLength);

    /// <summary>
    /// Reads <paramref name="buffer"/>.Length bytes at <paramref name="virtualOffset"/> (the caller clamps to the
    /// virtual size). Consecutive data runs that are contiguous in the file are merged into one read.
    /// </summary>
    public virtual void Read(long virtualOffset, Span<byte> buffer)
    {
        long pendingFile = -1;
        int pendingStart = 0, pendingLength = 0, done = 0;
        while (done < buffer.Length)
        {
            var run = MapRun(virtualOffset + done, buffer.Length - done);
            int len = (int)Math.Min(run.Length, buffer.Length - done);
            if (run.Kind == RunKind.Data && pendingLength > 0 && pendingFile + pendingLength == run.FileOffset)
            {
                pendingLength += len;
            }
            else
            {
                if (pendingLength > 0) Source.ReadExactlyAt(pendingFile, buffer.Slice(pendingStart, pendingLength));
                pendingLength = 0;
                switch (run.Kind)
                {
                    case RunKind.Data:
                        pendingFile = run.FileOffset;
                        pendingStart = done;
                        pendingLength = len;
                        break;
                    case RunKind.Zero:
                        buffer.Slice(done, len).Clear();
                        break;
                    default:
                        ReadParent(virtualOffset + done, buffer.Slice(done, len));
                        break;
                }
            }
            done += len;
        }
        if (pendingLength > 0) Source.ReadExactlyAt(pendingFile, buffer.Slice(pendingStart, pendingLength));
    }

    private void ReadParent(long virtualOffset, Span<byte> buffer)
    {
        var parent = Parent;
        if (parent is not null) parent.Read(virtualOffset, buffer);
        else if (ParentsOmitted)
            ThrowHelper.Throw(VirtualDiskErrorReason.ParentNotOpened, File.Path, $"Virtual bytes {virtualOffset}..{virtualOffset + buffer.Length} are not in this file", virtualOffset);
        else buffer.Clear(); // a sparse layer without a parent reads unallocated ranges as zeros
    }

    /// <summary>
    /// Optional deep check (vdisk check --deep): walks every allocated block's metadata and returns problems found.
    /// The default has nothing beyond what open validated.
    /// </summary>
    public virtual IReadOnlyList<VirtualDiskDiagnostic> Verify() => [];

    /// <summary>Allocation summary for info output: (allocated bytes in this file's blocks, total block count, allocated blocks).</summary>
    public virtual (long AllocatedBytes, long Blocks, long AllocatedBlocks) Allocation => (VirtualSize, 0, 0);

    public virtual void Dispose() => File.Dispose();
}

/// <summary>
/// How a differencing layer finds and recognises its parent (docs/open-path.md §10). Formats fill it; the chain resolver
/// does the searching, the checks of type, size, identity and cycles, and the error reporting.
/// </summary>
internal sealed class ParentLink
{
    /// <summary>Locator entries in the order they are tried: (kind, e.g. "W2ru"/"relative_path"; the raw path as stored).</summary>
    public required IReadOnlyList<ParentLocator> Locators { get; init; }

    /// <summary>The device id the parent must have (VHD child → VHD parent, VHDX → VHDX).</summary>
    public required uint ParentDeviceId { get; init; }

    /// <summary>
    /// Checks that the given parent is the parent this child records (identity, and for VHD the time stamp);
    /// returns <see cref="VirtualDiskErrorReason.None"/>, a failure reason, or <see cref="VirtualDiskErrorReason.ParentTimestampMismatch"/>
    /// (a warning unless strict), with a detail saying what differed.
    /// </summary>
    public required Func<DiskLayer, (VirtualDiskErrorReason Reason, string? Detail)> Verify { get; init; }

    /// <summary>The parent identity recorded in the child (GET_VIRTUAL_DISK_INFO_PARENT_IDENTIFIER).</summary>
    public Guid ParentIdentifier { get; init; }

    /// <summary>The parent time stamp recorded in the child (VHD only; seconds since 2000-01-01 UTC).</summary>
    public uint ParentTimestamp { get; init; }
}

/// <summary>One parent locator: what kind it is, and the path as stored in the file.</summary>
/// <param name="Kind">W2ru, W2ku, ParentName (VHD); relative_path, volume_path, absolute_win32_path (VHDX).</param>
/// <param name="Path">The stored path (Windows or POSIX separators).</param>
/// <param name="IsRelative">Relative to the child's folder.</param>
/// <param name="WindowsOnly">Only meaningful on Windows (drive letters, volume GUID paths).</param>
internal readonly record struct ParentLocator(string Kind, string Path, bool IsRelative, bool WindowsOnly = false);
