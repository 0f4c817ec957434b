using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;
using VirtualDiskManaged.Benchmarks.Support;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>
/// The write path (docs/write.md) against plain-file writes of the same bytes in the same run (the baseline of each
/// class). Times are per operation batch: 64 × 1 MiB sequential writes, or 1,024 random 4 KiB writes, or one 4 KiB
/// write + flush. No flush inside the measured writes (neither side), except in <see cref="FlushBenchmarks"/>.
/// </summary>
internal static class WriteWork
{
    public const int Chunk = 1 << 20, Chunks = BenchImages.ContentSize / Chunk;
    public static readonly string Folder = Path.Combine(BenchImages.Folder, "write-work");
    public static readonly byte[] Data = MakeData();

    private static byte[] MakeData()
    {
        var data = new byte[Chunk];
        new Random(11).NextBytes(data);
        return data;
    }

    public static string Copy(string source, string name)
    {
        Directory.CreateDirectory(Folder);
        string target = Path.Combine(Path.GetDirectoryName(source)!, name + Path.GetExtension(source));
        File.Copy(source, target, overwrite: true);
        return target;
    }

    public static VirtualDiskHandle OpenWritable(string path) =>
        VirtualDisk.Open(path, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo });

    public static SafeFileHandle NewPlainFile(string name, long length)
    {
        Directory.CreateDirectory(Folder);
        var handle = File.OpenHandle(Path.Combine(Folder, name), FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        if (length > 0) RandomAccess.SetLength(handle, length);
        return handle;
    }

    public static void Sequential(VirtualDiskHandle disk)
    {
        for (int i = 0; i < Chunks; i++) disk.Write((long)i * Chunk, Data);
    }

    public static void Sequential(SafeFileHandle file)
    {
        for (int i = 0; i < Chunks; i++) RandomAccess.Write(file, Data, (long)i * Chunk);
    }
}

/// <summary>1 MiB sequential writes over a fixed disk's present data (in place) vs a plain preallocated file.</summary>
[MemoryDiagnoser]
public class FixedSequentialWriteBenchmarks
{
    private VirtualDiskHandle _disk = null!;
    private SafeFileHandle _plain = null!;

    [Params(ImageKind.VhdFixed, ImageKind.VhdxFixed)]
    public ImageKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _disk = WriteWork.OpenWritable(WriteWork.Copy(BenchImages.WithContent(Kind).Image, $"write-{Kind}"));
        _plain = WriteWork.NewPlainFile("plain-fixed.raw", BenchImages.ContentSize);
        WriteWork.Sequential(_plain);
        WriteWork.Sequential(_disk); // the session's first-write work (VHDX header update) is not what is measured
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _disk.Dispose();
        _plain.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void PlainFile() => WriteWork.Sequential(_plain);

    [Benchmark]
    public void Image() => WriteWork.Sequential(_disk);
}

/// <summary>1 MiB sequential writes into a new, empty dynamic image (every block allocated) vs into a new empty plain file.</summary>
[MemoryDiagnoser]
public class NewDynamicSequentialWriteBenchmarks
{
    private VirtualDiskHandle? _disk;
    private SafeFileHandle? _plain;
    private string _template = "";

    [Params(ImageKind.VhdDynamic, ImageKind.VhdxDynamic)]
    public ImageKind Kind { get; set; }

    [GlobalSetup]
    public void Setup() => _template = BenchImages.Empty(Kind, SizeClass.Small);

    [IterationSetup]
    public void Fresh()
    {
        _disk?.Dispose();
        _plain?.Dispose();
        _disk = WriteWork.OpenWritable(WriteWork.Copy(_template, $"write-new-{Kind}"));
        _disk.Write(_disk.VirtualSize - 4096, new byte[4096]); // session start outside the measurement, far from the measured range
        _plain = WriteWork.NewPlainFile("plain-new.raw", 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _disk?.Dispose();
        _plain?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void PlainFile() => WriteWork.Sequential(_plain!);

    [Benchmark]
    public void Image() => WriteWork.Sequential(_disk!);
}

/// <summary>1,024 random 4 KiB writes into present blocks (in place, no metadata) vs the same writes to a plain file.</summary>
[MemoryDiagnoser]
public class RandomPresentWriteBenchmarks
{
    private VirtualDiskHandle _disk = null!;
    private SafeFileHandle _plain = null!;
    private long[] _offsets = [];
    private readonly byte[] _page = new byte[4096];

    [Params(ImageKind.VhdFixed, ImageKind.VhdDynamic, ImageKind.VhdxDynamic)]
    public ImageKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _disk = WriteWork.OpenWritable(WriteWork.Copy(BenchImages.WithContent(Kind).Image, $"write-rand-{Kind}"));
        _plain = WriteWork.NewPlainFile("plain-rand.raw", BenchImages.ContentSize);
        WriteWork.Sequential(_plain);
        var random = new Random(42);
        _offsets = new long[1024];
        for (int i = 0; i < _offsets.Length; i++) _offsets[i] = (long)random.Next(BenchImages.ContentSize / 4096) * 4096;
        new Random(3).NextBytes(_page);
        _disk.Write(0, _page);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _disk.Dispose();
        _plain.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void PlainFile()
    {
        foreach (long o in _offsets) RandomAccess.Write(_plain, _page, o);
    }

    [Benchmark]
    public void Image()
    {
        foreach (long o in _offsets) _disk.Write(o, _page);
    }
}

/// <summary>One 4 KiB write into a present block + Flush() vs a plain write + fsync: Flush() is one fsync per file.</summary>
public class FlushBenchmarks
{
    private VirtualDiskHandle _disk = null!;
    private SafeFileHandle _plain = null!;
    private readonly byte[] _page = new byte[4096];

    [Params(ImageKind.VhdDynamic, ImageKind.VhdxDynamic)]
    public ImageKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _disk = WriteWork.OpenWritable(WriteWork.Copy(BenchImages.WithContent(Kind).Image, $"write-flush-{Kind}"));
        _plain = WriteWork.NewPlainFile("plain-flush.raw", BenchImages.ContentSize);
        _disk.Write(0, _page);
        _disk.Flush();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _disk.Dispose();
        _plain.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void PlainFileWriteFsync()
    {
        RandomAccess.Write(_plain, _page, 8192);
        RandomAccess.FlushToDisk(_plain);
    }

    [Benchmark]
    public void ImageWriteFlush()
    {
        _disk.Write(8192, _page);
        _disk.Flush();
    }
}

/// <summary>1 MiB sequential writes into the top of a 3-level chain (allocating there; partial blocks below) vs a new plain file.</summary>
[MemoryDiagnoser]
public class ChainTopWriteBenchmarks
{
    private VirtualDiskHandle? _disk;
    private SafeFileHandle? _plain;
    private string _top = "";

    [Params(ImageKind.VhdDifferencing, ImageKind.VhdxDifferencing)]
    public ImageKind Kind { get; set; }

    [GlobalSetup]
    public void Setup() => _top = BenchImages.WithContent(Kind).Image;

    [IterationSetup]
    public void Fresh()
    {
        _disk?.Dispose();
        _plain?.Dispose();
        _disk = WriteWork.OpenWritable(WriteWork.Copy(_top, $"write-top-{Kind}"));
        _disk.Write(_disk.VirtualSize - 4096, new byte[4096]);
        _plain = WriteWork.NewPlainFile("plain-top.raw", 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _disk?.Dispose();
        _plain?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void PlainFile() => WriteWork.Sequential(_plain!);

    [Benchmark]
    public void Image() => WriteWork.Sequential(_disk!);
}
