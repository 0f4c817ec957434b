namespace VirtualDiskManaged.Cli.Gzip;

/// <summary>
/// Reads a stream as deflate's bit stream (RFC 1951 §3.1.1: bits packed from the least significant bit of each byte)
/// and, between members, as bytes; knows the exact byte position of the next unread bit.
/// </summary>
internal sealed class BitReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _pos, _len;
    private long _bufferStart;
    private bool _eof;
    private ulong _bits;
    private int _count;

    /// <summary>Bits held (at most 64).</summary>
    public int Count => _count;

    /// <summary>The bit buffer (bit 0 is the next bit).</summary>
    public ulong Bits => _bits;

    /// <summary>The offset in the stream of the byte holding the next unread bit.</summary>
    public long BytePosition => _bufferStart + _pos - _count / 8;

    private bool Fill()
    {
        if (_eof) return false;
        _bufferStart += _len;
        _pos = 0;
        _len = stream.Read(_buffer, 0, _buffer.Length);
        if (_len <= 0)
        {
            _len = 0;
            _eof = true;
            return false;
        }
        return true;
    }

    /// <summary>Tops the bit buffer up to at least 57 bits, or as many as the stream still has.</summary>
    public void Refill()
    {
        while (_count <= 56)
        {
            if (_pos == _len && !Fill()) return;
            _bits |= (ulong)_buffer[_pos++] << _count;
            _count += 8;
        }
    }

    /// <summary>The next <paramref name="n"/> bits (n ≤ 32) without consuming them; throws when the stream ends first.</summary>
    public uint Peek(int n)
    {
        if (_count < n)
        {
            Refill();
            if (_count < n) throw new GzipDataException("cut short: unexpected end of file inside the deflate data");
        }
        return (uint)(_bits & ((1UL << n) - 1));
    }

    public void Drop(int n)
    {
        _bits >>= n;
        _count -= n;
    }

    public uint Read(int n)
    {
        if (n == 0) return 0;
        uint v = Peek(n);
        Drop(n);
        return v;
    }

    /// <summary>Skips to the next byte boundary (RFC 1951 §3.2.4, and after the last block).</summary>
    public void AlignToByte() => Drop(_count % 8);

    /// <summary>True when nothing at all is left (call on a byte boundary).</summary>
    public bool AtEnd => _count == 0 && _pos == _len && !Fill();

    /// <summary>The next byte (on a byte boundary), or -1 at the end of the stream.</summary>
    public int ReadByte()
    {
        if (_count >= 8)
        {
            int b = (int)(_bits & 0xFF);
            Drop(8);
            return b;
        }
        if (_pos == _len && !Fill()) return -1;
        return _buffer[_pos++];
    }

    /// <summary>Fills <paramref name="target"/> (on a byte boundary); false when the stream ends first.</summary>
    public bool TryReadBytes(Span<byte> target)
    {
        for (int i = 0; i < target.Length; i++)
        {
            int b = ReadByte();
            if (b < 0) return false;
            target[i] = (byte)b;
        }
        return true;
    }
}
