using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using VirtualDiskManaged.Benchmarks.Support;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>
/// Reads through the virtual disk stream of each kind (images holding 64 MiB of random bytes, fully allocated; the
/// differencing chains have three levels), against the same reads from a raw file of the same content through an
/// unbuffered <see cref="FileStream"/>. Times are per read: one 1 MiB sequential read, or one random 4 KiB read.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ReadBenchmarks
{
    private const int SequentialChunk = 1 << 20;
    private const int SequentialReads = BenchImages.ContentSize / SequentialChunk;
    private const int RandomChunk = 4096;
    private const int RandomReads = 1024;

    private VirtualDiskHandle _handle = null!;
    private Stream _disk = null!;
    private FileStream _raw = null!;
    private readonly byte[] _buffer = new byte[SequentialChunk];
    private long[] _offsets = [];

    [Params(ImageKind.Iso, ImageKind.VhdFixed, ImageKind.VhdDynamic, ImageKind.VhdDifferencing,
        ImageKind.VhdxFixed, ImageKind.VhdxDynamic, ImageKind.VhdxDifferencing)]
    public ImageKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (image, raw) = BenchImages.WithContent(Kind);
        _handle = VirtualDisk.Open(image);
        PageCache.Reload(_handle.Info.Chain.Select(f => f.Path).Append(raw));
        _disk = _handle.OpenStream();
        _raw = new FileStream(raw, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);
        var random = new Random(42);
        _offsets = new long[RandomReads];
        for (int i = 0; i < RandomReads; i++) _offsets[i] = (long)random.Next(BenchImages.ContentSize / RandomChunk) * RandomChunk;
        VerifySameContent();
    }

    /// <summary>The benchmark is only meaningful if both sides read the same bytes: compare them once.</summary>
    private void VerifySameContent()
    {
        var other = new byte[SequentialChunk];
        for (long at = 0; at < BenchImages.ContentSize; at += SequentialChunk)
        {
            _disk.Position = at;
            _disk.ReadExactly(_buffer);
            _raw.Position = at;
            _raw.ReadExactly(other);
            if (!_buffer.AsSpan().SequenceEqual(other))
                throw new InvalidOperationException($"{Kind}: virtual content differs from the raw file in the MiB at {at}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _disk.Dispose();
        _handle.Dispose();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = SequentialReads), BenchmarkCategory("Sequential1MiB")]
    public int SequentialRaw() => Sequential(_raw);

    [Benchmark(OperationsPerInvoke = SequentialReads), BenchmarkCategory("Sequential1MiB")]
    public int SequentialDisk() => Sequential(_disk);

    [Benchmark(Baseline = true, OperationsPerInvoke = RandomReads), BenchmarkCategory("Random4KiB")]
    public int RandomRaw() => RandomReadAll(_raw);

    [Benchmark(OperationsPerInvoke = RandomReads), BenchmarkCategory("Random4KiB")]
    public int RandomDisk() => RandomReadAll(_disk);

    private int Sequential(Stream s)
    {
        s.Position = 0;
        int total = 0;
        for (int i = 0; i < SequentialReads; i++)
        {
            s.ReadExactly(_buffer);
            total += _buffer[0];
        }
        return total;
    }

    private int RandomReadAll(Stream s)
    {
        var chunk = _buffer.AsSpan(0, RandomChunk);
        int total = 0;
        foreach (long offset in _offsets)
        {
            s.Position = offset;
            s.ReadExactly(chunk);
            total += chunk[0];
        }
        return total;
    }
}
