using VirtualDiskManaged.IO;
using VirtualDiskManaged.Iso;
using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;

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
    public void VhdFooterAndDynamicHeaderParsingAllocateNothing()
    {
        var image = VhdWriter.NewDynamic(64 << 20).Build();
        var footer = image.TrailingFooter.ToArray();
        var header = image.Header.ToArray();
        bool footerOk = false, headerOk = false;
        Assert.That(Allocated(() => footerOk = VhdFooter.TryParse(footer, out _, out _)), Is.Zero);
        Assert.That(Allocated(() => headerOk = VhdDynamicHeader.TryParse(header, out _, out _)), Is.Zero);
        Assert.That(footerOk && headerOk, Is.True);
    }

    [Test]
    public void VhdxHeaderRegionTableAndCrcAllocateNothing()
    {
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        string path = Path.Combine(TestPaths.NewTempFolder("perf"), "d.vhdx");
        RunTool("qemu-img", "create", "-q", "-f", "vhdx", path, "64M");
        var head = new byte[320 << 10];
        using (var f = File.OpenRead(path)) f.ReadExactly(head);
        var header = head.AsSpan(64 << 10, 4096).ToArray();
        var regions = head.AsSpan(192 << 10, 64 << 10).ToArray();
        bool headerOk = false, regionsOk = false;
        Assert.That(Allocated(() => headerOk = VhdxHeader.TryParse(header, out _, out _)), Is.Zero);
        Assert.That(Allocated(() => regionsOk = VhdxRegionTable.TryParse(regions, out _, out _, out _)), Is.Zero);
        Assert.That(Allocated(() => Crc32C.Compute(head)), Is.Zero);
        Assert.That(headerOk && regionsOk, Is.True);
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
