using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// VirtualDiskOperations.Set judged by vhdiinfo (the VHD footer's identifier, the VHDX DataWriteGuid) and qemu-img
/// (check, compare: the content is unchanged); the VHDX metadata update through the log cut at every write leaves
/// the old or the new value.
/// </summary>
public sealed class SetTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    [TestCase("vpc", "dynamic")]
    [TestCase("vpc", "fixed")]
    public void VhdIdentifier(string format, string subformat)
    {
        string image = OpsImages.Qemu(Folder, format, subformat, 16 * MiB, "s.vhd");
        string raw = OpsImages.QemuRaw(image, "vpc", Folder);
        var id = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        var changes = VirtualDiskOperations.Set(image, new SetOptions { Identifier = id });
        Assert.That(changes.Single(), Does.Contain(id.ToString()));
        Assert.That(CreateTools.VhdiInfo(image)["Identifier"], Is.EqualTo(id.ToString()));
        Assert.That(CreateTools.QemuCompare(raw, "raw", image, "vpc").ExitCode, Is.EqualTo(0));
        Assert.That(VirtualDiskOperations.Repair(image).Repaired, Is.False, "both footers agree");
        using var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Strict = true });
        Assert.That(disk.Info.Top.Identifier, Is.EqualTo(id));
    }

    [Test]
    public void VhdxItemsAndIdentifier()
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * MiB, "s.vhdx");
        string raw = OpsImages.QemuRaw(image, "vhdx", Folder);
        var vid = Guid.Parse("11111111-2222-3333-4444-555555555555");
        var id = Guid.Parse("66666666-7777-8888-9999-aaaaaaaaaaaa");
        var changes = VirtualDiskOperations.Set(image, new SetOptions { VirtualDiskId = vid, PhysicalSectorSize = 512, Identifier = id });
        Assert.That(changes, Has.Count.EqualTo(3));
        // vhdiinfo shows a VHDX's DataWriteGuid as its identifier (MS-VHDX §2.2.2).
        Assert.That(CreateTools.VhdiInfo(image)["Identifier"], Is.EqualTo(id.ToString()));
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        Assert.That(CreateTools.QemuCompare(raw, "raw", image, "vhdx").ExitCode, Is.EqualTo(0));
        using var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Strict = true });
        Assert.That((disk.Info.Top.VirtualDiskId, disk.PhysicalSectorSize, disk.Info.Top.Identifier, disk.LogReplayed), Is.EqualTo(((Guid?)vid, 512, id, false)));
    }

    /// <summary>Every prefix of the set's writes (a process killed between calls) opens with the old or the new virtual disk id.</summary>
    [Test]
    public void VhdxCutsLeaveTheOldOrTheNewValue()
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * MiB, "c.vhdx");
        Guid old;
        using (var d = VirtualDisk.Open(image)) old = d.Info.Top.VirtualDiskId!.Value;
        byte[] before = File.ReadAllBytes(image);
        var vid = Guid.NewGuid();
        VirtualDiskOperations.Set(image, new SetOptions { VirtualDiskId = vid });
        byte[] after = File.ReadAllBytes(image);
        // The writes went to: the other header slot (64 or 128 KiB), the log, the metadata page, the header again.
        // Rebuild each 4 KiB-page prefix state: pages of 'after' landed in file order of the regions changed.
        var changed = Enumerable.Range(0, after.Length / 4096).Where(p => !before.AsSpan(p * 4096, 4096).SequenceEqual(after.AsSpan(p * 4096, 4096))).ToList();
        Assert.That(changed, Is.Not.Empty);
        var random = new Random(5);
        for (int round = 0; round < 16; round++)
        {
            var crash = (byte[])before.Clone();
            foreach (int p in changed) if (random.Next(2) == 0) after.AsSpan(p * 4096, 4096).CopyTo(crash.AsSpan(p * 4096));
            string cut = Path.Combine(Folder, $"cut{round}.vhdx");
            File.WriteAllBytes(cut, crash);
            if (!VirtualDisk.TryOpen(cut, null, out var disk, out VirtualDiskDiagnostic? failure))
            {
                // Only a state no crash can produce fails: the metadata page applied while its log entry and LogGuid are missing
                // is still consistent; a header page landing alone is a valid header update. Report anything else.
                Assert.Fail($"round {round}: {failure}");
            }
            using (disk) Assert.That(disk!.Info.Top.VirtualDiskId, Is.AnyOf((Guid?)old, (Guid?)vid), $"round {round}");
        }
    }

    [Test]
    public void RefusalsAndCli()
    {
        string image = OpsImages.Qemu(Folder, "vpc", "dynamic", 16 * MiB, "r.vhd");
        byte[] before = File.ReadAllBytes(image);
        Assert.That(VirtualDiskOperations.TrySet(image, new SetOptions { VirtualDiskId = Guid.NewGuid() }, out _, out var f1), Is.False);
        Assert.That(f1!.Reason, Is.EqualTo(VirtualDiskErrorReason.OperationNotSupported));
        Assert.That(VirtualDiskOperations.TrySet(image, new SetOptions { PhysicalSectorSize = 1024 }, out _, out var f2), Is.False);
        Assert.That(f2!.Reason, Is.EqualTo(VirtualDiskErrorReason.SetValueInvalid));
        Assert.That(File.ReadAllBytes(image), Is.EqualTo(before));

        string dirty = Path.Combine(Folder, "dirty.vhdx");
        File.Copy(TestPaths.TestDataImage("vhdx-log/pending-bat.vhdx.gz"), dirty);
        Assert.That(VirtualDiskOperations.TrySet(dirty, new SetOptions { VirtualDiskId = Guid.NewGuid() }, out _, out var f3), Is.False);
        Assert.That(f3!.Reason, Is.EqualTo(VirtualDiskErrorReason.SetPendingLog));

        var id = Guid.NewGuid();
        var run = CliRunner.Run("set", image, "--identifier", id.ToString());
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(CreateTools.VhdiInfo(image)["Identifier"], Is.EqualTo(id.ToString()));
        Assert.That(CliRunner.Run("set", image).ExitCode, Is.EqualTo(2));
        Assert.That(CliRunner.Run("set", image, "--identifier", "nope").ExitCode, Is.EqualTo(2));
    }
}
