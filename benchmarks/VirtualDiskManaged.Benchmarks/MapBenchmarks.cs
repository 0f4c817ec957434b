using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>What <see cref="MapBenchmarks"/> maps: a dynamic VHDX with 32 MiB blocks and 4 KiB written in some blocks.</summary>
public enum MapCase
{
    /// <summary>64 GiB, 8 blocks written (2,048 BAT entries).</summary>
    Gib64Blocks8,
    /// <summary>64 TiB, 8 blocks written (2 M BAT entries, 16 MiB), every other entry PAYLOAD_BLOCK_ZERO as qemu-img writes it.</summary>
    Tib64Blocks8,
    /// <summary>64 TiB, 800 blocks written, the other entries ZERO.</summary>
    Tib64Blocks800,
    /// <summary>64 TiB, 8 blocks written, the BAT a hole of the sparse file where nothing was written (as the library makes it).</summary>
    Tib64Blocks8SparseBat,
}

/// <summary>
/// <c>VirtualDiskOperations.Map</c> (docs/operations.md "map") of dynamic VHDX files against the open of the same file
/// (the baseline: what every map pays before it walks), so the ratio shows what the walk costs: the target is a time
/// proportional to the allocated blocks, not to the virtual size.
/// </summary>
[MemoryDiagnoser]
public class MapBenchmarks
{
    private const uint BlockSize = 32 << 20;
    private string _folder = "";
    private string _path = "";

    [Params(MapCase.Gib64Blocks8, MapCase.Tib64Blocks8, MapCase.Tib64Blocks800, MapCase.Tib64Blocks8SparseBat)]
    public MapCase Case { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "vdm-bench-map-" + Environment.ProcessId);
        Directory.CreateDirectory(_folder);
        _path = Path.Combine(_folder, Case + ".vhdx");
        File.Delete(_path);
        long size = Case == MapCase.Gib64Blocks8 ? 64L << 30 : 64L << 40;
        int written = Case == MapCase.Tib64Blocks800 ? 800 : 8;
        using (var disk = VirtualDisk.Create(_path, new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhdx, Size = size, BlockSize = BlockSize }))
        {
            var data = new byte[4096];
            data.AsSpan().Fill(7);
            for (int i = 0; i < written; i++) disk.Write(size / written * i / 4096 * 4096, data);
            disk.Flush();
        }
        if (Case == MapCase.Tib64Blocks8SparseBat) return;
        // qemu-img's layout: every payload entry of an unwritten block PAYLOAD_BLOCK_ZERO (2), the BAT written whole.
        // The BAT of a library-made VHDX is at 3 MiB (docs/create.md); chunk ratio 2^23 · 512 / 32 MiB = 128 (MS-VHDX §2.5).
        long blocks = (size + BlockSize - 1) / BlockSize;
        long entries = blocks + (blocks - 1) / 128;
        using var file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);
        var buffer = new byte[1 << 20];
        for (long first = 0; first < entries; first += buffer.Length / 8)
        {
            int n = (int)Math.Min(buffer.Length / 8, entries - first);
            var span = buffer.AsSpan(0, n * 8);
            RandomAccess.Read(file, span, (3L << 20) + first * 8);
            for (int i = 0; i < n; i++)
            {
                long index = first + i;
                if (index % 129 == 128) continue; // a sector bitmap entry
                if (BinaryPrimitives.ReadUInt64LittleEndian(span[(i * 8)..]) == 0) BinaryPrimitives.WriteUInt64LittleEndian(span[(i * 8)..], 2);
            }
            RandomAccess.Write(file, span, (3L << 20) + first * 8);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    /// <summary>The open (and dispose) alone.</summary>
    [Benchmark(Baseline = true)]
    public long Open()
    {
        using var handle = VirtualDisk.Open(_path, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) });
        return handle.VirtualSize;
    }

    /// <summary>Open, map, dispose.</summary>
    [Benchmark]
    public int Map() => VirtualDiskOperations.Map(_path).Count;
}
