namespace VirtualDiskManaged.Cli.Gzip;

/// <summary>
/// A deflate decoder (RFC 1951) that stops exactly at the end of the last block, so the gzip trailer after it can be
/// read (.NET's DeflateStream reads ahead and cannot tell where the data ended). Every code length, symbol and
/// distance is validated; nothing is sized by a value from the file.
/// </summary>
internal sealed class Inflater(BitReader bits)
{
    private const int WindowSize = 32768;           // RFC 1951 §2: distances reach back at most 32,768 bytes
    private const int OutputChunk = 1 << 18;
    private const int MaxMatch = 258;               // RFC 1951 §3.2.5
    private const int MaxCodeBits = 15;             // RFC 1951 §3.2.2

    // RFC 1951 §3.2.5: length codes 257..285 and distance codes 0..29, their bases and extra bits.
    private static readonly ushort[] LengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
    private static readonly byte[] LengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    private static readonly ushort[] DistBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
    private static readonly byte[] DistExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

    // RFC 1951 §3.2.7: the order in which code length code lengths are stored.
    private static readonly byte[] CodeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

    private static readonly Huffman FixedLiterals = Huffman.Fixed(true), FixedDistances = Huffman.Fixed(false);

    private readonly byte[] _out = new byte[WindowSize + OutputChunk + MaxMatch];
    private readonly Huffman _lit = new(288), _dist = new(32), _cl = new(19);
    private readonly byte[] _lengths = new byte[288 + 32];

    /// <summary>Inflates one deflate stream (up to and including its final block); hands the output out in chunks.</summary>
    public void Inflate(Action<ReadOnlySpan<byte>> sink)
    {
        int pos = 0;        // next write position in _out
        long produced = 0;  // bytes of this stream so far (history available for distances)
        bool last;
        do
        {
            last = bits.Read(1) == 1;
            uint type = bits.Read(2);
            switch (type)
            {
                case 0:
                    pos = Stored(pos, ref produced, sink);
                    break;
                case 1:
                    pos = Codes(FixedLiterals, FixedDistances, pos, ref produced, sink);
                    break;
                case 2:
                    ReadDynamicTables();
                    pos = Codes(_lit, _dist, pos, ref produced, sink);
                    break;
                default:
                    throw new GzipDataException("corrupt deflate data: block type 3 (reserved)");
            }
        }
        while (!last);
        Flush(ref pos, sink, final: true);
    }

    /// <summary>Hands out everything after the kept history; keeps the last 32 KiB at the front for distances.</summary>
    private void Flush(ref int pos, Action<ReadOnlySpan<byte>> sink, bool final)
    {
        int from = _flushedTo;
        if (pos > from) sink(_out.AsSpan(from, pos - from));
        if (final)
        {
            _flushedTo = 0;
            pos = 0;
            return;
        }
        int keep = Math.Min(WindowSize, pos);
        Buffer.BlockCopy(_out, pos - keep, _out, 0, keep);
        pos = keep;
        _flushedTo = keep;
    }

    private int _flushedTo;

    private int Stored(int pos, ref long produced, Action<ReadOnlySpan<byte>> sink)
    {
        // RFC 1951 §3.2.4: skip to a byte boundary, LEN, NLEN (one's complement), LEN literal bytes.
        bits.AlignToByte();
        uint len = bits.Read(16), nlen = bits.Read(16);
        if ((len ^ 0xFFFF) != nlen) throw new GzipDataException("corrupt deflate data: stored block length check failed");
        for (uint i = 0; i < len; i++)
        {
            int b = bits.ReadByte();
            if (b < 0) throw new GzipDataException("cut short: unexpected end of file inside a stored block");
            _out[pos++] = (byte)b;
            if (pos >= WindowSize + OutputChunk) Flush(ref pos, sink, final: false);
        }
        produced += len;
        return pos;
    }

    private int Codes(Huffman lit, Huffman dist, int pos, ref long produced, Action<ReadOnlySpan<byte>> sink)
    {
        byte[] o = _out;
        while (true)
        {
            if (pos >= WindowSize + OutputChunk) Flush(ref pos, sink, final: false);
            int sym = lit.Decode(bits);
            if (sym < 256)
            {
                o[pos++] = (byte)sym;
                produced++;
                continue;
            }
            if (sym == 256) return pos;
            sym -= 257;
            if (sym >= LengthBase.Length) throw new GzipDataException($"corrupt deflate data: invalid length code {sym + 257}");
            int length = LengthBase[sym] + (int)bits.Read(LengthExtra[sym]);
            int dsym = dist.Decode(bits);
            if (dsym >= DistBase.Length) throw new GzipDataException($"corrupt deflate data: invalid distance code {dsym}");
            int distance = DistBase[dsym] + (int)bits.Read(DistExtra[dsym]);
            if (distance > produced) throw new GzipDataException($"corrupt deflate data: distance {distance} reaches before the start of the data");
            int from = pos - distance;
            if (distance >= length)
            {
                Buffer.BlockCopy(o, from, o, pos, length);
                pos += length;
            }
            else if (distance == 1)
            {
                o.AsSpan(pos, length).Fill(o[from]);
                pos += length;
            }
            else
            {
                // The match overlaps what it writes: the output repeats with period `distance`. Copy whole periods
                // from the match start, doubling each time (the source always ends before the destination begins).
                int copied = 0;
                while (copied < length)
                {
                    int n = Math.Min(copied + distance, length - copied);
                    Buffer.BlockCopy(o, from, o, pos + copied, n);
                    copied += n;
                }
                pos += length;
            }
            produced += length;
        }
    }

    private void ReadDynamicTables()
    {
        // RFC 1951 §3.2.7.
        int hlit = (int)bits.Read(5) + 257, hdist = (int)bits.Read(5) + 1, hclen = (int)bits.Read(4) + 4;
        if (hlit > 286 || hdist > 30) throw new GzipDataException($"corrupt deflate data: {hlit} literal/length or {hdist} distance codes");
        Span<byte> cl = stackalloc byte[19];
        cl.Clear();
        for (int i = 0; i < hclen; i++) cl[CodeLengthOrder[i]] = (byte)bits.Read(3);
        _cl.Build(cl, "code length");
        int n = 0, total = hlit + hdist;
        var lengths = _lengths.AsSpan(0, total);
        while (n < total)
        {
            int sym = _cl.Decode(bits);
            if (sym < 16)
            {
                lengths[n++] = (byte)sym;
                continue;
            }
            int repeat;
            byte value = 0;
            switch (sym)
            {
                case 16:
                    if (n == 0) throw new GzipDataException("corrupt deflate data: repeat of a code length with none before it");
                    value = lengths[n - 1];
                    repeat = 3 + (int)bits.Read(2);
                    break;
                case 17:
                    repeat = 3 + (int)bits.Read(3);
                    break;
                default:
                    repeat = 11 + (int)bits.Read(7);
                    break;
            }
            if (n + repeat > total) throw new GzipDataException("corrupt deflate data: code lengths run past their count");
            lengths.Slice(n, repeat).Fill(value);
            n += repeat;
        }
        if (lengths[256] == 0) throw new GzipDataException("corrupt deflate data: no end-of-block code");
        _lit.Build(lengths[..hlit], "literal/length");
        _dist.Build(lengths[hlit..], "distance");
    }

    /// <summary>A canonical Huffman code (RFC 1951 §3.2.2) decoded through one table indexed by the next bits.</summary>
    private sealed class Huffman(int maxSymbols)
    {
        // Entry: symbol << 4 | code length; 0 = no code (an invalid bit pattern).
        private int[] _table = new int[1 << 9];
        private int _bits;
        private readonly int _maxSymbols = maxSymbols;

        public static Huffman Fixed(bool literals)
        {
            // RFC 1951 §3.2.6.
            var h = new Huffman(literals ? 288 : 32);
            Span<byte> l = stackalloc byte[literals ? 288 : 32];
            if (literals)
            {
                l[..144].Fill(8);
                l[144..256].Fill(9);
                l[256..280].Fill(7);
                l[280..].Fill(8);
            }
            else l.Fill(5);
            h.Build(l, literals ? "fixed literal" : "fixed distance");
            return h;
        }

        public void Build(ReadOnlySpan<byte> lengths, string what)
        {
            if (lengths.Length > _maxSymbols) throw new GzipDataException($"corrupt deflate data: too many {what} codes");
            Span<int> count = stackalloc int[MaxCodeBits + 1];
            count.Clear();
            int max = 0;
            foreach (byte l in lengths)
            {
                count[l]++;
                if (l > max) max = l;
            }
            count[0] = 0;
            // Over-subscribed codes are invalid; incomplete ones only decode the patterns they have (others fail).
            int left = 1;
            for (int len = 1; len <= MaxCodeBits; len++)
            {
                left = (left << 1) - count[len];
                if (left < 0) throw new GzipDataException($"corrupt deflate data: over-subscribed {what} code");
            }
            _bits = Math.Max(max, 1);
            int size = 1 << _bits;
            if (_table.Length < size) _table = new int[1 << MaxCodeBits];
            _table.AsSpan(0, size).Clear();
            Span<int> next = stackalloc int[MaxCodeBits + 2];
            int code = 0;
            for (int len = 1; len <= MaxCodeBits; len++)
            {
                code = (code + count[len - 1]) << 1;
                next[len] = code;
            }
            for (int sym = 0; sym < lengths.Length; sym++)
            {
                int len = lengths[sym];
                if (len == 0) continue;
                int c = next[len]++;
                // Codes are stored most significant bit first (§3.1.1): index the table by the reversed code.
                int rev = 0;
                for (int i = 0; i < len; i++) rev |= ((c >> i) & 1) << (len - 1 - i);
                int entry = sym << 4 | len;
                for (int i = rev; i < size; i += 1 << len) _table[i] = entry;
            }
        }

        public int Decode(BitReader bits)
        {
            if (bits.Count < _bits) bits.Refill();
            int entry = _table[(int)(bits.Bits & ((1UL << _bits) - 1))];
            int len = entry & 15;
            if (len == 0)
            {
                if (bits.Count < _bits) throw new GzipDataException("cut short: unexpected end of file inside the deflate data");
                throw new GzipDataException("corrupt deflate data: invalid code");
            }
            if (len > bits.Count) throw new GzipDataException("cut short: unexpected end of file inside the deflate data");
            bits.Drop(len);
            return entry >> 4;
        }
    }
}
