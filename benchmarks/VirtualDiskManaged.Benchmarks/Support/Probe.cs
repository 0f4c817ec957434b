using System.Diagnostics;

namespace VirtualDiskManaged.Benchmarks.Support;

/// <summary>
/// A quick probe outside BenchmarkDotNet for profiling (strace -c, perf): <c>-- --probe open KIND SIZE N</c> loops
/// N opens and prints the mean time and allocations per open; <c>-- --probe images</c> generates every image.
/// </summary>
internal static class Probe
{
    public static void Run(string[] args)
    {
        switch (args[1])
        {
            case "images":
                foreach (var kind in Enum.GetValues<ImageKind>())
                {
                    foreach (var size in Enum.GetValues<SizeClass>()) Console.WriteLine(BenchImages.Empty(kind, size));
                    Console.WriteLine(BenchImages.WithContent(kind));
                }
                break;
            case "verify":
                foreach (var kind in Enum.GetValues<ImageKind>())
                {
                    foreach (var size in Enum.GetValues<SizeClass>())
                    {
                        var open = new OpenBenchmarks { Kind = kind, Size = size };
                        open.Setup();
                        Console.WriteLine($"open {kind} {size}: ok (floor reads {RawFloor.For(kind, BenchImages.Empty(kind, size)).TotalBytes} bytes in {RawFloor.For(kind, BenchImages.Empty(kind, size)).Files.Sum(f => f.Ranges.Length)} ranges)");
                    }
                    var read = new ReadBenchmarks { Kind = kind };
                    read.Setup();
                    read.Cleanup();
                    Console.WriteLine($"read {kind}: content verified");
                }
                break;
            case "pread":
            {
                PageCache.Reload(args.Skip(2));
                var buffer = new byte[4096];
                foreach (string file in args.Skip(2))
                {
                    using var h = File.OpenHandle(file);
                    long len = RandomAccess.GetLength(h) / 4096 - 1;
                    var offsets = Enumerable.Range(0, 1024).Select(i => (long)new Random(i).NextInt64(len) * 4096).ToArray();
                    double best = double.MaxValue;
                    for (int r = 0; r < 15; r++)
                    {
                        var sw = Stopwatch.StartNew();
                        foreach (long o in offsets) RandomAccess.Read(h, buffer, o);
                        best = Math.Min(best, sw.Elapsed.TotalMicroseconds / offsets.Length);
                    }
                    Console.WriteLine($"{Path.GetFileName(file)}: {best:F2} us per 4 KiB pread");
                }
                break;
            }
            case "read":
            {
                var kind = Enum.Parse<ImageKind>(args[2]);
                var (image, raw) = BenchImages.WithContent(kind);
                using var handle = VirtualDisk.Open(image);
                if (args.Length <= 3 || args[3] != "asis") PageCache.Reload(handle.Info.Chain.Select(f => f.Path).Append(raw));
                using var disk = handle.OpenStream();
                using var rawStream = new FileStream(raw, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.RandomAccess);
                var buffer = new byte[1 << 20];
                var offsets = Enumerable.Range(0, 1024).Select(i => (long)new Random(i).Next(BenchImages.ContentSize / 4096) * 4096).ToArray();
                double Best(Stream st, bool sequential)
                {
                    double best = double.MaxValue;
                    for (int r = 0; r < 15; r++)
                    {
                        var sw = Stopwatch.StartNew();
                        if (sequential) { st.Position = 0; for (int i = 0; i < BenchImages.ContentSize >> 20; i++) st.ReadExactly(buffer); }
                        else foreach (long o in offsets) { st.Position = o; st.ReadExactly(buffer.AsSpan(0, 4096)); }
                        best = Math.Min(best, sw.Elapsed.TotalMicroseconds / (sequential ? BenchImages.ContentSize >> 20 : offsets.Length));
                    }
                    return best;
                }
                double sr = Best(rawStream, true), sd = Best(disk, true), rr = Best(rawStream, false), rd = Best(disk, false);
                Console.WriteLine($"{kind}: seq raw {sr:F1} us disk {sd:F1} us ({sr / sd:F2}x)  random raw {rr:F2} us disk {rd:F2} us ({rr / rd:F2}x)");
                break;
            }
            case "open":
            {
                var kind = Enum.Parse<ImageKind>(args[2]);
                var size = Enum.Parse<SizeClass>(args[3]);
                int n = int.Parse(args[4]);
                string path = BenchImages.Empty(kind, size);
                var floor = RawFloor.For(kind, path);
                string only = args.Length > 5 ? args[5] : "all";
                if (only is "all" or "floor") Measure("floor", n, () => floor.Run());
                if (only is "parts")
                {
                    Measure("hostfile", n, () => { Host.HostFile.TryOpen(path, false, out var hf); hf!.Dispose(); });
                    Measure("hostchk", n, () => { Host.HostFile.TryOpen(path, false, out var hf); Host.HostChecks.Check(hf!, OpenVirtualDiskFlags.None, OpenRuleSet.Documented); hf!.Dispose(); });
                    if (BenchImages.IsVhdx(kind))
                    {
                        // The CRC-32C share of a VHDX open: both headers and both region tables.
                        var head = new byte[320 << 10];
                        using (var f = File.OpenRead(path)) f.ReadExactly(head);
                        Measure("crc136k", n, () => { IO.Crc32C.Compute(head.AsSpan(64 << 10, 4096)); IO.Crc32C.Compute(head.AsSpan(128 << 10, 4096)); IO.Crc32C.Compute(head.AsSpan(192 << 10, 128 << 10)); });
                    }
                }
                if (only is "noparents")
                {
                    var o = new VirtualDiskOpenOptions { Flags = OpenVirtualDiskFlags.NoParents };
                    Measure("open-np", n, () => { using var h = VirtualDisk.Open(path, o); _ = h.VirtualSize; });
                    Measure("libvhdi", n, () => LibVhdi.OpenAndGetSize(path));
                }
                if (only is "all" or "open" or "parts") Measure("open", n, () => { using var h = VirtualDisk.Open(path); _ = h.VirtualSize; });
                if (only is "all" or "libvhdi" && LibVhdi.IsAvailable && kind != ImageKind.Iso) Measure("libvhdi", n, () => LibVhdi.OpenAndGetSize(path));
                break;
            }
        }
    }

    private static void Measure(string name, int n, Action action)
    {
        for (int i = 0; i < Math.Min(n, 200); i++) action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) action();
        sw.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"{name,-8} {sw.Elapsed.TotalMicroseconds / n,10:F2} us  {allocated / n,8} B");
    }
}
