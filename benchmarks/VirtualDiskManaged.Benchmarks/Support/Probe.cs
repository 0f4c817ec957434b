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
                    var head = new byte[320 << 10];
                    using (var f = File.OpenRead(path)) f.ReadExactly(head);
                    Measure("crc136k", n, () => { IO.Crc32C.Compute(head.AsSpan(64 << 10, 4096)); IO.Crc32C.Compute(head.AsSpan(128 << 10, 4096)); IO.Crc32C.Compute(head.AsSpan(192 << 10, 128 << 10)); });
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
