using BenchmarkDotNet.Attributes;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>What <see cref="CreateBenchmarks"/> creates.</summary>
public enum CreateKind
{
    /// <summary>A 2 TiB dynamic VHD (2040 GiB, the format's limit): a 4 MiB BAT of 0xFF.</summary>
    VhdDynamic2040GiB,
    /// <summary>A 64 TiB dynamic VHDX (the format's limit): 4 MiB of structures and a 17 MiB BAT region left as a hole.</summary>
    VhdxDynamic64TiB,
}

/// <summary>
/// <c>VirtualDisk.Create</c> of a dynamic disk at the format's size limit (rules, temp name, writes, flush to disk,
/// rename, reopen through the open path, dispose, delete) against the floor: the same bytes — every non-zero 4 KiB
/// page of a file the library made, at the same offsets, and the same final length — written with plain
/// <see cref="RandomAccess"/> writes into a new file, flushed to disk the same way, closed and deleted.
/// </summary>
[MemoryDiagnoser]
public class CreateBenchmarks
{
    private string _folder = "";
    private List<(long Offset, byte[] Bytes)> _pages = [];
    private long _length;
    private VirtualDiskCreateOptions _options = new();

    [Params(CreateKind.VhdDynamic2040GiB, CreateKind.VhdxDynamic64TiB)]
    public CreateKind Kind { get; set; }

    private string Extension => Kind == CreateKind.VhdDynamic2040GiB ? ".vhd" : ".vhdx";

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "vdm-bench-create-" + Environment.ProcessId);
        Directory.CreateDirectory(_folder);
        _options = Kind == CreateKind.VhdDynamic2040GiB
            ? new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhd, Size = 2040L << 30 }
            : new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhdx, Size = 64L << 40 };
        string reference = Path.Combine(_folder, "reference" + Extension);
        File.Delete(reference);
        VirtualDisk.Create(reference, _options).Dispose();
        // The metadata bytes: every 4 KiB page of the reference that is not all zero, merged into runs.
        var bytes = File.ReadAllBytes(reference);
        _length = bytes.Length;
        _pages = [];
        for (int start = 0; start < bytes.Length; start += 4096)
        {
            int len = Math.Min(4096, bytes.Length - start);
            if (!bytes.AsSpan(start, len).ContainsAnyExcept((byte)0)) continue;
            if (_pages.Count > 0 && _pages[^1].Offset + _pages[^1].Bytes.Length == start)
                _pages[^1] = (_pages[^1].Offset, [.. _pages[^1].Bytes, .. bytes.AsSpan(start, len)]);
            else _pages.Add((start, bytes.AsSpan(start, len).ToArray()));
        }
        File.Delete(reference);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark(Baseline = true)]
    public long PlainWrites()
    {
        string path = Path.Combine(_folder, "plain" + Extension);
        using (var stream = new FileStream(File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite), FileAccess.ReadWrite, 0))
        {
            foreach (var (offset, b) in _pages) RandomAccess.Write(stream.SafeFileHandle, b, offset);
            RandomAccess.SetLength(stream.SafeFileHandle, _length);
            stream.Flush(flushToDisk: true);
        }
        File.Delete(path);
        return _length;
    }

    [Benchmark]
    public long Library()
    {
        string path = Path.Combine(_folder, "lib" + Extension);
        long size;
        using (var h = VirtualDisk.Create(path, _options)) size = h.VirtualSize;
        File.Delete(path);
        return size;
    }
}
