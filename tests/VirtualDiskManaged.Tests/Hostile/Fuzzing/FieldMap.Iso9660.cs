using System.Buffers.Binary;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// ISO 9660 file-system fields (ECMA-119 §9.1 directory records, IEEE P1281/P1282 SUSP/RRIP entries, zisofs
/// headers, El Torito catalog entries), found by walking the pristine image's trees (bounded), so that the
/// mutator aims at what the file-system reader parses.
/// </summary>
internal sealed partial class FieldMap
{
    private const int MaxDirectories = 64, MaxRecordsPerDirectory = 48;

    private void AddIsoTree(ReadOnlySpan<byte> image)
    {
        const int sector = 2048;
        if (image.Length < 18 * sector) return;
        var roots = new List<(long Extent, long Length)>();
        for (int i = 0; i < 16; i++)
        {
            long d = 32768 + (long)sector * i;
            if (d + sector > image.Length) break;
            var desc = image.Slice((int)d, sector);
            if (!desc[1..6].SequenceEqual("CD001"u8)) break;
            if (desc[0] is 1 or 2) roots.Add((BinaryPrimitives.ReadUInt32LittleEndian(desc[158..]), BinaryPrimitives.ReadUInt32LittleEndian(desc[166..])));
            if (desc[0] == 0)
            {
                long cat = (long)BinaryPrimitives.ReadUInt32LittleEndian(desc[71..]) * sector;
                for (int e = 0; e < 8 && cat + 32 * (e + 1) <= image.Length && cat > 0; e++)
                {
                    long at = cat + 32 * e;
                    Add($"eltorito.e{e}.indicator", at, 1, Endian.Bytes);
                    Add($"eltorito.e{e}.media", at + 1, 1, Endian.Bytes);
                    Add($"eltorito.e{e}.count", at + 2, 2, Endian.Little);
                    Add($"eltorito.e{e}.sectorCount", at + 6, 2, Endian.Little);
                    Add($"eltorito.e{e}.rba", at + 8, 4, Endian.Little);
                    Add($"eltorito.e{e}.checksum", at + 28, 2, Endian.Little);
                }
            }
            if (desc[0] == 255) break;
        }
        var seen = new HashSet<long>();
        var queue = new Queue<(long Extent, long Length)>(roots);
        int dirs = 0;
        while (queue.Count > 0 && dirs < MaxDirectories)
        {
            var (extent, length) = queue.Dequeue();
            if (!seen.Add(extent)) continue;
            long start = extent * sector;
            if (start <= 0 || length <= 0 || start + length > image.Length) continue;
            dirs++;
            int records = 0;
            for (long s = 0; s < length && records < MaxRecordsPerDirectory; s += sector)
            {
                int pos = 0;
                while (pos < sector && records < MaxRecordsPerDirectory)
                {
                    long r = start + s + pos;
                    int len = image[(int)r];
                    if (len < 34 || pos + len > sector) break;
                    var rec = image.Slice((int)r, len);
                    string n = $"iso.dir{dirs}.r{records}";
                    Add(n + ".length", r, 1, Endian.Bytes);
                    Add(n + ".extent", r + 2, 4, Endian.Little);
                    Add(n + ".dataLength", r + 10, 4, Endian.Little);
                    Add(n + ".flags", r + 25, 1, Endian.Bytes);
                    Add(n + ".interleave", r + 26, 2, Endian.Bytes);
                    Add(n + ".idLength", r + 32, 1, Endian.Bytes);
                    int idLen = rec[32];
                    if ((rec[25] & 2) != 0 && !(idLen == 1 && rec[33] <= 1))
                        queue.Enqueue((BinaryPrimitives.ReadUInt32LittleEndian(rec[2..]), BinaryPrimitives.ReadUInt32LittleEndian(rec[10..])));
                    int su = 33 + idLen + ((idLen & 1) == 0 ? 1 : 0);
                    AddSusp(image, rec, r, su, n, ref records);
                    records++;
                    pos += len;
                }
            }
        }
    }

    private void AddSusp(ReadOnlySpan<byte> image, ReadOnlySpan<byte> rec, long recordOffset, int su, string name, ref int records)
    {
        int p = su;
        int entries = 0;
        while (p + 4 <= rec.Length && entries < 16)
        {
            int len = rec[p + 2];
            if (len < 4 || p + len > rec.Length) break;
            long at = recordOffset + p;
            string n = $"{name}.su{entries}.{(char)rec[p]}{(char)rec[p + 1]}";
            Add(n + ".len", at + 2, 1, Endian.Bytes);
            switch ((char)rec[p], (char)rec[p + 1])
            {
                case ('C', 'E'):
                    Add(n + ".block", at + 4, 4, Endian.Little);
                    Add(n + ".offset", at + 12, 4, Endian.Little);
                    Add(n + ".length", at + 20, 4, Endian.Little);
                    break;
                case ('C', 'L'):
                case ('P', 'L'):
                    Add(n + ".location", at + 4, 4, Endian.Little);
                    break;
                case ('N', 'M'):
                case ('S', 'L'):
                case ('T', 'F'):
                    Add(n + ".flags", at + 4, 1, Endian.Bytes);
                    break;
                case ('S', 'P'):
                    Add(n + ".skip", at + 6, 1, Endian.Bytes);
                    break;
                case ('P', 'X'):
                    Add(n + ".mode", at + 4, 4, Endian.Little); // the file type bits decide the entry's kind
                    break;
                case ('P', 'N'):
                    Add(n + ".high", at + 4, 4, Endian.Little);
                    Add(n + ".low", at + 12, 4, Endian.Little);
                    break;
                case ('Z', 'F'):
                    Add(n + ".headerSize", at + 6, 1, Endian.Bytes);
                    Add(n + ".log2", at + 7, 1, Endian.Bytes);
                    Add(n + ".size", at + 8, 4, Endian.Little);
                    // The zisofs header and first pointers of the file this record describes.
                    long data = (long)BinaryPrimitives.ReadUInt32LittleEndian(rec[2..]) * 2048;
                    if (data > 0 && data + 32 <= image.Length)
                    {
                        Add(n + ".file.size", data + 8, 4, Endian.Little);
                        Add(n + ".file.log2", data + 13, 1, Endian.Bytes);
                        Add(n + ".file.ptr0", data + 16, 4, Endian.Little);
                        Add(n + ".file.ptr1", data + 20, 4, Endian.Little);
                    }
                    break;
            }
            entries++;
            p += len;
        }
    }
}
