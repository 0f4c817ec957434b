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
            case "open":
            {
                var kind = Enum.Parse<ImageKind>(args[2]);
                var size = Enum.Parse<SizeClass>(args[3]);
                int n = int.Parse(args[4]);
                string path = BenchImages.Empty(kind, size);
                var floor = RawFloor.For(kind, path);
                string only = args.Length > 5 ? args[5] : "all";
                if (only is "all" or "floor") Measure("floor", n, () => floor.Run());
                if (only is not ("all" or "open")) break;
                Measure("open", n, () => { using var h = VirtualDisk.Open(path); _ = h.VirtualSize; });
                if (LibVhdi.IsAvailable && kind != ImageKind.Iso) Measure("libvhdi", n, () => LibVhdi.OpenAndGetSize(path));
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
