using VirtualDiskManaged.Iso;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Perf;

/// <summary>
/// Allocation counts that are exact by design (zero): parsing from spans and reading through an open handle.
/// No timing is asserted anywhere (timings live in benchmarks/VirtualDiskManaged.Benchmarks).
/// </summary>
[TestFixture]
public class AllocationTests
{
    /// <summary>Bytes allocated on this thread by <paramref name="action"/> (run once before, so JIT and lazy statics do not count).</summary>
    internal static long Allocated(Action action)
    {
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Test]
    public void IsoDescriptorRecognitionAllocatesNothing()
    {
        // ECMA-119 §8.4: a primary volume descriptor is type 1, "CD001", version 1.
        var sector = new byte[IsoVolumeDescriptor.SectorSize];
        sector[0] = 1;
        "CD001"u8.CopyTo(sector.AsSpan(1));
        sector[6] = 1;
        string? id = null;
        Assert.That(Allocated(() => id = IsoVolumeDescriptor.Recognise(sector)), Is.Zero);
        Assert.That(id, Is.EqualTo("CD001"));
    }

    [Test]
    public void StreamReadsOfAnIsoAllocateNothing()
    {
        if (!TestPaths.HasTool("xorriso")) Assert.Ignore("xorriso is not installed");
        string folder = TestPaths.NewTempFolder("perf");
        string source = Path.Combine(folder, "src");
        Directory.CreateDirectory(source);
        File.WriteAllBytes(Path.Combine(source, "data.bin"), new byte[256 << 10]);
        string iso = Path.Combine(folder, "disc.iso");
        RunTool("xorriso", "-as", "mkisofs", "-quiet", "-o", iso, source);

        using var handle = VirtualDisk.Open(iso);
        using var stream = handle.OpenStream();
        var buffer = new byte[64 << 10];
        Assert.That(Allocated(() =>
        {
            stream.Position = 0;
            stream.ReadExactly(buffer);
            handle.Read(4096, buffer.AsSpan(0, 4096));
        }), Is.Zero);
    }

    internal static void RunTool(string name, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(name) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(info)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Fail($"{name} failed: {err}");
    }
}
