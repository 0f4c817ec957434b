using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Create;

/// <summary>
/// The new image while it is being written: a file under a temporary name in the target's folder, written with
/// positional I/O, flushed to stable storage and renamed to the final name without replacing anything; on any failure
/// it is deleted, so no half-made file ever stands at the final path (docs/create.md "Crash safety").
/// </summary>
internal sealed class TargetFile : IDisposable
{
    private SafeFileHandle? _handle;
    private bool _committed;

    private TargetFile(string finalPath, string tempPath, SafeFileHandle handle)
    {
        FinalPath = finalPath;
        TempPath = tempPath;
        _handle = handle;
    }

    public string FinalPath { get; }

    public string TempPath { get; }

    /// <summary>Bytes written so far (for benchmarks and tests).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>
    /// Creates the temporary file (never an existing one). <paramref name="preallocate"/> &gt; 0 reserves that many bytes
    /// of host storage up front (fixed disks: CREATE_VIRTUAL_DISK_FLAG_FULL_PHYSICAL_ALLOCATION); 0 keeps the file sparse.
    /// </summary>
    public static TargetFile Create(string finalPath, long preallocate)
    {
        string folder = Path.GetDirectoryName(finalPath)!;
        string name = "." + Path.GetFileName(finalPath) + "." + Guid.NewGuid().ToString("N")[..12] + ".vdm-tmp";
        string temp = Path.Combine(folder, name);
        var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocate);
        if (preallocate == 0) WindowsSparse.TryMarkSparse(handle);
        return new TargetFile(finalPath, temp, handle);
    }

    private SafeFileHandle Handle => _handle ?? throw new ObjectDisposedException(nameof(TargetFile));

    /// <summary>Bytes written between two early-writeback requests (see <see cref="Write"/>).</summary>
    private const long WritebackInterval = 64L << 20;

    private long _sinceWriteback;

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/>. Every 64 MiB the kernel is asked to start writing
    /// the dirty pages back (Linux sync_file_range), so the write-back overlaps the copy and the flush of
    /// <see cref="Commit"/> (which stays the durability point) waits for less.
    /// </summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        RandomAccess.Write(Handle, data, offset);
        BytesWritten += data.Length;
        _sinceWriteback += data.Length;
        if (_sinceWriteback >= WritebackInterval)
        {
            _sinceWriteback = 0;
            Host.UnixNative.StartWriteback(Handle);
        }
    }

    public void SetLength(long length) => RandomAccess.SetLength(Handle, length);

    public long Length => RandomAccess.GetLength(Handle);

    /// <summary>Flushes data and metadata to stable storage, closes, and renames to the final path (failing if it exists).</summary>
    public void Commit()
    {
        using (var stream = new FileStream(Handle, FileAccess.ReadWrite))
            stream.Flush(flushToDisk: true);
        _handle = null;
        File.Move(TempPath, FinalPath, overwrite: false);
        _committed = true;
    }

    /// <summary>Closes and, unless committed, deletes the temporary file.</summary>
    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
        if (_committed) return;
        try { File.Delete(TempPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
