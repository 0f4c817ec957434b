using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Merge into the shared corpus's images (Windows-, qemu- and other tool-made; nothing runs when the corpus is absent):
/// a library-made differencing child of each VHD and VHDX gets three writes — the first sector, 64 KiB in the middle, the
/// last sector — and is merged into it. Afterwards the target reads its old content (the bytes whose SHA-256 the
/// manifest records from independent readers) with exactly those writes; qemu-io finds each write's pattern where it
/// went and qemu-img check passes (VHDX), vhdiinfo opens the target. The Windows-made VHDX files (one with a pending log,
/// one of 10 GiB) are merged into the same way and judged by qemu alone.
/// </summary>
public sealed class MergeCorpusTests : OperationsTestBase
{
    public static IEnumerable<TestCaseData> Images() => CorpusOperationsTests.Images();

    public static IEnumerable<TestCaseData> WindowsImages() => ResizeCorpusTests.WindowsImages();

    private sealed record Write(long Offset, int Length, byte Pattern);

    [TestCaseSource(nameof(Images))]
    public void MergeIntoACorpusImage(string file, string sha256, bool pendingLog)
    {
        string target = Copy(Path.Combine(TestPaths.SharedCorpus!, file));
        if (pendingLog) VirtualDiskOperations.Repair(target);
        byte[] expected;
        VirtualDiskFormat format;
        using (var disk = VirtualDisk.Open(target))
        {
            expected = new byte[disk.VirtualSize];
            Assert.That(disk.Read(0, expected), Is.EqualTo(expected.Length));
            format = disk.Format;
        }
        if (expected.Length < 3 << 20)
        {
            // A child takes its parent's size, and no disk is made below 3 MiB (docs/create.md): nothing to merge.
            var refused = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Create(Path.Combine(Folder, "child" + Path.GetExtension(target)),
                new VirtualDiskCreateOptions { Format = format, Type = VirtualDiskCreateType.Differencing, ParentPath = target }));
            Assert.That(refused!.Reason, Is.EqualTo(VirtualDiskErrorReason.CreateSizeTooSmall));
            return;
        }
        var writes = MergeThreeWrites(target);
        foreach (var w in writes) expected.AsSpan((int)w.Offset, w.Length).Fill(w.Pattern);

        using (var disk = VirtualDisk.Open(target))
        {
            var after = new byte[disk.VirtualSize];
            Assert.That(disk.Read(0, after), Is.EqualTo(after.Length));
            Assert.That(after.AsSpan().SequenceEqual(expected), Is.True, "the old content with the child's writes, nothing else");
        }
        QemuFindsTheWrites(target, writes);
        Assert.That(CreateTools.VhdiInfo(target), Is.Not.Empty, "vhdiinfo opens the target");
    }

    [TestCaseSource(nameof(WindowsImages))]
    public void MergeIntoAWindowsMadeVhdx(string gz)
    {
        CreateTools.Require("qemu-img");
        string target = Copy(gz);
        // Merging writes the target, which replays a pending log first (as Windows does on a writable open).
        var writes = MergeThreeWrites(target);
        QemuFindsTheWrites(target, writes);
    }

    private string Copy(string gz)
    {
        string name = Path.GetFileName(gz)[..^3];
        string target = Path.Combine(Folder, "target" + Path.GetExtension(name));
        File.Copy(TestPaths.Gunzip(gz), target);
        return target;
    }

    /// <summary>Makes a differencing child of <paramref name="target"/>, writes three patterns through it, merges it.</summary>
    private List<Write> MergeThreeWrites(string target)
    {
        long size;
        int sector;
        VirtualDiskFormat format;
        using (var disk = VirtualDisk.Open(target)) (size, sector, format) = (disk.VirtualSize, disk.LogicalSectorSize, disk.Format);
        long middle = size / 2 / sector * sector;
        var writes = new List<Write> { new(0, sector, 0x5A), new(middle, 64 * 1024, 0xA7), new(size - sector, sector, 0x3C) };
        string child = Path.Combine(Folder, "child" + Path.GetExtension(target));
        using (var disk = VirtualDisk.Create(child, new VirtualDiskCreateOptions
        {
            Format = format,
            Type = VirtualDiskCreateType.Differencing,
            ParentPath = target,
        }))
        {
            foreach (var w in writes) disk.Write(w.Offset, Enumerable.Repeat(w.Pattern, w.Length).ToArray());
        }
        var result = VirtualDiskOperations.Merge(child);
        Assert.That(result.TargetPath, Is.EqualTo(Path.GetFullPath(target)));
        Assert.That(result.BytesCopied, Is.GreaterThanOrEqualTo(writes.Sum(w => (long)w.Length)));
        return writes;
    }

    /// <summary>qemu-io reads each write's pattern at its place in the target; qemu-img check passes for VHDX.</summary>
    private static void QemuFindsTheWrites(string target, List<Write> writes)
    {
        if (!TestPaths.HasTool("qemu-io")) return;
        bool vhdx = target.EndsWith(".vhdx", StringComparison.Ordinal);
        int sector;
        using (var disk = VirtualDisk.Open(target)) sector = disk.LogicalSectorSize;
        if (vhdx && sector != 512) return; // qemu 7.2 opens no VHDX with 4096-byte logical sectors
        long qemuSize = CreateTools.QemuInfo(target, vhdx ? "vhdx" : "vpc").GetProperty("virtual-size").GetInt64();
        foreach (var w in writes)
        {
            if (w.Offset + w.Length > qemuSize) continue; // qemu may size a VHD by its CHS geometry, below the footer's size
            var (_, output) = CreateTools.Run("qemu-io", "-f", vhdx ? "vhdx" : "vpc", "-r", "-c", $"read -P 0x{w.Pattern:x2} {w.Offset} {w.Length}", target);
            Assert.That(output, Does.Contain($"read {w.Length}/{w.Length} bytes at offset {w.Offset}").And.Not.Contain("Pattern verification failed"), output);
        }
        if (vhdx) OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", target), "qemu-img check");
    }
}
