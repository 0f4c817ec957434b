using VirtualDiskManaged.Host;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Write;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Crash cuts of compact (docs/operations.md "compact"): every write, length change and flush of the operation is
/// recorded; the file is rebuilt as it would stand after a crash just before each of them (a prefix of the calls:
/// a process killed with the page cache intact; and, for a power loss, what was flushed plus any subset of the
/// unflushed writes, some torn at 512-byte sectors) and must open with the original virtual content: every virtual
/// byte equal to the raw export made before the compact, read by this library and, for images qemu-img reads (not
/// differencing ones), by <c>qemu-img compare</c> (a cut with a pending VHDX log is replayed by <c>qemu-img check -r all</c> first).
/// </summary>
public sealed class CompactCrashTests : OperationsTestBase
{
    /// <summary>Random power-loss states per cut (flushed writes landed, each unflushed one landed, torn or lost).</summary>
    private const int PowerLossStates = 8;

    public static IEnumerable<TestCaseData> Kinds()
    {
        foreach (string kind in new[] { "VhdDynamic", "VhdxDynamic", "VhdDifferencing", "VhdxDifferencing", "QemuVhd", "QemuVhdx" })
            yield return new TestCaseData(kind).SetName("{m}(" + kind + ")");
    }

    /// <summary>
    /// The image and its expected content: this library's images with the raw mirror of their writes; qemu-made ones
    /// (qemu-io writes zeros first, then data, so the data moves down) with qemu-img's raw export.
    /// </summary>
    private (string Image, string Expected) Make(string kind)
    {
        switch (kind)
        {
            case "VhdDynamic": return CompactImages.Dynamic(Folder, VirtualDiskFormat.Vhd, "crash");
            case "VhdxDynamic": return CompactImages.Dynamic(Folder, VirtualDiskFormat.Vhdx, "crash");
            case "VhdDifferencing": { var (c, _, m) = CompactImages.Chain(Folder, VirtualDiskFormat.Vhd); return (c, m); }
            case "VhdxDifferencing": { var (c, _, m) = CompactImages.Chain(Folder, VirtualDiskFormat.Vhdx); return (c, m); }
        }
        CreateTools.Require("qemu-img");
        CreateTools.Require("qemu-io");
        bool vhd = kind == "QemuVhd";
        string format = vhd ? "vpc" : "vhdx";
        string image = Path.Combine(Folder, vhd ? "q.vhd" : "q.vhdx");
        OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", format, "-o", vhd ? "subformat=dynamic,force_size=on" : "subformat=dynamic,block_size=1M", image, (24 * OpsImages.MiB).ToString()), "qemu-img create");
        OpsImages.Check(CreateTools.Run("qemu-io", "-f", format, "-c", "write -P 0 0 4M", "-c", "write -P 0xa5 4M 1M", "-c", "write -P 0 8M 4M",
            "-c", "write -P 0x3c 14M 3M", "-c", "write -P 0x11 12345600 5000", "-c", "write -P 0x77 22M 1M", image), "qemu-io");
        return (image, OpsImages.QemuRaw(image, format, Folder));
    }

    [TestCaseSource(nameof(Kinds))]
    public void EveryCutOpensWithTheSameContent(string kind)
    {
        var (image, expectedPath) = Make(kind);
        bool differencing = kind.EndsWith("Differencing", StringComparison.Ordinal);
        string fmt = image.EndsWith(".vhd", StringComparison.Ordinal) ? "vpc" : "vhdx";
        byte[] expected = File.ReadAllBytes(expectedPath);
        Assert.That(CompactImages.ReadAll(image).SequenceEqual(expected), Is.True, "the image reads the mirror before the compact");
        byte[] original = File.ReadAllBytes(image);

        FaultInjectingStore? recorder = null;
        CompactResult? result;
        VirtualDiskDiagnostic? failure;
        VirtualDiskOperations.MoveBatchBlocksOverride = 2; // several batches of moves: more barriers and BAT commits to cut between
        try
        {
            Assert.That(VirtualDiskOperations.TryCompact(image, null, inner => recorder = new FaultInjectingStore(inner), out result, out failure), Is.True, $"{failure}");
        }
        finally { VirtualDiskOperations.MoveBatchBlocksOverride = 0; }
        Assert.That(result!.BlocksReleased, Is.GreaterThan(0));
        Assert.That(result.BlocksMoved, Is.GreaterThan(0), "the cuts cover moves");
        Assert.That(result.FileSizeAfter, Is.LessThan(result.FileSizeBefore), "the cuts cover the truncation");
        var ops = recorder!.Ops;
        Assert.That(ops.OfType<FaultInjectingStore.FlushOp>().Count(), Is.GreaterThanOrEqualTo(4));

        bool qemu = !differencing && TestPaths.HasTool("qemu-img");
        string ext = Path.GetExtension(image);
        var random = new Random(1234 + kind.Length * 7 + kind[0]);
        int checkedStates = 0;
        for (int cut = 0; cut <= ops.Count; cut++)
        {
            var states = new List<(string What, byte[] Bytes)> { ("prefix", FaultInjectingStore.Prefix(original, ops, cut)) };
            for (int k = 0; k < PowerLossStates; k++) states.Add(($"power loss {k}", FaultInjectingStore.Crash(original, ops, cut, random)));
            foreach (var (what, bytes) in states)
            {
                // In the image's folder: a differencing child finds its parent by its relative locator.
                string path = Path.Combine(Folder, "cut" + ext);
                File.WriteAllBytes(path, bytes);
                Assert.That(VirtualDisk.TryOpen(path, null, out var disk, out VirtualDiskDiagnostic? open), Is.True, $"cut {cut}/{ops.Count} ({what}): {open}");
                using (disk) Assert.That(CompactImages.ReadAll(disk!).SequenceEqual(expected), Is.True, $"cut {cut}/{ops.Count} ({what}): the content");
                if (qemu && what == "prefix")
                {
                    bool pending;
                    using (var d = VirtualDisk.Open(path, null)) pending = d.LogReplayed;
                    if (pending) OpsImages.Check(CreateTools.Run("qemu-img", "check", "-q", "-r", "all", "-f", fmt, path), $"cut {cut}: qemu-img check -r all (log replay)");
                    var (rc, text) = CreateTools.QemuCompare(expectedPath, "raw", path, fmt);
                    Assert.That(rc, Is.EqualTo(0), $"cut {cut}/{ops.Count} ({what}): qemu-img compare: {text}");
                }
                File.Delete(path);
                checkedStates++;
            }
        }
        Assert.That(checkedStates, Is.EqualTo((1 + PowerLossStates) * (ops.Count + 1)));
    }
}
