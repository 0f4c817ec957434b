using System.Buffers;
using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// A path table (ECMA-119 §6.9, §9.4): one record per directory — LEN_DI, EAR length, extent, parent number,
/// identifier, a pad byte when LEN_DI is odd — in type L (little-endian) or type M (big-endian) byte order. Read
/// sequentially through a 64 KiB window; at most <see cref="MaxRecords"/> records (parent numbers are 16-bit).
/// </summary>
internal static class IsoPathTable
{
    public const int MaxRecords = 65536;

    public readonly record struct Record(long Block, int Parent, string Name, long Offset);

    /// <summary>Reads the table; null with a finding when it lies outside the volume or holds a malformed record.</summary>
    public static List<Record>? Read(IsoVolume volume, uint location, uint size, bool bigEndian, bool joliet, IsoFindings findings, string which)
    {
        long start = (long)location * volume.BlockSize;
        if (!volume.InVolume(location, size) || !volume.InImage(start, size))
        {
            findings.Report(VirtualDiskErrorReason.IsoPathTableInvalid, $"{which} path table at block {location}, {size} bytes, lies outside the volume or the image", start, null);
            return null;
        }
        var records = new List<Record>();
        byte[] window = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long pos = 0;
            int have = 0, at = 0;
            while (pos < size)
            {
                if (have - at < 8 + 256)
                {
                    // Refill: keep the unread tail, then read as much as fits.
                    Buffer.BlockCopy(window, at, window, 0, have - at);
                    have -= at;
                    at = 0;
                    long filePos = pos + have;
                    int n = (int)Math.Min(window.Length - have, size - filePos);
                    if (n > 0)
                    {
                        if (!volume.Source.TryReadExactlyAt(start + filePos, window.AsSpan(have, n))) return null;
                        have += n;
                    }
                }
                int left = have - at;
                if (left < 8) { Bad($"a record header at byte {pos} runs past the table's end"); return null; }
                var r = window.AsSpan(at, left);
                int lenDi = r[0];
                int recLength = 8 + lenDi + (lenDi & 1);
                if (lenDi == 0 || 8 + lenDi > left) { Bad($"record at byte {pos}: LEN_DI {lenDi}"); return null; }
                if (records.Count >= MaxRecords) { Bad($"more than {MaxRecords} records"); return null; }
                long block = (bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(r[2..]) : BinaryPrimitives.ReadUInt32LittleEndian(r[2..])) + (long)r[1];
                int parent = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(r[6..]) : BinaryPrimitives.ReadUInt16LittleEndian(r[6..]);
                var id = r.Slice(8, lenDi);
                string name = lenDi == 1 && id[0] == 0 ? "\0" : joliet ? JolietName.Decode(id, out _) : JolietName.Bytes(id);
                records.Add(new Record(block, parent, name, start + pos));
                at += Math.Min(recLength, left);
                pos += recLength;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(window);
        }
        return records;

        void Bad(string what) => findings.Report(VirtualDiskErrorReason.IsoPathTableInvalid, $"{which} path table: {what}", start, null);
    }
}
