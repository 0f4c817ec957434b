using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Growing a dynamic VHDX (the part of resize written so far), judged by qemu-img (info: the new virtual size; check;
/// compare with the old content, the new space zeros), writes beyond the old end read back, cuts of the update leave
/// the old or the new size, and what is not yet written is refused with the file untouched.
/// </summary>
public sealed class ResizeTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    [Test]
    public void GrowDynamicVhdx()
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * MiB, "g.vhdx");
        string raw = OpsImages.QemuRaw(image, "vhdx", Folder);
        Assert.That(VirtualDiskOperations.Resize(image, 40 * MiB), Does.Contain("-> " + 40 * MiB));
        Assert.That(CreateTools.QemuInfo(image, "vhdx").GetProperty("virtual-size").GetInt64(), Is.EqualTo(40 * MiB));
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        var (rc, text) = CreateTools.QemuCompare(raw, "raw", image, "vhdx");
        Assert.That(rc, Is.EqualTo(0), "old content, then zeros: " + text);
        using (var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo }))
        {
            Assert.That(disk.LogReplayed, Is.False);
            disk.Write(39 * MiB, new byte[] { 9, 8, 7 });
        }
        string after = OpsImages.QemuRaw(image, "vhdx", Folder + "/");
        var bytes = File.ReadAllBytes(after);
        Assert.That(bytes.AsSpan((int)(39 * MiB), 3).ToArray(), Is.EqualTo(new byte[] { 9, 8, 7 }), "qemu reads the write past the old end");
    }

    [Test]
    public void CutsLeaveTheOldOrTheNewSize()
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * MiB, "c.vhdx");
        byte[] before = File.ReadAllBytes(image);
        VirtualDiskOperations.Resize(image, 24 * MiB);
        byte[] after = File.ReadAllBytes(image);
        var changed = Enumerable.Range(0, Math.Min(before.Length, after.Length) / 4096).Where(p => !before.AsSpan(p * 4096, 4096).SequenceEqual(after.AsSpan(p * 4096, 4096))).ToList();
        Assert.That(changed, Is.Not.Empty);
        var random = new Random(9);
        for (int round = 0; round < 16; round++)
        {
            var crash = (byte[])before.Clone();
            foreach (int p in changed) if (random.Next(2) == 0) after.AsSpan(p * 4096, 4096).CopyTo(crash.AsSpan(p * 4096));
            string cut = Path.Combine(Folder, $"cut{round}.vhdx");
            File.WriteAllBytes(cut, crash);
            Assert.That(VirtualDisk.TryOpen(cut, null, out var disk, out VirtualDiskDiagnostic? failure), Is.True, $"round {round}: {failure}");
            using (disk) Assert.That(disk!.VirtualSize, Is.AnyOf(16 * MiB, 24 * MiB), $"round {round}");
        }
    }

    [Test]
    public void NotYetWrittenIsRefused()
    {
        string vhd = OpsImages.Qemu(Folder, "vpc", "dynamic", 16 * MiB, "r.vhd");
        string vhdx = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * MiB, "r.vhdx");
        byte[] a = File.ReadAllBytes(vhd), b = File.ReadAllBytes(vhdx);
        Assert.That(VirtualDiskOperations.TryResize(vhd, 32 * MiB, out _, out var f1), Is.False);
        Assert.That(f1!.Reason, Is.EqualTo(VirtualDiskErrorReason.OperationNotSupported));
        Assert.That(VirtualDiskOperations.TryResize(vhdx, 8 * MiB, out _, out var f2), Is.False);
        Assert.That(f2!.Detail, Does.Contain("Shrinking"));
        Assert.That(VirtualDiskOperations.TryResize(vhdx, 16 * MiB + 100, out _, out var f3), Is.False);
        Assert.That(f3!.Reason, Is.EqualTo(VirtualDiskErrorReason.SetValueInvalid));
        Assert.That((File.ReadAllBytes(vhd), File.ReadAllBytes(vhdx)), Is.EqualTo((a, b)));
        var run = CliRunner.Run("resize", vhdx, "--size", "20M");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(CreateTools.QemuInfo(vhdx, "vhdx").GetProperty("virtual-size").GetInt64(), Is.EqualTo(20 * MiB));
    }
}
