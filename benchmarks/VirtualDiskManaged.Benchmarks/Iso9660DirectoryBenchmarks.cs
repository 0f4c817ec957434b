using System.Buffers.Binary;
using System.Text;
using BenchmarkDotNet.Attributes;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>
/// ISO 9660 directory-record parsing (ECMA-119 §9.1: every field of every record validated, both-endian fields
/// read, the System Use offset computed) against a raw scan of the same bytes (follow LEN_DR through each
/// 2048-byte sector, touch the identifier length: the floor any directory reader pays). 10,000 records shaped
/// like xorriso's (8.3 name, Rock Ridge PX 36 + TF 26 + NM with the long name). Extra rows: the records'
/// names mapped, and the reader's whole lazy enumeration (Rock Ridge: SUSP walked, entries built).
/// </summary>
[MemoryDiagnoser]
public class Iso9660DirectoryBenchmarks
{
    public const int Records = 10_000;
    private byte[] _directory = [];
    private FileSystemReader? _fs;
    private FileSystemEntry? _root;

    [GlobalSetup]
    public void Setup()
    {
        var records = new List<byte[]>();
        for (int i = 0; i < Records; i++) records.Add(Record(40 + (uint)i, (uint)(i * 7), $"F{i:D7}.TXT;1", $"file-number-{i:D7}.txt"));
        var sectors = new List<byte[]>();
        var sector = new byte[2048];
        int pos = 0;
        foreach (var r in Prefix().Concat(records))
        {
            if (pos + r.Length > 2048) { sectors.Add(sector); sector = new byte[2048]; pos = 0; }
            r.CopyTo(sector, pos);
            pos += r.Length;
        }
        sectors.Add(sector);
        _directory = sectors.SelectMany(s => s).ToArray();
        // A whole volume around it for the enumeration row: PVD at 16, terminator at 17, the directory at 20.
        var image = new byte[(20 + sectors.Count + 1) * 2048];
        var pvd = image.AsSpan(16 * 2048, 2048);
        pvd[0] = 1; "CD001"u8.CopyTo(pvd[1..]); pvd[6] = 1;
        Both32(pvd[80..], (uint)(image.Length / 2048));
        Both16(pvd[120..], 1); Both16(pvd[124..], 1); Both16(pvd[128..], 2048);
        Record(20, (uint)_directory.Length, "\0", null, 0x02).AsSpan(0, 34).CopyTo(pvd[156..]);
        image[17 * 2048] = 255; "CD001"u8.CopyTo(image.AsSpan(17 * 2048 + 1)); image[17 * 2048 + 6] = 1;
        _directory.CopyTo(image, 20 * 2048);
        _fs = FileSystem.Open(new MemoryStream(image, writable: false));
        _root = _fs.Root;
        if (RawScan() != Records + 2 || Parse() != Records + 2 || Enumerate() != Records) throw new InvalidOperationException("The directory does not parse");
    }

    private IEnumerable<byte[]> Prefix()
    {
        // "." with SP + ER, as a Rock Ridge root; "..".
        var dot = Record(20, 0, "\0", null, 0x02, extraSu: [0x53, 0x50, 7, 1, 0xBE, 0xEF, 0, 0x52, 0x52, 5, 1, 0x81]);
        yield return dot;
        yield return Record(20, 0, "\u0001", null, 0x02);
    }

    private static void Both32(Span<byte> b, uint v) { BinaryPrimitives.WriteUInt32LittleEndian(b, v); BinaryPrimitives.WriteUInt32BigEndian(b[4..], v); }

    private static void Both16(Span<byte> b, ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(b, v); BinaryPrimitives.WriteUInt16BigEndian(b[2..], v); }

    private static byte[] Record(uint extent, uint length, string id, string? rrName, byte flags = 0, byte[]? extraSu = null)
    {
        var idBytes = id.Length == 1 && id[0] < 2 ? [(byte)id[0]] : Encoding.ASCII.GetBytes(id);
        var su = new List<byte>(extraSu ?? []);
        if (rrName is not null)
        {
            var px = new byte[36]; px[0] = (byte)'P'; px[1] = (byte)'X'; px[2] = 36; px[3] = 1; Both32(px.AsSpan(4), 0x81A4); Both32(px.AsSpan(12), 1);
            var tf = new byte[26]; tf[0] = (byte)'T'; tf[1] = (byte)'F'; tf[2] = 26; tf[3] = 1; tf[4] = 0x0E;
            for (int t = 0; t < 3; t++) { tf[5 + 7 * t] = 123; tf[6 + 7 * t] = 11; tf[7 + 7 * t] = 14; }
            var nm = Encoding.ASCII.GetBytes(rrName);
            su.AddRange(px); su.AddRange(tf);
            su.AddRange([(byte)'N', (byte)'M', (byte)(5 + nm.Length), 1, 0]); su.AddRange(nm);
        }
        int suOffset = 33 + idBytes.Length + ((idBytes.Length & 1) == 0 ? 1 : 0);
        int len = suOffset + su.Count;
        len += len & 1;
        var r = new byte[len];
        r[0] = (byte)len;
        Both32(r.AsSpan(2), extent);
        Both32(r.AsSpan(10), length);
        r[18] = 123; r[19] = 11; r[20] = 14;
        r[25] = flags;
        Both16(r.AsSpan(28), 1);
        r[32] = (byte)idBytes.Length;
        idBytes.CopyTo(r, 33);
        su.ToArray().CopyTo(r, suOffset);
        return r;
    }

    /// <summary>The floor: follow LEN_DR through every sector and touch LEN_FI.</summary>
    [Benchmark(Baseline = true)]
    public int RawScan()
    {
        var d = _directory.AsSpan();
        int count = 0, sum = 0;
        for (int s = 0; s < d.Length; s += 2048)
        {
            var sector = d.Slice(s, 2048);
            int pos = 0;
            while (pos < sector.Length)
            {
                int len = sector[pos];
                if (len == 0) break;
                sum += sector[pos + 32];
                count++;
                pos += len;
            }
        }
        return sum >= 0 ? count : -1;
    }

    /// <summary>Every record parsed and validated (IsoDirectoryRecord.TryParse).</summary>
    [Benchmark]
    public int Parse()
    {
        var d = _directory.AsSpan();
        int count = 0;
        long sum = 0;
        for (int s = 0; s < d.Length; s += 2048)
        {
            var sector = d.Slice(s, 2048);
            int pos = 0;
            while (pos < sector.Length)
            {
                if (IsoDirectoryRecord.TryParse(sector, pos, out var r) != IsoRecordStatus.Ok) break;
                sum += r.Extent + r.DataLength + r.SystemUseOffset;
                count++;
                pos += r.Length;
            }
        }
        return sum >= 0 ? count : -1;
    }

    /// <summary>Parsed, and each name decoded and mapped (";1" and the trailing dot removed).</summary>
    [Benchmark]
    public int ParseAndName()
    {
        var d = _directory.AsSpan();
        int count = 0;
        for (int s = 0; s < d.Length; s += 2048)
        {
            var sector = d.Slice(s, 2048);
            int pos = 0;
            while (pos < sector.Length)
            {
                if (IsoDirectoryRecord.TryParse(sector, pos, out var r) != IsoRecordStatus.Ok) break;
                count += JolietName.MapIso(JolietName.Bytes(sector.Slice(pos + IsoDirectoryRecord.IdentifierOffset, r.IdentifierLength))).Length > 0 ? 1 : 0;
                pos += r.Length;
            }
        }
        return count;
    }

    /// <summary>The reader's lazy enumeration of the directory (Rock Ridge: SUSP walked, an entry built per record).</summary>
    [Benchmark]
    public int Enumerate()
    {
        int n = 0;
        foreach (var _ in _fs!.EnumerateDirectory(_root!)) n++;
        return n;
    }
}
