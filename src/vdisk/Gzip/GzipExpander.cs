using System.Buffers.Binary;
using System.Globalization;

namespace VirtualDiskManaged.Cli.Gzip;

/// <summary>
/// Expands a gzip file (RFC 1952) member by member and checks its framing: each member's header (§2.3.1, with
/// FEXTRA, FNAME, FCOMMENT and FHCRC), its deflate data (RFC 1951, inflated by <see cref="Inflater"/> so the exact
/// end of the data is known) and its trailer (CRC-32 and ISIZE). A file that ends inside a member, a wrong CRC-32,
/// ISIZE or header CRC, or bytes after the last member that do not start another member is refused with a
/// <see cref="InputException"/> that says which. Concatenated members (§2.2) are expanded one after another.
/// </summary>
internal static class GzipExpander
{
    private const byte Id1 = 0x1F, Id2 = 0x8B, CmDeflate = 8;
    private const int FlagHcrc = 0x02, FlagExtra = 0x04, FlagName = 0x08, FlagComment = 0x10, FlagReserved = 0xE0;
    private const int FixedHeaderLength = 10, TrailerLength = 8;

    /// <summary>
    /// Writes the expanded bytes of <paramref name="input"/> to <paramref name="output"/>; more than
    /// <paramref name="cap"/> bytes in all is refused. <paramref name="name"/> prefixes every message.
    /// </summary>
    public static long Expand(Stream input, Stream output, long cap, string name)
    {
        var bits = new BitReader(input);
        var inflater = new Inflater(bits);
        long total = 0;
        Span<byte> trailer = stackalloc byte[TrailerLength];
        for (int member = 1; ; member++)
        {
            long start = bits.BytePosition;
            ReadHeader(bits, member, name, start);
            uint crc = 0;
            long size = 0;
            try
            {
                inflater.Inflate(chunk =>
                {
                    total += chunk.Length;
                    size += chunk.Length;
                    if (total > cap)
                        throw new InputException($"refusing to decompress: the expanded image exceeds {cap.ToString("N0", CultureInfo.InvariantCulture)} bytes (the cap is the smaller of VDISK_GZIP_MAX_BYTES, default 8 GiB, and the free temp space)");
                    crc = Crc32.Update(crc, chunk);
                    output.Write(chunk);
                });
            }
            catch (GzipDataException e)
            {
                throw new InputException($"gzip: {e.Message} in member {member} (compressed byte {bits.BytePosition})");
            }
            bits.AlignToByte();
            if (!bits.TryReadBytes(trailer))
                throw new InputException($"gzip: cut short: unexpected end of file in the trailer of member {member} (compressed byte {bits.BytePosition})");
            uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            uint storedSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
            if (storedCrc != crc)
                throw new InputException($"gzip: bad CRC-32 in member {member}: the trailer says 0x{storedCrc:X8}, the expanded data has 0x{crc:X8}");
            if (storedSize != (uint)size)
                throw new InputException($"gzip: bad ISIZE in member {member}: the trailer says {storedSize}, the member expanded to {size} bytes ({(uint)size} mod 2^32)");
            if (bits.AtEnd) return total;
        }
    }

    private static void ReadHeader(BitReader bits, int member, string name, long start)
    {
        Span<byte> h = stackalloc byte[FixedHeaderLength];
        uint crc = 0;
        int id1 = bits.ReadByte(), id2 = id1 < 0 ? -1 : bits.ReadByte();
        if (id1 < 0 && member == 1) throw new InputException($"gzip: not a gzip file (it is empty)");
        if (id1 != Id1 || (id2 >= 0 && id2 != Id2))
            throw new InputException(member == 1 ? $"gzip: not a gzip file (no 1F 8B magic)"
                : $"gzip: trailing garbage after member {member - 1} at byte {start} (not a gzip member header)");
        if (id2 < 0) throw CutInHeader(name, member, bits);
        h[0] = Id1;
        h[1] = Id2;
        if (!bits.TryReadBytes(h[2..])) throw CutInHeader(name, member, bits);
        if (h[2] != CmDeflate) throw new InputException($"gzip: unsupported compression method {h[2]} in member {member} (only 8, deflate)");
        int flags = h[3];
        if ((flags & FlagReserved) != 0) throw new InputException($"gzip: reserved header flags 0x{flags & FlagReserved:X2} set in member {member}");
        crc = Crc32.Update(crc, h);
        Span<byte> one = stackalloc byte[1];
        if ((flags & FlagExtra) != 0)
        {
            Span<byte> xlen = stackalloc byte[2];
            if (!bits.TryReadBytes(xlen)) throw CutInHeader(name, member, bits);
            crc = Crc32.Update(crc, xlen);
            int n = BinaryPrimitives.ReadUInt16LittleEndian(xlen);
            for (int i = 0; i < n; i++)
            {
                if (!bits.TryReadBytes(one)) throw CutInHeader(name, member, bits);
                crc = Crc32.Update(crc, one);
            }
        }
        foreach (int flag in new[] { FlagName, FlagComment })
        {
            if ((flags & flag) == 0) continue;
            // Zero-terminated; read byte by byte, nothing is kept (no allocation sized by the file).
            do
            {
                if (!bits.TryReadBytes(one)) throw CutInHeader(name, member, bits);
                crc = Crc32.Update(crc, one);
            }
            while (one[0] != 0);
        }
        if ((flags & FlagHcrc) != 0)
        {
            Span<byte> hcrc = stackalloc byte[2];
            if (!bits.TryReadBytes(hcrc)) throw CutInHeader(name, member, bits);
            ushort stored = BinaryPrimitives.ReadUInt16LittleEndian(hcrc);
            if (stored != (ushort)crc)
                throw new InputException($"gzip: bad header CRC-16 in member {member}: stored 0x{stored:X4}, computed 0x{(ushort)crc:X4}");
        }
    }

    private static InputException CutInHeader(string name, int member, BitReader bits) =>
        new($"gzip: cut short: unexpected end of file in the header of member {member} (compressed byte {bits.BytePosition})");
}

/// <summary>Bad deflate data or an early end inside it (the caller adds the file, member and position).</summary>
internal sealed class GzipDataException(string message) : Exception(message);
