using VirtualDiskManaged.Create;
using VirtualDiskManaged.Tests.Vhdx;
using static VirtualDiskManaged.Tests.Create.CreateTools;

namespace VirtualDiskManaged.Tests.Create;

/// <summary>SourcePath: the new image holds the source's content (qemu-img compare), reading and writing only what is allocated.</summary>
public sealed class CreateSourceTests : CreateTestBase
{
    private const long Size = 48 * MiB;
    private static readonly long[] Pattern = [0, 5 * MiB + 4096, 33 * MiB, Size - 65536];

    private static readonly object[] Targets =
    [
        new object[] { VirtualDiskFormat.Vhd, VirtualDiskCreateType.Fixed },
        new object[] { VirtualDiskFormat.Vhd, VirtualDiskCreateType.Dynamic },
        new object[] { VirtualDiskFormat.Vhdx, VirtualDiskCreateType.Fixed },
        new object[] { VirtualDiskFormat.Vhdx, VirtualDiskCreateType.Dynamic },
    ];

    private static string Ext(VirtualDiskFormat f) => f == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx";

    [TestCaseSource(nameof(Targets))]
    public void FromRawFile(VirtualDiskFormat format, VirtualDiskCreateType type)
    {
        string raw = PatternRaw(Folder, "src.raw", Size, Pattern);
        string target = At("t" + Ext(format));
        long reported = 0;
        using (var h = VirtualDisk.Create(target, new() { Format = format, Type = type, SourcePath = raw, SourceFormat = VirtualDiskSourceFormat.Raw, Progress = new Sync(v => reported = v) }))
            Assert.That(h.VirtualSize, Is.EqualTo(Size));
        Assert.That(reported, Is.EqualTo(Size));
        var (rc, output) = QemuCompare(raw, "raw", target, QemuFormat(format));
        Assert.That(rc, Is.EqualTo(0), output);
        using (var h = VirtualDisk.Open(target))
        {
            Assert.That(VirtDisk.GetVirtualDiskInformation(h, GetVirtualDiskInfoVersion.Is4kAligned, out var aligned), Is.EqualTo(0u));
            Assert.That(aligned.Is4kAligned, Is.True, "block data on 4 KiB boundaries");
        }
        if (type == VirtualDiskCreateType.Dynamic)
        {
            // Four 64 KiB pieces in four different blocks: only those four blocks are allocated.
            long block = format == VirtualDiskFormat.Vhd ? 2 * MiB : 32 * MiB;
            long blocks = Pattern.Select(o => o / block).Distinct().Count();
            long overhead = format == VirtualDiskFormat.Vhd ? 4096 + 4096 : 4 * MiB;
            Assert.That(new FileInfo(target).Length, Is.LessThanOrEqualTo(overhead + blocks * (block + 4096)));
        }
    }

    [TestCaseSource(nameof(Targets))]
    public void FromQemuVhdx(VirtualDiskFormat format, VirtualDiskCreateType type)
    {
        Require("qemu-img");
        Require("qemu-io");
        string source = At("q.vhdx");
        Assert.That(Run("qemu-img", "create", "-f", "vhdx", source, Size.ToString()).ExitCode, Is.EqualTo(0));
        var (rc, output) = Run("qemu-io", "-f", "vhdx", "-c", "write -P 0x11 0 1M", "-c", "write -P 0x22 40M 512k", source);
        Assert.That(rc, Is.EqualTo(0), output);
        string target = At("t" + Ext(format));
        using (VirtualDisk.Create(target, new() { Format = format, Type = type, SourcePath = source })) { }
        (rc, output) = QemuCompare(source, "vhdx", target, QemuFormat(format));
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [Test]
    public void FromADifferencingChainFlattensIt()
    {
        var parentWriter = new VhdxWriter(Size, blockSize: 2 << 20).Fill(0, 65536, 0x01).Fill(10 * MiB, 65536, 0x02);
        string parent = At("p.vhdx");
        parentWriter.Save(parent);
        var childWriter = new VhdxWriter(Size, blockSize: 2 << 20)
        {
            Parent = new VhdxParentSpec(parentWriter.DataWriteGuid, @".\p.vhdx"),
        }.Fill(10 * MiB + 4096, 4096, 0x03).Fill(30 * MiB, 4096, 0x04);
        string child = At("c.vhdx");
        childWriter.Save(child);
        var model = new byte[Size];
        model.AsSpan(0, 65536).Fill(0x01);
        model.AsSpan((int)(10 * MiB), 65536).Fill(0x02);
        model.AsSpan((int)(10 * MiB + 4096), 4096).Fill(0x03);
        model.AsSpan((int)(30 * MiB), 4096).Fill(0x04);
        string raw = At("model.raw");
        File.WriteAllBytes(raw, model);

        string target = At("flat.vhd");
        using (var h = VirtualDisk.Create(target, new() { Format = VirtualDiskFormat.Vhd, SourcePath = child }))
        {
            Assert.That(h.Info.Chain, Has.Count.EqualTo(1));
            var bytes = new byte[Size];
            h.Read(0, bytes);
            Assert.That(bytes, Is.EqualTo(model));
        }
        var (rc, output) = QemuCompare(raw, "raw", target, "vpc");
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [Test]
    public void SparseSourceReadsAndWritesOnlyItsAllocation()
    {
        // A 64 GiB dynamic VHDX with 64 MiB of data in two places: the copy reads and writes about 64 MiB.
        string source = At("big.vhdx");
        using (VirtualDisk.Create(source, new() { Size = 64 * GiB })) { }
        Require("qemu-io");
        var (rc, output) = Run("qemu-io", "-f", "vhdx", "-c", "write -P 0x7e 1G 32M", "-c", "write -P 0x7f 60G 32M", source);
        Assert.That(rc, Is.EqualTo(0), output);
        string target = At("copy.vhdx");
        using (VirtualDisk.Create(target, new() { SourcePath = source })) { }
        Assert.That(CreateCore.LastBytesRead, Is.EqualTo(64 * MiB));
        Assert.That(CreateCore.LastBytesWritten, Is.LessThan(64 * MiB + 2 * MiB));
        Assert.That(new FileInfo(target).Length, Is.EqualTo(4 * MiB + 64 * MiB));
        (rc, output) = QemuCompare(source, "vhdx", target, "vhdx");
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [Test]
    public void FromAnIsoImage()
    {
        Require("xorriso");
        string content = At("iso-src");
        Directory.CreateDirectory(content);
        File.WriteAllBytes(Path.Combine(content, "data.bin"), Enumerable.Range(0, 3 << 20).Select(i => (byte)(i * 7)).ToArray());
        string iso = At("disc.iso");
        var (rc, output) = Run("xorriso", "-as", "mkisofs", "-quiet", "-V", "CREATE", "-o", iso, content);
        Assert.That(rc, Is.EqualTo(0), output);
        string target = At("from-iso.vhdx");
        using (var h = VirtualDisk.Create(target, new() { SourcePath = iso }))
            Assert.That(h.VirtualSize, Is.EqualTo(new FileInfo(iso).Length));
        (rc, output) = QemuCompare(iso, "raw", target, "vhdx");
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [Test]
    public void ZeroBlocksOfTheSourceStayUnallocated()
    {
        // qemu-io writes zeros into an allocated block: the copy sees allocated data, finds it all zero, and skips it.
        string source = At("z.vhdx");
        using (VirtualDisk.Create(source, new() { Size = Size })) { }
        Require("qemu-io");
        Assert.That(Run("qemu-io", "-f", "vhdx", "-c", "write -P 0 0 4M", source).ExitCode, Is.EqualTo(0));
        string target = At("t.vhdx");
        using (VirtualDisk.Create(target, new() { SourcePath = source })) { }
        Assert.That(new FileInfo(target).Length, Is.EqualTo(4 * MiB));
    }

    [Test]
    public void SizeLargerThanTheSourceAndSmallerIsRefused()
    {
        string raw = PatternRaw(Folder, "src.raw", 8 * MiB, 0);
        string bigger = At("bigger.vhdx");
        using (var h = VirtualDisk.Create(bigger, new() { Size = 16 * MiB, SourcePath = raw, SourceFormat = VirtualDiskSourceFormat.Raw }))
            Assert.That(h.VirtualSize, Is.EqualTo(16 * MiB));
        Assert.That(VirtualDisk.TryCreate(At("smaller.vhdx"), new() { Size = 4 * MiB, SourcePath = raw, SourceFormat = VirtualDiskSourceFormat.Raw }, out _, out VirtualDiskDiagnostic? f), Is.False);
        Assert.That(f!.Reason, Is.EqualTo(VirtualDiskErrorReason.CreateSourceLargerThanSize));
        Assert.That(f.Code, Is.EqualTo(VirtualDiskError.InvalidParameter));
        Assert.That(File.Exists(At("smaller.vhdx")), Is.False);
    }

    [Test]
    public void CancellationRemovesTheHalfMadeFile()
    {
        string raw = PatternRaw(Folder, "src.raw", Size, Pattern);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        string target = At("t.vhdx");
        Assert.That(VirtualDisk.TryCreate(target, new() { SourcePath = raw, SourceFormat = VirtualDiskSourceFormat.Raw, CancellationToken = cts.Token }, out _, out VirtualDiskDiagnostic? f), Is.False);
        Assert.That(f!.Code, Is.EqualTo(VirtualDiskError.OperationAborted));
        Assert.That(File.Exists(target), Is.False);
        Assert.That(TempLeftovers(Folder), Is.Empty);
    }

    [Test]
    public void ASourceFailingMidCopyLeavesNothing()
    {
        // An 80 GiB dynamic VHDX in 1 MiB blocks: its 640 KiB BAT is validated page by page when first used, so a bad
        // entry far into the disk is found during the copy, not at open (MS-VHDX §2.5: FileOffsetMB beyond the file).
        string source = At("bad.vhdx");
        using (VirtualDisk.Create(source, new() { Size = 80 * GiB, BlockSize = 1 << 20 })) { }
        long block = 80_000, index = block + block / 4096;
        using (var fs = new FileStream(source, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = 3 * MiB + index * 8;
            fs.Write(BitConverter.GetBytes(6UL | (1UL << 40)));
        }
        string target = At("t.vhdx");
        Assert.That(VirtualDisk.TryCreate(target, new() { SourcePath = source }, out _, out VirtualDiskDiagnostic? f), Is.False);
        Assert.That(f!.Reason, Is.EqualTo(VirtualDiskErrorReason.CreateSourceReadFailed), f.Message);
        Assert.That(f.Inner, Is.Not.Null);
        Assert.That(File.Exists(target), Is.False);
        Assert.That(TempLeftovers(Folder), Is.Empty);
    }

    [Test]
    public void AnUnreadableSourceFailsBeforeAnyFileIsMade()
    {
        string bogus = At("bogus.vhdx");
        File.WriteAllBytes(bogus, new byte[4 * MiB]);
        string target = At("t.vhdx");
        Assert.That(VirtualDisk.TryCreate(target, new() { SourcePath = bogus }, out _, out VirtualDiskDiagnostic? f), Is.False);
        Assert.That(f!.Reason, Is.EqualTo(VirtualDiskErrorReason.CreateSourceOpenFailed));
        Assert.That(f.Inner, Is.Not.Null);
        Assert.That(f.Code, Is.EqualTo(f.Inner!.Code));
        Assert.That(Directory.GetFiles(Folder), Is.EqualTo(new[] { bogus }));
    }

    private sealed class Sync(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
