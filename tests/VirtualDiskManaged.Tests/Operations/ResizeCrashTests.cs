using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Write;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Crash cuts of every resize kind (the write tests' fault-injecting store, docs/write.md): the resize runs once with
/// every write, length change and flush journaled; then for every cut the file is rebuilt as a crash there could leave it
/// — the calls before the cut in order (a process kill), or everything before the last completed flush plus any subset
/// of the later writes, each possibly torn into its 512-byte sectors (a machine crash). Each rebuilt image must open and
/// have the old or the new virtual size; "content" is the virtual disk's bytes: with the old size all of the old content,
/// with the new size the old content below the smaller size and zeros in the grown part (a fixed VHD may, in the one
/// window the docs name, read the old footer's bytes in the sector at the old size). The expected content comes from qemu's
/// raw export (qemu-img convert) or the spec writer, never from this library. A re-run of the resize on the crashed file
/// (which first replays a pending log into the file) must reach the new size with the content kept.
/// </summary>
public sealed class ResizeCrashTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    public enum Kind { VhdFixedGrow, VhdDynamicGrowMovesBlocks, VhdDynamicGrowInPlace, VhdxDynamicGrow, VhdxBatRegionMoves, VhdxFixedGrow, VhdxShrink }

    private static IEnumerable<Kind> Kinds => Enum.GetValues<Kind>();

    private sealed record Setup(string Image, string Format, long OldSize, long NewSize, byte[] Content, bool Unsafe);

    private Setup Make(Kind kind)
    {
        string Raw(string image, string format) => OpsImages.QemuRaw(image, format, Folder);
        switch (kind)
        {
            case Kind.VhdFixedGrow:
            {
                string image = OpsImages.Qemu(Folder, "vpc", "fixed", 16 * MiB, "f.vhd");
                return new(image, "vpc", 16 * MiB, 24 * MiB, File.ReadAllBytes(Raw(image, "vpc")), false);
            }
            case Kind.VhdDynamicGrowMovesBlocks:
            case Kind.VhdDynamicGrowInPlace:
            {
                // 127 blocks of 512 KiB, the first right after the one-sector BAT (the spec writer's layout); 1000 blocks need 8 sectors.
                var w = VhdWriter.NewDynamic(127 * 512 * 1024, 512 * 1024).Fill(0, 4096, 0x5a).Fill(3 * MiB + 512, 2048, 0x6b).Fill(127 * 512 * 1024 - 512, 512, 0x7c);
                string image = Path.Combine(Folder, "d.vhd");
                File.WriteAllBytes(image, w.Build().Bytes);
                long newSize = kind == Kind.VhdDynamicGrowMovesBlocks ? 1000 * 512 * 1024 : 127 * 512 * 1024 + 3 * 512;
                return new(image, "vpc", 127 * 512 * 1024, newSize, w.ExpectedContent(), false);
            }
            case Kind.VhdxDynamicGrow:
            {
                string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * MiB + 4096, "g.vhdx");
                return new(image, "vhdx", 16 * MiB + 4096, 40 * MiB, File.ReadAllBytes(Raw(image, "vhdx")), false);
            }
            case Kind.VhdxBatRegionMoves:
            {
                string image = Path.Combine(Folder, "b.vhdx");
                OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", "vhdx", "-o", "subformat=dynamic,block_size=1M", image, (8 * MiB).ToString()), "qemu-img create");
                OpsImages.Check(CreateTools.Run("qemu-io", "-f", "vhdx", "-c", "write -P 0xa1 0 1M", "-c", $"write -P 0xb2 {7 * MiB + 512} 4096", image), "qemu-io");
                return new(image, "vhdx", 8 * MiB, 130L << 30, File.ReadAllBytes(Raw(image, "vhdx")), false);
            }
            case Kind.VhdxFixedGrow:
            {
                string image = Path.Combine(Folder, "fx.vhdx");
                OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", "vhdx", "-o", "subformat=fixed,block_state_zero=off,block_size=1M", image, (8 * MiB + 8192).ToString()), "qemu-img create");
                OpsImages.Check(CreateTools.Run("qemu-io", "-f", "vhdx", "-c", "write -P 0xa1 0 1M", "-c", $"write -P 0xb2 {8 * MiB} 8192", image), "qemu-io");
                return new(image, "vhdx", 8 * MiB + 8192, 20 * MiB, File.ReadAllBytes(Raw(image, "vhdx")), false);
            }
            default:
            {
                string image = Path.Combine(Folder, "s.vhdx");
                OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", "vhdx", "-o", "subformat=dynamic,block_size=1M", image, (24 * MiB).ToString()), "qemu-img create");
                OpsImages.Check(CreateTools.Run("qemu-io", "-f", "vhdx", "-c", "write -P 0xa1 0 1M", "-c", $"write -P 0xb2 {5 * MiB} 1M", "-c", $"write -P 0xc3 {20 * MiB} 2M", image), "qemu-io");
                return new(image, "vhdx", 24 * MiB, 6 * MiB, File.ReadAllBytes(Raw(image, "vhdx")), true);
            }
        }
    }

    [TestCaseSource(nameof(Kinds))]
    public void EveryCutOpensWithTheOldOrTheNewContent(Kind kind)
    {
        CreateTools.Require("qemu-img");
        CreateTools.Require("qemu-io");
        var s = Make(kind);
        byte[] original = File.ReadAllBytes(s.Image);
        FaultInjectingStore? store = null;
        Assert.That(VirtualDiskOperations.TryResizeCore(s.Image, s.NewSize, new ResizeOptions { AllowUnsafeShrink = s.Unsafe },
            inner => store = new FaultInjectingStore(inner), out var result, out var failure), Is.True, failure?.ToString());
        if (kind == Kind.VhdDynamicGrowMovesBlocks) Assert.That(result!.Changes, Has.Some.Contains("moved"));
        if (kind == Kind.VhdxBatRegionMoves) Assert.That(result!.Changes, Has.Some.Contains("BAT region moved"));
        if (kind == Kind.VhdxShrink) Assert.That(result!.Changes, Has.Some.Contains("truncated"));
        TestContext.Out.WriteLine($"{kind}: {store!.Count} journaled calls, {store.Ops.OfType<FaultInjectingStore.FlushOp>().Count()} flushes");
        var ops = store!.Ops;
        Assert.That(ops.OfType<FaultInjectingStore.FlushOp>().Count(), Is.GreaterThan(0));
        var random = new Random(1000 + (int)kind);
        string cutPath = Path.Combine(Folder, "cut" + Path.GetExtension(s.Image));
        int newSeen = 0, oldSeen = 0;
        for (int cut = 0; cut <= ops.Count; cut++)
        {
            for (int variant = 0; variant < 4; variant++)
            {
                byte[] bytes = variant == 0 ? FaultInjectingStore.Prefix(original, ops, cut) : FaultInjectingStore.Crash(original, ops, cut, random);
                File.WriteAllBytes(cutPath, bytes);
                long size = CheckImage(cutPath, s, $"{kind}, cut {cut} of {ops.Count}, variant {variant}", final: cut == ops.Count && variant == 0);
                if (size == s.NewSize) newSeen++; else oldSeen++;
                if (variant == 1 && cut % 3 == 1) Rerun(cutPath, s, $"{kind}, re-run after cut {cut}");
            }
        }
        Assert.That((oldSeen > 0, newSeen > 0), Is.EqualTo((true, true)), "cuts give both outcomes");
    }

    /// <summary>Opens the crashed file read-only; checks the size and the content; returns the size.</summary>
    private static long CheckImage(string path, Setup s, string what, bool final)
    {
        Assert.That(VirtualDisk.TryOpen(path, null, out var disk, out VirtualDiskDiagnostic? failure), Is.True, $"{what}: {failure}");
        using (disk)
        {
            long size = disk!.VirtualSize;
            Assert.That(size, Is.AnyOf(s.OldSize, s.NewSize), what);
            if (final) Assert.That(size, Is.EqualTo(s.NewSize), what + ": the whole journal gives the new size");
            // The old content below the smaller size (all of it when the size is still the old one).
            long keep = size == s.OldSize ? s.OldSize : Math.Min(s.OldSize, s.NewSize);
            var buffer = new byte[MiB];
            for (long at = 0; at < keep; at += buffer.Length)
            {
                int n = (int)Math.Min(buffer.Length, keep - at);
                disk.Read(at, buffer.AsSpan(0, n));
                if (!buffer.AsSpan(0, n).SequenceEqual(s.Content.AsSpan((int)at, n)))
                    Assert.Fail($"{what}: content differs in [{at}, {at + n})");
            }
            if (size == s.NewSize && s.NewSize > s.OldSize)
            {
                // The grown part reads zeros: its start (2 MiB) and its last MiB.
                foreach (long start in new[] { s.OldSize, Math.Max(s.OldSize, s.NewSize - MiB) })
                {
                    int n = (int)Math.Min(2 * MiB, s.NewSize - start);
                    var part = new byte[n];
                    disk.Read(start, part);
                    int from = 0;
                    if (start == s.OldSize && s.Format == "vpc" && s.Image.EndsWith("f.vhd", StringComparison.Ordinal) && !final && part.AsSpan(0, 8).SequenceEqual("conectix"u8))
                        from = 512; // the documented window: the old footer's sector before it is cleared
                    Assert.That(part.AsSpan(from).ContainsAnyExcept((byte)0), Is.False, $"{what}: the grown part at {start} reads zeros");
                }
            }
            return size;
        }
    }

    /// <summary>The resize run again on a crashed file (a pending log replayed first) reaches the new size, keeps the content, and qemu-img check passes.</summary>
    private static void Rerun(string path, Setup s, string what)
    {
        Assert.That(VirtualDiskOperations.TryResize(path, s.NewSize, new ResizeOptions { AllowUnsafeShrink = s.Unsafe }, out _, out var failure), Is.True, $"{what}: {failure}");
        // (A fixed VHD cut inside the documented window keeps the old footer's bytes at the old size: "already that size".)
        Assert.That(CheckImage(path, s, what, final: false), Is.EqualTo(s.NewSize), what);
        if (s.Format == "vhdx") OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", path), what + ": qemu-img check");
    }
}
