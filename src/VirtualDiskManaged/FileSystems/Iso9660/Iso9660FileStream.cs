namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// A read-only, seekable stream over one file of an ISO 9660 volume (multi-extent files joined, zisofs
/// decompressed unless the raw bytes were asked for). <see cref="ReadAt"/> is thread-safe and does not move
/// <see cref="Position"/>; the stream's own Read/Seek use its position like any stream.
/// </summary>
public sealed class Iso9660FileStream : Stream
{
    private readonly IsoFileContent _content;
    private long _position;
    private bool _disposed;

    internal Iso9660FileStream(IsoFileContent content) => _content = content;

    /// <summary>Reads at <paramref name="position"/> without moving <see cref="Position"/> (safe from many threads at once).</summary>
    public int ReadAt(long position, Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _content.ReadAt(position, buffer);
    }

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => !_disposed;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => _content.Length;

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        int n = ReadAt(_position, buffer);
        _position += n;
        return n;
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _content.Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        _position = target;
        return target;
    }

    /// <inheritdoc />
    public override void Flush() { }

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException("The stream is read-only.");

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The stream is read-only.");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }
}
