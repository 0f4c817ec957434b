using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Udf;
using VirtualDiskManaged.Tests.Udf;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>
/// UDF directory parsing (docs/udf.md): the 5,000 FIDs of one directory crafted by UdfTestWriter. Baseline (same
/// run): a raw scan that only steps from FID to FID by the lengths in each header (ECMA-167 4/14.4), no checks.
/// Measured: every FID's tag checked (checksum, identifier, version, location, CRC-ITU-T) + parsed + its name
/// decoded (OSTA compressed Unicode); and the reader's whole lazy enumeration of the directory from memory, which
/// also reads, checks and parses each file's (Extended) File Entry.
/// </summary>
[MemoryDiagnoser]
public class UdfDirectoryParseBenchmarks
{
    private const int Files = 5000;
    private byte[] _directory = [];
    private uint _firstBlock;
    private byte[] _image = [];
    private FileSystemReader _fs = null!;
    private FileSystemEntry _big = null!;

    [GlobalSetup]
    public void Setup()
    {
        var w = new UdfTestWriter(UdfTestLayout.Physical);
        for (int i = 0; i < Files; i++) w.File($"/big/file-{i:D5}.txt", [(byte)i]);
        _image = w.Build();
        _fs = FileSystem.Open(new MemoryStream(_image, writable: false), new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf });
        _big = _fs.GetEntry("/big");
        var extent = _big.Extents.Single();
        _directory = _image.AsSpan((int)extent.Offset, (int)extent.Length).ToArray();
        _firstBlock = BinaryPrimitives.ReadUInt32LittleEndian(_directory.AsSpan(12));
        if (RawScan() != Files + 1 || ParseFids() != Files || Enumerate() != Files) throw new InvalidOperationException("counts differ");
    }

    [GlobalCleanup]
    public void Cleanup() => _fs.Dispose();

    [Benchmark(Baseline = true)]
    public int RawScan()
    {
        var d = _directory.AsSpan();
        int n = 0;
        for (int at = 0; at + 38 <= d.Length; n++)
            at += (38 + BinaryPrimitives.ReadUInt16LittleEndian(d[(at + 36)..]) + d[at + 19] + 3) & ~3;
        return n;
    }

    [Benchmark]
    public int ParseFids()
    {
        var d = _directory.AsSpan();
        int n = 0;
        for (int at = 0; at + UdfFileIdentifierDescriptor.HeaderSize <= d.Length;)
        {
            int total = UdfFileIdentifierDescriptor.LengthFromHeader(d[at..]);
            var fidBytes = d.Slice(at, total);
            uint location = _firstBlock + (uint)(at / 2048);
            if (UdfTag.Check(fidBytes, UdfTagId.FileIdentifier, location, out _) != UdfTagProblem.None) throw new InvalidOperationException("tag");
            var fid = UdfFileIdentifierDescriptor.Parse(fidBytes);
            at += total;
            if (fid.IsParent) continue;
            if (!UdfCompressedUnicode.TryDecode(fidBytes.Slice(fid.NameOffset, fid.NameLength), out _)) throw new InvalidOperationException("name");
            n++;
        }
        return n;
    }

    [Benchmark]
    public int Enumerate()
    {
        int n = 0;
        foreach (var _ in _fs.EnumerateDirectory(_big)) n++;
        return n;
    }
}
