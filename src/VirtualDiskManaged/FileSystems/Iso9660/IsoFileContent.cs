using System.Collections;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>The bytes of one file, readable at any position from any thread.</summary>
internal abstract class IsoFileContent
{
    public abstract long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="position"/>; 0 at or past the end.</summary>
    public abstract int ReadAt(long position, Span<byte> buffer);
}

/// <summary>
/// A file recorded as extents (one, or several joined in order for a multi-extent file, ECMA-119 §6.5.1 and
/// §9.1.6 bit 7). Each extent is read where it lies; one that runs past the image end fails the read.
/// </summary>
internal sealed class ExtentContent : IsoFileContent
{
    private readonly IsoVolume _volume;
    private readonly IReadOnlyList<FileExtent> _extents;
    private readonly long[]? _starts; // file offset of each extent (null for one extent or an interleaved layout)
    private readonly InterleavedExtents? _interleaved;
    private readonly long _length;
    private readonly string? _entryPath;

    public ExtentContent(IsoVolume volume, IReadOnlyList<FileExtent> extents, string? entryPath)
    {
        _volume = volume;
        _extents = extents;
        _entryPath = entryPath;
        _interleaved = extents as InterleavedExtents;
        if (_interleaved is not null) { _length = _interleaved.FileLength; return; }
        if (extents.Count > 1)
        {
            _starts = new long[extents.Count];
            long total = 0;
            for (int i = 0; i < extents.Count; i++) { _starts[i] = total; total += extents[i].Length; }
            _length = total;
        }
        else _length = extents.Count == 1 ? extents[0].Length : 0;
    }

    public override long Length => _length;

    public override int ReadAt(long position, Span<byte> buffer)
    {
        if (position < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(position));
        if (position >= _length || buffer.IsEmpty) return 0;
        if (buffer.Length > _length - position) buffer = buffer[..(int)(_length - position)];
        int done = 0;
        while (done < buffer.Length)
        {
            var (extent, inExtent) = Locate(position + done);
            int n = (int)Math.Min(buffer.Length - done, extent.Length - inExtent);
            ReadRun(extent.Offset + inExtent, buffer.Slice(done, n));
            done += n;
        }
        return done;
    }

    private (FileExtent Extent, long InExtent) Locate(long position)
    {
        if (_interleaved is not null) return _interleaved.Locate(position);
        if (_starts is null) return (_extents[0], position);
        int i = Array.BinarySearch(_starts, position);
        if (i < 0) i = ~i - 1;
        // Skip empty extents that share a start.
        while (i < _starts.Length - 1 && _extents[i].Length == position - _starts[i]) i++;
        return (_extents[i], position - _starts[i]);
    }

    private void ReadRun(long offset, Span<byte> buffer)
    {
        if (!_volume.InImage(offset, buffer.Length))
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoExtentBeyondImageEnd, _volume.Name,
                $"Bytes {offset}…{offset + buffer.Length} of a file; the image has {_volume.ImageLength}", offset, entryPath: _entryPath));
        _volume.ReadExactly(offset, buffer, _entryPath);
    }
}

/// <summary>
/// The extents of an interleaved file (ECMA-119 §6.4.2, §9.1.7–9.1.8): file units of <c>unit</c> blocks
/// separated by gaps of <c>gap</c> blocks, computed on demand (never a list sized by the file's length).
/// </summary>
internal sealed class InterleavedExtents : IReadOnlyList<FileExtent>
{
    private readonly long _start, _unitBytes, _strideBytes;

    public InterleavedExtents(long startByte, int unitBlocks, int gapBlocks, int blockSize, long fileLength)
    {
        _start = startByte;
        _unitBytes = (long)unitBlocks * blockSize;
        _strideBytes = (long)(unitBlocks + gapBlocks) * blockSize;
        FileLength = fileLength;
        Count = (int)Math.Min(int.MaxValue, (fileLength + _unitBytes - 1) / _unitBytes);
    }

    public long FileLength { get; }

    public int Count { get; }

    public FileExtent this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            long fileOffset = index * _unitBytes;
            return new FileExtent(_start + index * _strideBytes, Math.Min(_unitBytes, FileLength - fileOffset));
        }
    }

    public (FileExtent Extent, long InExtent) Locate(long position)
    {
        long unit = position / _unitBytes;
        return (this[(int)unit], position - unit * _unitBytes);
    }

    public IEnumerator<FileExtent> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
