using VirtualDiskManaged.Tests.Create;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// The copy engine under convert (docs/create.md "Copying a source"): pieces of at most 4 MiB inside a copy unit, read
/// ahead by one reader thread, holes of a sparse raw source skipped (and remembered) with SEEK_DATA, a block
/// allocated by its first non-zero piece with the pieces it lacks left as holes. Judged by qemu-img compare against
/// the raw source, qemu-img check, the file length the allocated blocks give (MS-VHDX §2.4, docs/create.md layout),
/// and qemu-img map for VHD outputs.
/// </summary>
public sealed class ConvertCopyTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;
    private const long Size = 320 * MiB;

    /// <summary>
    /// 64 KiB runs: inside a long hole, straddling a 4 MiB piece boundary, in the second-to-last 4 MiB piece of a
    /// 32 MiB block only (the block is allocated late), in two pieces of one block with a zero piece between them,
    /// after 200 MiB of hole, and in the last 64 KiB of the disk.
    /// </summary>
    private static readonly long[] Offsets =
    [
        5 * MiB + 4096,
        16 * MiB - 32 * 1024,
        88 * MiB + 4096, // 32 MiB block 2 (64–96 MiB), its piece 6 of 8 only
        96 * MiB + 512, 96 * MiB + 12 * MiB,
        300 * MiB,
        Size - 64 * 1024,
    ];

    private static long[] Blocks(long blockSize) => [.. Offsets.SelectMany(o => new[] { o / blockSize, (o + 64 * 1024 - 1) / blockSize }).Distinct().Order()];

    private string Source() => CreateTools.PatternRaw(Folder, "src.raw", Size, Offsets);

    [TestCase(ConvertFormat.Vhdx, ConvertType.Dynamic, "vhdx")]
    [TestCase(ConvertFormat.Vhd, ConvertType.Dynamic, "vpc")]
    [TestCase(ConvertFormat.Vhd, ConvertType.Fixed, "vpc")]
    [TestCase(ConvertFormat.Vhdx, ConvertType.Fixed, "vhdx")]
    public void SparseRawSource(ConvertFormat format, ConvertType type, string qemuFormat)
    {
        string source = Source();
        string output = Path.Combine(Folder, "out" + (format == ConvertFormat.Vhd ? ".vhd" : ".vhdx"));
        var result = VirtualDiskOperations.Convert(source, output, new ConvertOptions { Format = format, Type = type, SourceFormat = VirtualDiskSourceFormat.Raw });
        var (rc, text) = CreateTools.QemuCompare(source, "raw", output, qemuFormat);
        Assert.That(rc, Is.EqualTo(0), "qemu-img compare: " + text);
        if (format == ConvertFormat.Vhdx) OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", output), "qemu-img check");
        if (type != ConvertType.Dynamic) return;
        if (format == ConvertFormat.Vhdx)
        {
            // docs/create.md: payload from 4 MiB (disks up to 128 GiB in 32 MiB blocks), one 32 MiB block per block with data.
            Assert.That(result.FileSize, Is.EqualTo(4 * MiB + Blocks(32 * MiB).Length * 32 * MiB));
        }
        else
        {
            // qemu-img map of the VHD: data exactly in the 2 MiB blocks that hold a non-zero byte.
            var data = OpsImages.QemuMap(output, "vpc").Where(r => r.Data).Sum(r => r.Length);
            Assert.That(data, Is.EqualTo(Blocks(2 * MiB).Length * 2 * MiB));
        }
    }

    /// <summary>A dynamic VHDX source (a chain flattened) read piece by piece: the same content, judged by qemu-img.</summary>
    [Test]
    public void VhdxSourceToVhd()
    {
        CreateTools.Require("qemu-img");
        string source = Source();
        string vhdx = Path.Combine(Folder, "mid.vhdx");
        OpsImages.Check(CreateTools.Run("qemu-img", "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic", source, vhdx), "qemu-img convert");
        foreach (var type in new[] { ConvertType.Dynamic, ConvertType.Fixed })
        {
            string output = Path.Combine(Folder, $"out-{type}.vhd");
            VirtualDiskOperations.Convert(vhdx, output, new ConvertOptions { Type = type });
            var (rc, text) = CreateTools.QemuCompare(source, "raw", output, "vpc");
            Assert.That(rc, Is.EqualTo(0), $"{type}: qemu-img compare: {text}");
        }
    }

    private sealed class CancelAfter(CancellationTokenSource cts, int reports) : IProgress<ConvertProgress>
    {
        private int _seen;
        public void Report(ConvertProgress value)
        {
            if (++_seen == reports) cts.Cancel();
        }
    }

    /// <summary>Canceled while the reader is ahead of the writer: ConvertCanceled, nothing at OUT, no temporary file, the threads gone.</summary>
    [TestCase(ConvertFormat.Vhdx)]
    [TestCase(ConvertFormat.Vhd)]
    public void CanceledMidCopy(ConvertFormat format)
    {
        string source = Path.Combine(Folder, "full.raw");
        var bytes = new byte[64 * MiB];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(source, bytes);
        using var cts = new CancellationTokenSource();
        string output = Path.Combine(Folder, "c" + (format == ConvertFormat.Vhd ? ".vhd" : ".vhdx"));
        var options = new ConvertOptions { Format = format, SourceFormat = VirtualDiskSourceFormat.Raw, CancellationToken = cts.Token, Progress = new CancelAfter(cts, 3) };
        Assert.That(VirtualDiskOperations.TryConvert(source, output, options, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ConvertCanceled), failure.ToString());
        Assert.That(File.Exists(output), Is.False);
        Assert.That(Directory.GetFiles(Folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "full.raw" }), "no temporary file left");
        // The source is closed: it can be deleted and rewritten.
        File.Delete(source);
    }

    /// <summary>A source read that fails far into the copy (in the reader thread): ConvertReadFailed, nothing left.</summary>
    [Test]
    public void ASourceThatFailsMidCopyLeavesNothing()
    {
        // An 80 GiB dynamic VHDX in 1 MiB blocks, a bad BAT entry at block 80,000 (FileOffsetMB beyond the file,
        // MS-VHDX §2.5.1.1): found by the reader when it gets there, far into the copy.
        string source = Path.Combine(Folder, "bad.vhdx");
        using (var disk = VirtualDisk.Create(source, new VirtualDiskCreateOptions { Size = 80L << 30, BlockSize = (uint)MiB }))
        {
            disk.Write(0, new byte[] { 1 });
            disk.Flush();
        }
        long index = 80_000 + 80_000 / 4096;
        using (var fs = new FileStream(source, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = 3 * MiB + index * 8;
            fs.Write(BitConverter.GetBytes(6UL | (1UL << 40)));
        }
        string output = Path.Combine(Folder, "o.vhd");
        Assert.That(VirtualDiskOperations.TryConvert(source, output, new ConvertOptions { Type = ConvertType.Fixed }, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ConvertReadFailed), failure.ToString());
        Assert.That(File.Exists(output), Is.False);
        Assert.That(Directory.GetFiles(Folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "bad.vhdx" }));
    }
}
