namespace VirtualDiskManaged.IO;

/// <summary>
/// A seekable view of a virtual disk with its own position: read-only, or writable over a writable handle (writes
/// and flushes go to the handle, docs/write.md). Many streams of one handle may be used from different threads at once
/// (the handle's reads and writes are positional); one stream is not thread-safe.
/// </summary>
internal sealed class VirtualDiskStream : Stream
{
    private readonly VirtualDiskHandle _handle;
    private long _position;
    private bool _closed;

    public VirtualDiskStream(VirtualDiskHandle handle) => _handle = handle;

    public override bool CanRead => !_closed;
    public override bool CanSeek => !_closed;
    public override bool CanWrite => !_closed && _handle.CanWrite;
    public override long Length { get { ThrowIfClosed(); return _handle.VirtualSize; } }

    public override long Position
    {
        get { ThrowIfClosed(); return _position; }
        set
        {
            ThrowIfClosed();
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ThrowIfClosed();
        int n = _handle.ReadCore(_position, buffer);
        _position += n;
        return n;
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        try { return ValueTask.FromResult(Read(buffer.Span)); }
        catch (Exception e) { return ValueTask.FromException<int>(e); }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfClosed();
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _handle.VirtualSize + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0) throw new IOException("An attempt was made to move the position before the beginning of the stream.");
        _position = target;
        return target;
    }

    public override void Flush()
    {
        ThrowIfClosed();
        if (_handle.CanWrite) _handle.Flush();
    }

    public override void SetLength(long value) => throw new NotSupportedException("A virtual disk's size is fixed (resizing is not a stream operation).");

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfClosed();
        if (!_handle.CanWrite) throw new NotSupportedException("The stream is read-only: the handle was not opened for writing.");
        _handle.Write(_position, buffer);
        _position += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        try { Write(buffer.Span); return ValueTask.CompletedTask; }
        catch (Exception e) { return ValueTask.FromException(e); }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        try { Flush(); return Task.CompletedTask; }
        catch (Exception e) { return Task.FromException(e); }
    }

    protected override void Dispose(bool disposing)
    {
        _closed = true;
        base.Dispose(disposing);
    }

    private void ThrowIfClosed()
    {
        if (_closed) ThrowHelper.ThrowObjectDisposed(nameof(VirtualDiskStream));
    }
}
