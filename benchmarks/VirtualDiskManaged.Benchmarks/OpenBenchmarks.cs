using BenchmarkDotNet.Attributes;
using VirtualDiskManaged.Benchmarks.Support;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>
/// Open + read the virtual size + dispose, with the file in the page cache, for each kind at 1 GiB and at the large
/// size (2040 GiB VHD, 64 TiB VHDX, 15 TiB fixed VHDX), and for dynamic and differencing VHDX at 16 MiB with 1 MiB
/// blocks (a small chain: the child's BAT uses 17 entries of its chunk's 4,097). Baseline: the raw floor (open the files, read exactly the
/// ranges a minimal opener must read, close). Peer: libvhdi's open of the same file.
/// </summary>
[MemoryDiagnoser]
public class OpenBenchmarks
{
    private string _path = "";
    private string? _parentPath;
    private Support.RawFloor _floor = null!;

    [Params(ImageKind.Iso, ImageKind.VhdFixed, ImageKind.VhdDynamic, ImageKind.VhdDifferencing,
        ImageKind.VhdxFixed, ImageKind.VhdxDynamic, ImageKind.VhdxDifferencing)]
    public ImageKind Kind { get; set; }

    [Params(SizeClass.Small, SizeClass.Large, SizeClass.Tiny)]
    public SizeClass Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = BenchImages.Empty(Kind, Size);
        _floor = Support.RawFloor.For(Kind, _path);
        _parentPath = BenchImages.EmptyParent(Kind, Size);
        // Fail loudly here rather than measure a failing open; also warms the page cache.
        using (var handle = VirtualDisk.Open(_path))
        {
            long expected = BenchImages.VirtualSize(Kind, Size);
            if (Kind != ImageKind.Iso && handle.VirtualSize != expected)
                throw new InvalidOperationException($"{_path}: virtual size {handle.VirtualSize}, expected {expected}");
        }
        _floor.Run();
    }

    [Benchmark(Baseline = true)]
    public int RawFloor() => _floor.Run();

    [Benchmark]
    public long Open()
    {
        using var handle = VirtualDisk.Open(_path);
        return handle.VirtualSize;
    }

    /// <summary>libvhdi's open of the same file. libvhdi opens only the file named; for a differencing file it
    /// also opens the parent and attaches it, as a caller must before reading (the parent's path handed in).</summary>
    [Benchmark]
    public ulong Libvhdi() => LibVhdi.OpenAndGetSize(_path, _parentPath);
}
