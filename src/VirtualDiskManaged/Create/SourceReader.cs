using Microsoft.Win32.SafeHandles;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Create;

/// <summary>
/// The content a SourcePath create copies: an open image (read through its chain, only where the allocation map says
/// a file of the chain holds data) or a raw file (read whole; bytes past its end read as zeros).
/// </summary>
internal sealed class SourceReader : IDisposable
{
    private readonly VirtualDiskHandle? _image;
    private readonly SafeFileHandle? _raw;
    private readonly List<AllocatedRange> _ranges = [];
    private long _holeStart, _holeEnd; // raw sources: the last hole lseek(SEEK_DATA) found, [start, end)

    private SourceReader(VirtualDiskHandle? image, SafeFileHandle? raw, long size, string path)
    {
        _image = image;
        _raw = raw;
        Size = size;
        Path = path;
    }

    public static SourceReader ForImage(VirtualDiskHandle handle) => new(handle, null, handle.VirtualSize, handle.Path);

    public static SourceReader ForRaw(SafeFileHandle handle, string path) => new(null, handle, RandomAccess.GetLength(handle), path);

    /// <summary>The source's size in bytes (a raw file's length, not yet rounded to sectors).</summary>
    public long Size { get; }

    public string Path { get; }

    /// <summary>Bytes read from the source so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Fills <paramref name="buffer"/> with the virtual bytes at <paramref name="offset"/>; returns false (buffer left
    /// undefined) when nothing in that range is allocated, so the caller can skip it without reading.
    /// </summary>
    public bool Read(long offset, Span<byte> buffer)
    {
        if (_image is not null)
        {
            _ranges.Clear();
            _image.TopLayer.MapAllocation(offset, buffer.Length, _ranges);
            if (_ranges.Count == 0) return false;
            long done = offset;
            foreach (var r in _ranges)
            {
                if (r.Offset > done) buffer.Slice((int)(done - offset), (int)(r.Offset - done)).Clear();
                _image.ReadCore(r.Offset, buffer.Slice((int)(r.Offset - offset), (int)r.Length));
                BytesRead += r.Length;
                done = r.End;
            }
            if (done < offset + buffer.Length) buffer[(int)(done - offset)..].Clear();
            return true;
        }
        // A hole of a sparse raw file reads as zeros: skip it without reading (lseek SEEK_DATA, Linux). The hole found
        // is remembered, so the pieces inside it cost no further call (the copy reads in order; the file is not
        // expected to change under a copy, and if it does, the copy is of the file as it was when its holes were asked).
        if (offset + buffer.Length <= _holeEnd && offset >= _holeStart) return false;
        long data = Host.UnixNative.NextData(_raw!, offset);
        if (data > offset)
        {
            _holeStart = offset;
            _holeEnd = data;
        }
        if (data >= offset + buffer.Length) return false;
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = offset + filled >= Size ? 0 : RandomAccess.Read(_raw!, buffer[filled..], offset + filled);
            if (n <= 0) break;
            filled += n;
        }
        BytesRead += filled;
        buffer[filled..].Clear();
        return filled > 0;
    }

    public void Dispose()
    {
        _image?.Dispose();
        _raw?.Dispose();
    }
}
