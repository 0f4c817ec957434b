namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>Positional reads over a file's volume runs: sparse runs read as zeros (4/14.14.1.1 extent types 1 and 2).</summary>
internal sealed class UdfExtentReader
{
    private readonly UdfVolume _volume;
    private readonly FileExtent[] _runs;
    private readonly long[] _starts;
    private readonly string? _entryPath;

    public UdfExtentReader(UdfVolume volume, FileExtent[] runs, long recorded, string? entryPath)
    {
        _volume = volume;
        _runs = runs;
        _entryPath = entryPath;
        Recorded = recorded;
        _starts = new long[runs.Length];
        long at = 0;
        for (int i = 0; i < runs.Length; i++) { _starts[i] = at; at += runs[i].Length; }
    }

    /// <summary>Bytes the runs hold.</summary>
    public long Recorded { get; }

    /// <summary>The run holding <paramref name="position"/> and the offset into it.</summary>
    public int Find(long position)
    {
        int lo = 0, hi = _runs.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_starts[mid] <= position) { found = mid; lo = mid + 1; } else hi = mid - 1;
        }
        return found;
    }

    /// <summary>The volume byte offset of <paramref name="position"/>, or -1 for a sparse run or past the runs.</summary>
    public long VolumeOffset(long position)
    {
        int i = Find(position);
        if (i < 0 || position >= Recorded || _runs[i].IsSparse) return -1;
        return _runs[i].Offset + (position - _starts[i]);
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="position"/> (the caller keeps within the recorded bytes).</summary>
    public void Read(long position, Span<byte> buffer)
    {
        if (position < 0 || buffer.Length > Recorded - position)
            _volume.Fail(VirtualDiskErrorReason.UdfFileDataShort, $"{Recorded} bytes recorded; read of {buffer.Length} at {position}", null, _entryPath);
        int i = Find(position);
        while (!buffer.IsEmpty)
        {
            var run = _runs[i];
            long into = position - _starts[i];
            int n = (int)Math.Min(buffer.Length, run.Length - into);
            if (run.IsSparse) buffer[..n].Clear();
            else if (!_volume.Source.TryReadExactlyAt(run.Offset + into, buffer[..n]))
                _volume.Fail(VirtualDiskErrorReason.FileSystemReadFailed, $"Extent of {run.Length} bytes at byte {run.Offset} lies past the end of the image", run.Offset + into, _entryPath);
            buffer = buffer[n..];
            position += n;
            i++;
        }
    }

    public static void Read(UdfVolume volume, FileExtent[] runs, long recorded, long position, Span<byte> buffer, string? entryPath) =>
        new UdfExtentReader(volume, runs, recorded, entryPath).Read(position, buffer);
}

/// <summary>A read-only, seekable stream over a UDF file; positional reads need no lock, each stream has its own position.</summary>
internal sealed class UdfFileStream(UdfExtentReader reader, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= length || buffer.IsEmpty) return 0;
        int n = (int)Math.Min(buffer.Length, length - _position);
        reader.Read(_position, buffer[..n]);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        Position = target;
        return target;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
