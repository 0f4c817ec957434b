using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.Vhdx.VhdxTestSupport;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>Content of images written by <see cref="VhdxWriter"/>: dynamic, fixed, 4K sectors, lazily paged BATs, chains.</summary>
public sealed class VhdxContentTests
{
    private static string ContentOf(string path, VirtualDiskOpenOptions? options = null)
    {
        using var disk = VirtualDisk.Open(path, options);
        return TestPaths.ContentSha256(disk);
    }

    [Test]
    public void DynamicImageReadsWhatWasWritten_AndQemuAgrees()
    {
        var model = new ModelDisk(new VhdxWriter(16 * VhdxWriter.MiB))
            .Fill(0, 4096, 0xAB).Fill(3 * VhdxWriter.MiB - 1000, 5000, 0xCD).Fill(15 * VhdxWriter.MiB + 512, 512 * 3, 0x3C);
        string folder = TestPaths.NewTempFolder("vhdx");
        string path = Save(model.Writer, folder, "dyn.vhdx");
        using (var disk = VirtualDisk.Open(path))
        {
            Assert.That(disk.Subtype, Is.EqualTo(VirtualDiskProviderSubtype.Dynamic));
            Assert.That(disk.VirtualSize, Is.EqualTo(16 * VhdxWriter.MiB));
            Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(model.Sha256));
        }
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        // The writer is checked by an independent reader: qemu converts the same file to the same bytes.
        string raw = Path.Combine(folder, "dyn.raw");
        var (rc, output) = Run("qemu-img", "convert", "-f", "vhdx", "-O", "raw", path, raw);
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(raw))).ToLowerInvariant(), Is.EqualTo(model.Sha256));
    }

    [Test]
    public void FixedImageIsSubtypeFixed()
    {
        var model = new ModelDisk(new VhdxWriter(5 * VhdxWriter.MiB) { Fixed = true }).Fill(VhdxWriter.MiB, 100_000, 0x77);
        string path = Save(model.Writer, TestPaths.NewTempFolder("vhdx"), "fixed.vhdx");
        using var disk = VirtualDisk.Open(path);
        var table = ((VirtualDiskManaged.Vhdx.VhdxLayer)disk.TopLayerForTests()).BlockTable;
        Assert.That(table.LoadedPageCount, Is.EqualTo(table.PageCount), "a small table is read and validated at open");
        Assert.That(disk.Subtype, Is.EqualTo(VirtualDiskProviderSubtype.Fixed));
        Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(model.Sha256));
        Assert.That(disk.Info.Top.AllocatedBlockCount, Is.EqualTo(5));
    }

    [Test]
    public void FourKSectorImage_MatchesModel_AndLibvhdi()
    {
        var model = new ModelDisk(new VhdxWriter(12 * VhdxWriter.MiB, blockSize: 2 * (uint)VhdxWriter.MiB, logicalSectorSize: 4096, physicalSectorSize: 4096))
            .Fill(0, 8192, 0x11).Fill(4 * VhdxWriter.MiB - 4096, 8192, 0x22).Fill(12 * VhdxWriter.MiB - 4096, 4096, 0x33);
        string path = Save(model.Writer, TestPaths.NewTempFolder("vhdx"), "4k.vhdx");
        using (var disk = VirtualDisk.Open(path))
        {
            Assert.That(disk.LogicalSectorSize, Is.EqualTo(4096));
            Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(model.Sha256));
        }
        if (!TestPaths.HasTool("vhdiinfo")) Assert.Ignore("vhdiinfo is not installed");
        var info = VhdiInfo(path);
        Assert.That(info["Bytes per sector"], Is.EqualTo("4096 bytes"));
        Assert.That(info["Media size"], Does.Contain("(12582912 bytes)"));
        string? mounted = VhdimountSha256(path);
        if (mounted is not null) Assert.That(mounted, Is.EqualTo(model.Sha256), "vhdimount content");
    }

    /// <summary>
    /// A 1 TiB disk with 1 MiB blocks has a 8 MiB BAT (more than <c>VhdxBlockTable.EagerEntryLimit</c>): it is paged in
    /// lazily, so a damaged entry far away does not stop the open, fails the read that needs it, and the deep check finds it.
    /// </summary>
    [Test]
    public void LargeBatIsPagedLazily()
    {
        long size = 1L << 40;
        var writer = new VhdxWriter(size).Fill(0, 4096, 0x01).Fill(700L << 30, 4096, 0x02).Fill(size - 4096, 4096, 0x03);
        byte[] image = writer.Build();
        // Damage the entry of block 500 000 (state 4 is reserved).
        long entryAt = VhdxWriter.BatOffset + writer.PayloadIndex(500_000) * 8;
        image[entryAt] = 4;
        string path = Save(image, TestPaths.NewTempFolder("vhdx"), "big.vhdx");
        using var disk = VirtualDisk.Open(path);
        Assert.That(disk.VirtualSize, Is.EqualTo(size));
        var buffer = new byte[4096];
        disk.Read(700L << 30, buffer);
        Assert.That(buffer, Is.All.EqualTo(0x02));
        disk.Read(size - 4096, buffer);
        Assert.That(buffer, Is.All.EqualTo(0x03));
        disk.Read(1L << 30, buffer);
        Assert.That(buffer, Is.All.EqualTo(0));
        var e = Assert.Throws<VirtualDiskException>(() => disk.Read(500_000L * VhdxWriter.MiB, buffer))!;
        Assert.That(e.Reason, Is.EqualTo(VirtualDiskErrorReason.BatEntryStateInvalid));
        Assert.That(e.ErrorCode, Is.EqualTo(0xC03A000Au));
        var problems = disk.TopLayerForTests().Verify();
        Assert.That(problems.Select(p => p.Reason), Does.Contain(VirtualDiskErrorReason.BatEntryStateInvalid));
    }

    [Test]
    public void ConcurrentReadersOfALazyBatSeeTheSameBytes()
    {
        long size = 1L << 40;
        var writer = new VhdxWriter(size);
        var offsets = Enumerable.Range(0, 64).Select(i => (long)i * 16_000 * VhdxWriter.MiB + i * 4096L).ToArray();
        foreach (var (o, i) in offsets.Select((o, i) => (o, i))) writer.Fill(o, 4096, (byte)(i + 1));
        string path = Save(writer, TestPaths.NewTempFolder("vhdx"), "many.vhdx");
        using var disk = VirtualDisk.Open(path);
        int failures = 0;
        Parallel.For(0, 64 * 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, n =>
        {
            int i = n % 64;
            var buffer = new byte[4096];
            disk.Read(offsets[i], buffer);
            if (buffer.Any(b => b != (byte)(i + 1))) Interlocked.Increment(ref failures);
        });
        Assert.That(failures, Is.EqualTo(0));
    }

    [Test]
    public void SixtyFourTiBDiskOpensWithoutReadingItsBat()
    {
        long size = 64L << 40;
        var writer = new VhdxWriter(size, blockSize: 256 * (uint)VhdxWriter.MiB);
        string path = Save(writer, TestPaths.NewTempFolder("vhdx"), "huge.vhdx");
        using var disk = VirtualDisk.Open(path);
        Assert.That(disk.VirtualSize, Is.EqualTo(size));
        var table = ((VirtualDiskManaged.Vhdx.VhdxLayer)disk.TopLayerForTests()).BlockTable;
        Assert.That(table.IsEager, Is.False);
        Assert.That(table.LoadedPageCount, Is.EqualTo(0), "open read no BAT page");
        var buffer = new byte[512];
        buffer.AsSpan().Fill(0xFF);
        disk.Read(size - 512, buffer);
        Assert.That(buffer, Is.All.EqualTo(0));
        Assert.That(table.LoadedPageCount, Is.EqualTo(1), "one read loads one page");
    }

    [Test]
    public void PartialLastBlockReadsZerosWithWarning()
    {
        var model = new ModelDisk(new VhdxWriter(4 * VhdxWriter.MiB)).Fill(3 * VhdxWriter.MiB, 300_000, 0x9A);
        byte[] image = model.Writer.Build();
        // The file ends 200 000 bytes into the last block (as qemu-created files may).
        long cut = image.Length - VhdxWriter.MiB + 200_000;
        string path = Save(image[..(int)cut], TestPaths.NewTempFolder("vhdx"), "short.vhdx");
        model.Content.AsSpan((int)(3 * VhdxWriter.MiB + 200_000)).Clear();
        using var disk = VirtualDisk.Open(path);
        Assert.That(disk.Warnings.Select(w => w.Reason), Does.Contain(VirtualDiskErrorReason.VhdxLastBlockPartial));
        Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(model.Sha256));
    }

    [Test]
    public void BlockStatesReadAsZeros()
    {
        var writer = new VhdxWriter(8 * VhdxWriter.MiB).Fill(0, 4096, 0x42)
            .SetBlockState(1, VhdxWriter.Undefined).SetBlockState(2, VhdxWriter.Zero).SetBlockState(3, VhdxWriter.Unmapped).SetBlockState(4, 5);
        var model = new byte[8 * VhdxWriter.MiB];
        model.AsSpan(0, 4096).Fill(0x42);
        string path = Save(writer, TestPaths.NewTempFolder("vhdx"), "states.vhdx");
        Assert.That(ContentOf(path), Is.EqualTo(Convert.ToHexString(SHA256.HashData(model)).ToLowerInvariant()));
    }
}

internal static class HandleTestExtensions
{
    public static VirtualDiskManaged.IO.DiskLayer TopLayerForTests(this VirtualDiskHandle handle) => handle.TopLayer;
}
