using System.Text.Json;
using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhd;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// VirtualDiskOperations.Repair: a pending VHDX log (testdata/vhdx-log, whose expected content is qemu's own replay) is
/// replayed into the file; VHD footers restored from each other, judged by vhdiinfo and qemu-img compare against the
/// undamaged image; refusals leave the file untouched; crash cuts leave an image that opens with the same content.
/// </summary>
public sealed class RepairTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    private static IEnumerable<(string File, string Sha256)> DirtyLogImages()
    {
        string expected = Path.Combine(TestPaths.TestData, "vhdx-log", "expected.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(expected));
        foreach (var image in doc.RootElement.GetProperty("images").EnumerateArray())
            yield return (image.GetProperty("file").GetString()!, image.GetProperty("raw_sha256_after_qemu_replay").GetString()!);
    }

    [Test]
    public void VhdxPendingLogIsReplayedIntoTheFile()
    {
        foreach (var (file, sha) in DirtyLogImages())
        {
            string path = Path.Combine(Folder, Path.GetFileName(file)[..^3]);
            File.Copy(TestPaths.TestDataImage(file), path);
            byte[] before = File.ReadAllBytes(path);

            var dry = VirtualDiskOperations.Repair(path, dryRun: true);
            Assert.That(dry.Repaired, Is.True);
            Assert.That(dry.Changes.Single().Description, Does.Contain("log"));
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(before), "a dry run writes nothing");

            var done = VirtualDiskOperations.Repair(path);
            Assert.That(done.Changes.Single().Description, Does.StartWith("Replayed"));
            using (var disk = VirtualDisk.Open(path))
            {
                Assert.That(disk.LogReplayed, Is.False, "the log is clean afterwards");
                Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(sha), "qemu's replay");
            }
            if (TestPaths.HasTool("qemu-img"))
            {
                // qemu-img refuses a pending log read-only; after the repair it opens and reads qemu's own replay.
                OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", path), "qemu-img check");
                string raw = OpsImages.QemuRaw(path, "vhdx", Folder);
                Assert.That(OpsImages.Sha256(raw), Is.EqualTo(sha));
            }
            Assert.That(VirtualDiskOperations.Repair(path).Repaired, Is.False, "nothing left to repair");
        }
    }

    /// <summary>
    /// A crash during the replay: the file data updates landed in any subset, the headers not (they are updated after
    /// the data is flushed, MS-VHDX §2.3.3): the image still opens, replays and reads qemu's replay.
    /// </summary>
    [Test]
    public void CrashDuringLogReplayOpensWithTheNewContent()
    {
        var (file, sha) = DirtyLogImages().First();
        string path = Path.Combine(Folder, "dirty.vhdx");
        File.Copy(TestPaths.TestDataImage(file), path);
        byte[] original = File.ReadAllBytes(path);
        VirtualDiskOperations.Repair(path);
        byte[] repaired = File.ReadAllBytes(path);
        var changed = new List<int>();
        for (int s = 0; s < Math.Max(original.Length, repaired.Length) / 4096; s++)
        {
            long at = s * 4096L;
            if (at is >= 64 * 1024 and < 192 * 1024) continue; // the two headers: old until the data is durable
            var a = at < original.Length ? original.AsSpan((int)at, (int)Math.Min(4096, original.Length - at)) : default;
            var b = at < repaired.Length ? repaired.AsSpan((int)at, (int)Math.Min(4096, repaired.Length - at)) : default;
            if (!a.SequenceEqual(b)) changed.Add(s);
        }
        Assert.That(changed, Is.Not.Empty);
        var random = new Random(18);
        for (int round = 0; round < 6; round++)
        {
            var crash = (byte[])original.Clone();
            if (repaired.Length > crash.Length && random.Next(2) == 0) Array.Resize(ref crash, repaired.Length);
            foreach (int s in changed)
            {
                if (random.Next(2) == 0) continue;
                long at = s * 4096L;
                if (at + 4096 > crash.Length) Array.Resize(ref crash, (int)Math.Min(repaired.Length, at + 4096));
                repaired.AsSpan((int)at, (int)Math.Min(4096, repaired.Length - at)).CopyTo(crash.AsSpan((int)at));
            }
            string cut = Path.Combine(Folder, $"cut{round}.vhdx");
            File.WriteAllBytes(cut, crash);
            using (var disk = VirtualDisk.Open(cut))
                Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(sha), $"round {round}");
            Assert.That(VirtualDiskOperations.Repair(cut).Repaired, Is.True, "the log is still pending");
            using (var disk = VirtualDisk.Open(cut))
                Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(sha), $"round {round} repaired");
        }
    }

    private (string Path, byte[] Pristine, string Reference) DynamicVhd(string name)
    {
        var image = VhdWriter.NewDynamic(6 * MiB, 512 * 1024).Fill(0, 4096, 0x5a).Fill(3 * MiB, 2048, 0x6b).Build();
        string path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, image.Bytes);
        string reference = Path.Combine(Folder, name + ".pristine.vhd");
        File.WriteAllBytes(reference, image.Bytes);
        return (path, image.Bytes, reference);
    }

    private static void JudgeRepaired(string path, byte[] pristine, string reference)
    {
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(pristine), "byte for byte the undamaged image");
        if (TestPaths.HasTool("vhdiinfo")) OpsImages.Check(CreateTools.Run("vhdiinfo", path), "vhdiinfo");
        if (TestPaths.HasTool("qemu-img")) Assert.That(CreateTools.QemuCompare(reference, "vpc", path, "vpc").ExitCode, Is.EqualTo(0));
        using var disk = VirtualDisk.Open(path, new VirtualDiskOpenOptions { Strict = true });
        Assert.That(disk.Warnings, Is.Empty);
    }

    [Test]
    public void DamagedTrailingFooterIsRestoredFromTheCopy()
    {
        var (path, pristine, reference) = DynamicVhd("d.vhd");
        var damaged = (byte[])pristine.Clone();
        damaged[^(512 - 70)] ^= 0xFF; // inside the unique id: the checksum no longer matches
        File.WriteAllBytes(path, damaged);
        var dry = VirtualDiskOperations.Repair(path, dryRun: true);
        Assert.That(dry.Changes.Single().Description, Does.StartWith("Restore the damaged trailing footer"));
        Assert.That(dry.Changes.Single().FileOffset, Is.EqualTo(pristine.Length - 512));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(damaged));
        var done = VirtualDiskOperations.Repair(path);
        Assert.That(done.Changes.Single().Description, Does.StartWith("Restored the damaged trailing footer"));
        JudgeRepaired(path, pristine, reference);
    }

    [Test]
    public void MissingTrailingFooterIsAppended()
    {
        var (path, pristine, reference) = DynamicVhd("m.vhd");
        File.WriteAllBytes(path, pristine.AsSpan(0, pristine.Length - 512).ToArray());
        Assert.That(VirtualDiskOperations.Repair(path).Changes.Single().Description, Does.StartWith("Appended the missing trailing footer"));
        JudgeRepaired(path, pristine, reference);
    }

    [Test]
    public void DamagedOrStaleCopyIsRestoredFromTheTrailingFooter()
    {
        var (path, pristine, reference) = DynamicVhd("c.vhd");
        var damaged = (byte[])pristine.Clone();
        damaged[70] ^= 0xFF;
        File.WriteAllBytes(path, damaged);
        Assert.That(VirtualDiskOperations.Repair(path).Changes.Single().Description, Does.StartWith("Restored the damaged footer copy at offset 0"));
        JudgeRepaired(path, pristine, reference);

        // Stale: a valid copy with another time stamp (checksum fixed up).
        var stale = (byte[])pristine.Clone();
        stale[24] ^= 0x01;
        VhdImage.Seal(stale.AsSpan(0, 512), 64);
        File.WriteAllBytes(path, stale);
        Assert.That(VirtualDiskOperations.Repair(path).Changes.Single().Description, Does.StartWith("Rewrote the stale footer copy"));
        JudgeRepaired(path, pristine, reference);
        Assert.That(VirtualDiskOperations.Repair(path).Repaired, Is.False);
    }

    [Test]
    public void RefusalsLeaveTheFileUntouched()
    {
        var (path, pristine, _) = DynamicVhd("r.vhd");
        var both = (byte[])pristine.Clone();
        both[70] ^= 0xFF;
        both[^(512 - 70)] ^= 0xFF;
        File.WriteAllBytes(path, both);
        Assert.That(VirtualDiskOperations.TryRepair(path, false, out _, out var f1), Is.False);
        Assert.That(f1!.Reason, Is.EqualTo(VirtualDiskErrorReason.RepairNoIntactFooter));
        Assert.That(f1.Code, Is.EqualTo(VirtualDiskError.VhdDriveFooterChecksumMismatch));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(both));

        // The copy says another size: which footer is right cannot be told.
        var sizes = (byte[])pristine.Clone();
        sizes[48 + 7] ^= 0x02;
        VhdImage.Seal(sizes.AsSpan(0, 512), 64);
        File.WriteAllBytes(path, sizes);
        Assert.That(VirtualDiskOperations.TryRepair(path, false, out _, out var f2), Is.False);
        Assert.That(f2!.Reason, Is.EqualTo(VirtualDiskErrorReason.RepairWouldLoseData));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(sizes));

        var cli = CliRunner.Run("repair", path);
        Assert.That(cli.ExitCode, Is.EqualTo(1), cli.ToString());
        Assert.That(cli.Stderr, Does.Contain("RepairWouldLoseData"));
    }

    /// <summary>A crash while the footer is written: the sector old, new, torn, or (appending) the file grown by zeros; each opens with the same content.</summary>
    [Test]
    public void CrashWhileWritingAFooterOpensWithTheSameContent()
    {
        var (path, pristine, _) = DynamicVhd("x.vhd");
        string expected;
        using (var disk = VirtualDisk.Open(path)) expected = TestPaths.ContentSha256(disk);
        var cuts = new List<byte[]>();
        // The trailing sector overwritten with garbage (no cookie), and torn: the new footer's first half over that garbage.
        var damagedTrailing = (byte[])pristine.Clone();
        damagedTrailing.AsSpan(damagedTrailing.Length - 512).Fill(0xEE);
        var torn = (byte[])damagedTrailing.Clone();
        pristine.AsSpan(pristine.Length - 512, 256).CopyTo(torn.AsSpan(torn.Length - 512));
        Assert.That(torn, Is.Not.EqualTo(pristine));
        cuts.Add(damagedTrailing);
        cuts.Add(torn);
        var truncated = pristine.AsSpan(0, pristine.Length - 512).ToArray();
        cuts.Add(truncated);
        cuts.Add([.. truncated, .. new byte[512]]);
        var tornAppend = (byte[])pristine.Clone();
        tornAppend.AsSpan(tornAppend.Length - 256).Clear();
        cuts.Add(tornAppend);
        var damagedCopy = (byte[])pristine.Clone();
        damagedCopy[70] ^= 0xFF;
        cuts.Add(damagedCopy);
        for (int i = 0; i < cuts.Count; i++)
        {
            string cut = Path.Combine(Folder, $"cut{i}.vhd");
            File.WriteAllBytes(cut, cuts[i]);
            using (var disk = VirtualDisk.Open(cut)) Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(expected), $"cut {i}");
            VirtualDiskOperations.Repair(cut);
            using (var disk = VirtualDisk.Open(cut, new VirtualDiskOpenOptions { Strict = true })) Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(expected), $"cut {i} repaired");
        }
    }

    [Test]
    public void CliDryRunAndNothingToRepair()
    {
        var (path, pristine, _) = DynamicVhd("cli.vhd");
        var run = CliRunner.Run("repair", path);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Stdout, Does.Contain("nothing to repair"));
        var damaged = (byte[])pristine.Clone();
        damaged[70] ^= 0xFF;
        File.WriteAllBytes(path, damaged);
        var dry = CliRunner.Run("repair", "--dry-run", path);
        Assert.That(dry.ExitCode, Is.EqualTo(0), dry.ToString());
        Assert.That(dry.Stdout, Does.Contain("would: Restore the damaged footer copy at offset 0"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(damaged));
    }
}
