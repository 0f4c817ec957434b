using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Resize of the shared corpus's images (Windows-, qemu- and other tool-made; skipped when the corpus is absent): each VHD
/// and VHDX grows by 64 MiB; its content afterwards starts with the bytes whose SHA-256 the manifest records from
/// independent readers and continues with zeros; qemu-img check passes for VHDX; differencing images are refused. The
/// Windows-made VHDX files grow by 96 MiB and shrink back to the end of their last partition, judged by qemu-img compare
/// against qemu's own export (after qemu replays a pending log) and qemu-img check.
/// </summary>
public sealed class ResizeCorpusTests : OperationsTestBase
{
    public static IEnumerable<TestCaseData> Images() => CorpusOperationsTests.Images();

    [TestCaseSource(nameof(Images))]
    public void GrowKeepsTheContent(string file, string sha256, bool pendingLog)
    {
        string source = Path.Combine(Folder, Path.GetFileName(file)[..^3]);
        File.Copy(TestPaths.Gunzip(Path.Combine(TestPaths.SharedCorpus!, file)), source);
        long oldSize;
        VirtualDiskProviderSubtype subtype;
        VirtualDiskFormat format;
        if (!VirtualDisk.TryOpen(source, null, out var disk, out VirtualDiskDiagnostic? openFailure)) Assert.Ignore($"does not open here alone: {openFailure}");
        int logical;
        using (disk) (oldSize, subtype, format, logical) = (disk!.VirtualSize, disk.Subtype, disk.Format, disk.LogicalSectorSize);
        long newSize = oldSize + (64L << 20);
        if (subtype == VirtualDiskProviderSubtype.Differencing)
        {
            Assert.That(VirtualDiskOperations.TryResize(source, newSize, out _, out var refused), Is.False);
            Assert.That(refused!.Reason, Is.EqualTo(VirtualDiskErrorReason.ResizeDifferencingNotSupported));
            return;
        }
        var result = VirtualDiskOperations.Resize(source, newSize, new ResizeOptions());
        Assert.That(result.Changes, Has.Some.Contains(pendingLog ? "replayed" : "Virtual size"));
        string raw = Path.Combine(Folder, "grown.raw");
        VirtualDiskOperations.Convert(source, raw);
        Assert.That(new FileInfo(raw).Length, Is.EqualTo(newSize));
        // The manifest's hash covers its reader's length (qemu may size a VHD by CHS): that prefix, then zeros only.
        using (var s = File.OpenRead(raw))
        {
            var buffer = new byte[1 << 20];
            bool matched = false;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long at = 0;
            bool zeroTail = true;
            int n;
            while ((n = s.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                at += n;
                if (at > oldSize) zeroTail &= !buffer.AsSpan((int)Math.Max(0, oldSize - (at - n)), (int)Math.Min(n, at - oldSize)).ContainsAnyExcept((byte)0);
                if (at == oldSize) matched = Convert.ToHexStringLower(hash.GetCurrentHash()) == sha256 || matched;
            }
            Assert.That(zeroTail, Is.True, "the grown part reads zeros");
            if (!matched) Assert.That(PrefixHash(raw, sha256, oldSize), Is.True, "the old content as independent readers give it");
        }
        if (format == VirtualDiskFormat.Vhdx && logical == 512 && TestPaths.HasTool("qemu-img")) // qemu 7.2 opens no 4096-byte-sector VHDX
            OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", source), "qemu-img check");
    }

    /// <summary>The Windows-made VHDX files of the corpus (creator "Microsoft Windows 10.0.x"; one with a pending log).</summary>
    public static IEnumerable<TestCaseData> WindowsImages()
    {
        if (TestPaths.SharedCorpus is null) yield break;
        foreach (string name in new[] { "btrfs", "vhdx-log-replay", "swap" })
        {
            string gz = Path.Combine(TestPaths.SharedCorpus, "real", "DiscUtils", name + ".vhdx.gz");
            if (File.Exists(gz)) yield return new TestCaseData(gz).SetName("{m}(" + name + ")");
        }
    }

    [TestCaseSource(nameof(WindowsImages))]
    public void WindowsMadeVhdxGrowsAndShrinksBack(string gz)
    {
        CreateTools.Require("qemu-img");
        string image = Path.Combine(Folder, "w.vhdx");
        File.Copy(TestPaths.Gunzip(gz), image);
        string reference = Path.Combine(Folder, "ref.vhdx");
        File.Copy(image, reference);
        // qemu's own content: a pending log is replayed by qemu-img check -r all (qemu refuses it read-only).
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-r", "all", "-f", "vhdx", reference), "qemu-img check -r all");
        long oldSize = QemuInfoSize(reference);
        long grown = oldSize + (96L << 20);
        VirtualDiskOperations.Resize(image, grown, new ResizeOptions());
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        Assert.That(QemuInfoSize(image), Is.EqualTo(grown));
        if (oldSize > (2L << 30)) return; // the 10 GiB swap disk: a full compare takes too long here
        string raw = OpsImages.QemuRaw(reference, "vhdx", Folder);
        var (rc, text) = CreateTools.QemuCompare(raw, "raw", image, "vhdx");
        Assert.That(rc, Is.EqualTo(0), "old content, then zeros: " + text);
        // Back down to the end of the last partition (the smallest safe size: no unsafe flag needed), content kept.
        long smallest;
        using (var disk = VirtualDisk.Open(image)) smallest = VirtualDiskOperations.ReadPartitions(disk).SmallestSafeVirtualSize;
        Assert.That(smallest, Is.LessThanOrEqualTo(oldSize));
        VirtualDiskOperations.Resize(image, smallest, new ResizeOptions());
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        using (var f = new FileStream(raw, FileMode.Open, FileAccess.Write)) f.SetLength(smallest);
        (rc, text) = CreateTools.QemuCompare(raw, "raw", image, "vhdx");
        Assert.That(rc, Is.EqualTo(0), "the content up to the smallest safe size: " + text);
    }

    private static long QemuInfoSize(string image) => CreateTools.QemuInfo(image, "vhdx").GetProperty("virtual-size").GetInt64();

    /// <summary>Whether some prefix of the file no longer than <paramref name="max"/> (a whole 512-byte sector count) has the hash (a reader sized by CHS).</summary>
    private static bool PrefixHash(string raw, string sha256, long max)
    {
        using var s = File.OpenRead(raw);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var sector = new byte[512];
        for (long at = 0; at < max; at += 512)
        {
            s.ReadExactly(sector);
            hash.AppendData(sector);
            if (at + 512 > max - (16L * 255 * 512) && Convert.ToHexStringLower(hash.GetCurrentHash()) == sha256) return true;
        }
        return false;
    }
}
