using System.Buffers;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// A read-ahead window for the file entries one directory enumeration reads. Writers place the (extended) file
/// entries of a directory's children next to each other (mkudffs, Windows and the OSTA UDF 2.60 §6.12 layout
/// advice all do), so one 64 KiB read serves the next 32 entries instead of one 2 KiB read each. Owned by a single
/// enumeration (not shared between threads; its window is pooled and returned when the enumeration ends); the bytes are only a copy of the volume's, so a reader that does not
/// use one sees the same entries.
/// </summary>
internal sealed class UdfReadAhead : IDisposable
{
    /// <summary>The window's size: fixed, never taken from the volume.</summary>
    public const int WindowSize = 64 * 1024;

    private byte[]? _window;
    private long _start = -1;
    private int _fill;

    /// <summary>Copies <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>, from the window or by refilling it there.</summary>
    public bool TryReadExactlyAt(VolumeSource source, long offset, Span<byte> buffer)
    {
        if (buffer.Length > WindowSize) return source.TryReadExactlyAt(offset, buffer);
        if (_start < 0 || offset < _start || offset - _start > _fill - buffer.Length)
        {
            if (offset < 0 || offset > source.Length || buffer.Length > source.Length - offset) return false;
            int fill = (int)Math.Min(WindowSize, source.Length - offset);
            _start = -1;
            _window ??= ArrayPool<byte>.Shared.Rent(WindowSize);
            if (!source.TryReadExactlyAt(offset, _window.AsSpan(0, fill))) return false;
            _start = offset;
            _fill = fill;
        }
        _window!.AsSpan((int)(offset - _start), buffer.Length).CopyTo(buffer);
        return true;
    }

    /// <summary>Returns the window to the pool.</summary>
    public void Dispose()
    {
        if (_window is { } w) ArrayPool<byte>.Shared.Return(w);
        _window = null;
        _start = -1;
    }
}
