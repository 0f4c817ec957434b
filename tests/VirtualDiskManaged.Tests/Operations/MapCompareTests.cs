using System.Text.Json;
using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// VirtualDiskOperations.Map and Compare: the map of qemu-made VHDs equals qemu-img map --output=json; the data runs of
/// VHDX images (which qemu maps as all data) hold at their file offsets exactly the bytes qemu-img reads; a chain's
/// runs name the file and depth that hold them; a 64 TiB disk maps to a handful of runs. Compare agrees with
/// qemu-img compare on equal, different and differently sized images.
/// </summary>
public sealed class MapCompareTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    private static List<(long Start, long Length, bool Data, bool Zero)> Kinds(IReadOnlyList<AllocationMapEntry> map) => OpsImages.Kinds(map);

    private static void Contiguous(IReadOnlyList<AllocationMapEntry> map, long size) => OpsImages.AssertContiguous(map, size);

    [TestCase("dynamic")]
    [TestCase("fixed")]
    public void QemuVhdMapsAsQemuMapsIt(string subformat)
    {
        string image = OpsImages.Qemu(Folder, "vpc", subformat, 24 * MiB, "q.vhd");
        var map = VirtualDiskOperations.Map(image);
        Contiguous(map, 24 * MiB);
        if (subformat == "fixed")
        {
            // A fixed VHD is allocated everywhere (VHD spec "Fixed Hard Disk Image"): one data run at file offset 0.
            // (qemu-img additionally reports holes of a sparse host file as zero; the disk's own structure has none.)
            Assert.That(map, Has.Count.EqualTo(1));
            Assert.That((map[0].Data, map[0].FileOffset), Is.EqualTo((true, (long?)0)));
            Assert.That(OpsImages.QemuMap(image, "vpc").Where(r => r.Data).All(r => r.Start + r.Length <= 24 * MiB), Is.True);
            return;
        }
        Assert.That(Kinds(map), Is.EqualTo(OpsImages.QemuMap(image, "vpc")));
        // qemu's offsets too (same runs, offset of each data run).
        var (_, output) = CreateTools.Run("qemu-img", "map", "-f", "vpc", "--output=json", image);
        var qemuOffsets = JsonDocument.Parse(output).RootElement.EnumerateArray().Where(e => e.GetProperty("data").GetBoolean())
            .Select(e => (e.GetProperty("start").GetInt64(), e.GetProperty("offset").GetInt64())).ToList();
        foreach (var (start, offset) in qemuOffsets)
        {
            var mine = map.Single(e => e.Data && e.Start <= start && start < e.End);
            Assert.That(mine.FileOffset + (start - mine.Start), Is.EqualTo(offset), $"file offset of virtual {start}");
        }
    }

    /// <summary>Every data run's bytes at its file offset are what qemu-img reads there; every zero run reads as zeros in qemu.</summary>
    [Test]
    public void VhdxRunsHoldWhatQemuReads()
    {
        foreach (string image in new[] { OpsImages.Qemu(Folder, "vhdx", "dynamic", 24 * MiB, "q.vhdx"), OpsImages.SpecVhdx(Folder, 8 * MiB) })
        {
            string raw = OpsImages.QemuRaw(image, "vhdx", Folder);
            var content = File.ReadAllBytes(raw);
            var map = VirtualDiskOperations.Map(image);
            Contiguous(map, content.Length);
            using var file = File.OpenHandle(image);
            foreach (var e in map)
            {
                if (e.Data)
                {
                    var stored = new byte[e.Length];
                    RandomAccess.Read(file, stored, e.FileOffset!.Value);
                    Assert.That(stored.AsSpan().SequenceEqual(content.AsSpan((int)e.Start, (int)e.Length)), Is.True, $"data run at {e.Start}");
                }
                else Assert.That(content.AsSpan((int)e.Start, (int)e.Length).ContainsAnyExcept((byte)0), Is.False, $"zero run at {e.Start}");
            }
            if (image.EndsWith("spec.vhdx", StringComparison.Ordinal))
                Assert.That(map.Count(e => e.Data), Is.LessThan(map.Count), "the sparse image has zero runs");
        }
    }

    /// <summary>A chain: each run names the file holding it; reading each run from that file gives the mirror's bytes.</summary>
    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void ChainRunsNameTheirFile(VirtualDiskFormat format)
    {
        var (child, parent, mirror) = OpsImages.LibraryChain(Folder, format, 16 * MiB);
        var content = File.ReadAllBytes(mirror);
        var map = VirtualDiskOperations.Map(child);
        Contiguous(map, content.Length);
        Assert.That(map.Where(e => e.Data).Select(e => e.Depth).Distinct().Order(), Is.EqualTo(new[] { 0, 1 }));
        foreach (var e in map.Where(e => e.Data))
        {
            Assert.That(e.FilePath, Is.EqualTo(Path.GetFullPath(e.Depth == 0 ? child : parent)));
            using var file = File.OpenHandle(e.FilePath);
            var stored = new byte[e.Length];
            RandomAccess.Read(file, stored, e.FileOffset!.Value);
            // A VHD block's sectors not written in this file come from the parent: only compare runs of written data.
            Assert.That(stored.AsSpan().SequenceEqual(content.AsSpan((int)e.Start, (int)e.Length)), Is.True, $"run at {e.Start} depth {e.Depth}");
        }
        foreach (var e in map.Where(e => !e.Data))
            Assert.That(content.AsSpan((int)e.Start, (int)e.Length).ContainsAnyExcept((byte)0), Is.False, $"zero run at {e.Start}");
    }

    /// <summary>64 TiB with two blocks written: a few runs, from the block table alone.</summary>
    [Test]
    public void HugeDiskMapsToFewRuns()
    {
        string image = Path.Combine(Folder, "huge.vhdx");
        using (var disk = VirtualDisk.Create(image, new VirtualDiskCreateOptions { Size = 64L << 40, BlockSize = 256 * (uint)MiB }))
        {
            disk.Write(0, new byte[] { 1, 2, 3 });
            disk.Write((40L << 40) + 5, new byte[] { 4 });
            disk.Flush();
        }
        var map = VirtualDiskOperations.Map(image);
        Contiguous(map, 64L << 40);
        Assert.That(map.Select(e => (e.Data, e.Zero)), Is.EqualTo(new[] { (true, false), (false, true), (true, false), (false, true) }));
        Assert.That(map[2].Start, Is.EqualTo(40L << 40));
    }

    public static IEnumerable<TestCaseData> ComparePairs()
    {
        yield return new TestCaseData(-1L, 0L).SetName("{m}(Equal)");
        yield return new TestCaseData(5 * MiB + 1234, 0L).SetName("{m}(OneByteDiffers)");
        yield return new TestCaseData(-1L, 3 * MiB).SetName("{m}(LargerWithZeros)");
        yield return new TestCaseData(-1L, -3 * MiB).SetName("{m}(SmallerWithoutTheLastData)");
    }

    /// <summary>The same verdict and offset as qemu-img compare (raw copy of a qemu-made VHD, one byte changed, size changed).</summary>
    [TestCaseSource(nameof(ComparePairs))]
    public void CompareAgreesWithQemu(long flip, long grow)
    {
        string image = OpsImages.Qemu(Folder, "vpc", "dynamic", 24 * MiB, "q.vhd");
        string raw = OpsImages.QemuRaw(image, "vpc", Folder);
        using (var fs = new FileStream(raw, FileMode.Open))
        {
            if (flip >= 0) { fs.Position = flip; int b = fs.ReadByte(); fs.Position = flip; fs.WriteByte((byte)(b ^ 0x40)); }
            if (grow < 0)
            {
                // Cut only zeros off: the tail of the qemu image is zero except its last KiB pattern; move that data off by zeroing.
                fs.Position = fs.Length + grow; fs.Write(new byte[-grow]);
            }
            fs.SetLength(fs.Length + grow);
        }
        string other = Path.Combine(Folder, "other.vhdx");
        VirtualDiskOperations.Convert(raw, other, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw });
        var (qrc, qtext) = CreateTools.Run("qemu-img", "compare", "-f", "vpc", "-F", "vhdx", image, other);
        var result = VirtualDiskOperations.Compare(image, other);
        bool qemuEqual = qrc == 0;
        if (grow < 0)
        {
            // Zeroing the tail changed the last KiB pattern: both tools see the difference at the same place.
            Assert.That(qemuEqual, Is.False, qtext);
        }
        Assert.That(result.Identical, Is.EqualTo(qemuEqual), qtext);
        Assert.That(result.SizeMismatch, Is.EqualTo(qtext.Contains("size mismatch", StringComparison.OrdinalIgnoreCase)), qtext);
        if (!qemuEqual)
            Assert.That(qtext, Does.Contain($"Content mismatch at offset {result.FirstDifference}!"));

        var cli = CliRunner.Run("compare", image, other);
        Assert.That(cli.ExitCode, Is.EqualTo(qemuEqual ? 0 : 1), cli.ToString());
        Assert.That(cli.Stdout.Trim(), Is.EqualTo(qtext.Trim()), "the same lines as qemu-img compare");
    }

    /// <summary>A chain (which qemu cannot read as VHDX) against its flattened raw mirror.</summary>
    [Test]
    public void ChainEqualsItsMirror()
    {
        var (child, _, mirror) = OpsImages.LibraryChain(Folder, VirtualDiskFormat.Vhdx, 16 * MiB);
        string rawImage = Path.Combine(Folder, "mirror.vhdx");
        VirtualDiskOperations.Convert(mirror, rawImage, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw });
        Assert.That(VirtualDiskOperations.Compare(child, rawImage).Identical, Is.True);
        using (var c = VirtualDisk.Open(child, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo }))
            c.Write(7 * MiB + 513, new byte[] { 0xEE });
        var after = VirtualDiskOperations.Compare(child, rawImage);
        Assert.That(after.FirstDifference, Is.EqualTo(7 * MiB + 512));
    }

    /// <summary>An image compared with itself (two read-only handles to one file share it) and a map while a reader holds it.</summary>
    [Test]
    public void SameFileTwice()
    {
        string image = OpsImages.Qemu(Folder, "vpc", "dynamic", 16 * MiB, "same.vhd");
        Assert.That(VirtualDiskOperations.Compare(image, image).Identical, Is.True);
        using var reader = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) });
        Assert.That(VirtualDiskOperations.Map(image), Is.Not.Empty);
    }

    [Test]
    public void CliMapJson()
    {
        string image = OpsImages.Qemu(Folder, "vpc", "dynamic", 24 * MiB, "q.vhd");
        var run = CliRunner.Run("map", "--json", image);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var entries = run.Json().EnumerateArray().ToList();
        var (_, qemu) = CreateTools.Run("qemu-img", "map", "-f", "vpc", "--output=json", image);
        var q = JsonDocument.Parse(qemu).RootElement.EnumerateArray().ToList();
        Assert.That(entries, Has.Count.EqualTo(q.Count));
        for (int i = 0; i < q.Count; i++)
        {
            foreach (var field in new[] { "start", "length", "depth", "present", "zero", "data", "offset" })
                Assert.That(entries[i].TryGetProperty(field, out var mine) ? mine.ToString() : null,
                    Is.EqualTo(q[i].TryGetProperty(field, out var theirs) ? theirs.ToString() : null), $"entry {i} {field}");
            Assert.That(entries[i].GetProperty("file").GetString(), Is.EqualTo(Path.GetFullPath(image)));
        }
        var missing = CliRunner.Run("map", Path.Combine(Folder, "none.vhd"));
        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
    }
}
