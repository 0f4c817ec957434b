using BenchmarkDotNet.Attributes;
using VirtualDiskManaged.Benchmarks.Support;
using VirtualDiskManaged.Iso;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>Bytes of real images (made by qemu-img / xorriso) loaded once, for the header parsing benchmarks.</summary>
internal static class HeaderBytes
{
    public static byte[] Read(string path, long offset, int length)
    {
        using var f = File.OpenRead(path);
        var buffer = new byte[length];
        f.Position = offset < 0 ? f.Length + offset : offset;
        f.ReadExactly(buffer);
        return buffer;
    }
}

/// <summary>VHD footer parse + validate (VHD spec "Hard Disk Footer Format") against a plain byte sum of the same 512 bytes (the checksum's floor).</summary>
[MemoryDiagnoser]
public class VhdFooterParseBenchmarks
{
    private byte[] _footer = [];

    [GlobalSetup]
    public void Setup()
    {
        _footer = HeaderBytes.Read(BenchImages.Empty(ImageKind.VhdDynamic, SizeClass.Small), -512, 512);
        if (!Parse()) throw new InvalidOperationException("The footer does not parse");
    }

    [Benchmark(Baseline = true)]
    public uint ByteSum() => Parsers.ByteSum(_footer);

    [Benchmark]
    public bool Parse() => Parsers.ParseVhdFooter(_footer);
}

/// <summary>VHD dynamic header parse + validate (VHD spec "Dynamic Disk Header Format") against a plain byte sum of the same 1024 bytes.</summary>
[MemoryDiagnoser]
public class VhdDynamicHeaderParseBenchmarks
{
    private byte[] _header = [];

    [GlobalSetup]
    public void Setup()
    {
        _header = HeaderBytes.Read(BenchImages.Empty(ImageKind.VhdDynamic, SizeClass.Small), 512, 1024);
        if (!Parse()) throw new InvalidOperationException("The dynamic header does not parse");
    }

    [Benchmark(Baseline = true)]
    public uint ByteSum() => Parsers.ByteSum(_header);

    [Benchmark]
    public bool Parse() => Parsers.ParseVhdDynamicHeader(_header);
}

/// <summary>
/// The VHDX header set from in-memory bytes (MS-VHDX §2.2–§2.6): file type identifier, both headers, both region
/// tables, the metadata table and its items. Baseline: CRC-32C of the bytes the set carries checksums for (both
/// headers, 4 KiB each, and both region tables, 64 KiB each) — the floor any validating parser pays.
/// </summary>
[MemoryDiagnoser]
public class VhdxHeaderSetParseBenchmarks
{
    private byte[] _head = [];
    private byte[] _metadata = [];

    [GlobalSetup]
    public void Setup()
    {
        string path = BenchImages.Empty(ImageKind.VhdxDynamic, SizeClass.Small);
        _head = HeaderBytes.Read(path, 0, 320 << 10);
        _metadata = HeaderBytes.Read(path, Parsers.VhdxMetadataOffset(_head), 1 << 20);
        if (!Parse()) throw new InvalidOperationException("The VHDX header set does not parse");
    }

    [Benchmark(Baseline = true)]
    public uint Crc32CFloor()
    {
        var h = _head.AsSpan();
        return Parsers.Crc32C(h.Slice(64 << 10, 4096)) ^ Parsers.Crc32C(h.Slice(128 << 10, 4096))
            ^ Parsers.Crc32C(h.Slice(192 << 10, 64 << 10)) ^ Parsers.Crc32C(h.Slice(256 << 10, 64 << 10));
    }

    [Benchmark]
    public bool Parse() => Parsers.ParseVhdxHeaderSet(_head, _metadata);
}

/// <summary>ISO volume descriptor recognition (ECMA-119 §8.1, ECMA-167 2/9.1) against a compare of the "CD001" identifier alone.</summary>
[MemoryDiagnoser]
public class IsoDescriptorBenchmarks
{
    private byte[] _descriptor = [];

    [GlobalSetup]
    public void Setup()
    {
        _descriptor = HeaderBytes.Read(BenchImages.Empty(ImageKind.Iso, SizeClass.Small), 32768, 2048);
        if (Recognise() is null) throw new InvalidOperationException("The descriptor is not recognised");
    }

    [Benchmark(Baseline = true)]
    public bool CompareIdentifier() => _descriptor.AsSpan(1, 5).SequenceEqual("CD001"u8);

    [Benchmark]
    public string? Recognise() => IsoVolumeDescriptor.Recognise(_descriptor);
}
