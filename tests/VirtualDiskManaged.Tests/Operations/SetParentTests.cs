using VirtualDiskManaged.Host;
using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Write;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// VirtualDiskOperations.SetParent: a chain whose parent was moved and renamed no longer opens (ParentNotFound); after
/// set-parent it opens again and reads what it read before — judged against a raw mirror of every write (library
/// chains) or qemu-img's reading of a qemu-made parent — and vhdiinfo shows the new parent name and identifier. A wrong
/// parent is refused (ERROR_VHD_CHILD_PARENT_ID_MISMATCH) and accepted with IgnoreIdMismatch; a crash at every write
/// and flush leaves a child that opens with its old locators (parent at the old place) or its new ones (parent at the
/// new place).
/// </summary>
public sealed class SetParentTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;
    private static readonly VirtualDiskOpenOptions ReadOnly = new() { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) };

    private static string Ext(VirtualDiskFormat f) => f == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx";

    /// <summary>A library chain in Folder/a with its raw mirror; the parent moved to Folder/b/renamed.ext.</summary>
    private (string Child, string OldParent, string NewParent, string Mirror) MovedChain(VirtualDiskFormat format, long size = 8 * MiB)
    {
        string a = Path.Combine(Folder, "a"), b = Path.Combine(Folder, "b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        var (child, parent, mirror) = OpsImages.LibraryChain(a, format, size);
        string moved = Path.Combine(b, "renamed" + Ext(format));
        File.Move(parent, moved);
        return (child, parent, moved, mirror);
    }

    private static void AssertContent(string child, string expectedRaw)
    {
        using var disk = VirtualDisk.Open(child, ReadOnly);
        byte[] expected = File.ReadAllBytes(expectedRaw);
        Assert.That(disk.VirtualSize, Is.EqualTo(expected.Length));
        var actual = new byte[expected.Length];
        disk.Read(0, actual);
        Assert.That(actual.AsSpan().SequenceEqual(expected), Is.True, $"{child} reads its expected content");
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void MovedParentRelinked(VirtualDiskFormat format)
    {
        var (child, _, parent, mirror) = MovedChain(format);
        Assert.That(VirtualDisk.TryOpen(child, ReadOnly, out _, out VirtualDiskDiagnostic? broken), Is.False);
        Assert.That(broken!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentNotFound));
        Assert.That(broken.Code, Is.EqualTo(VirtualDiskError.VhdParentVhdNotFound));

        var result = VirtualDiskOperations.SetParent(child, parent);
        Assert.That(result.RelativePath, Is.EqualTo(@"..\b\renamed" + Ext(format)));
        Assert.That(result.IdentifierUpdated, Is.False);
        AssertContent(child, mirror);
        byte[] once = File.ReadAllBytes(child);
        Assert.That(VirtualDiskOperations.SetParent(child, parent).Changes.Single(), Does.Contain("nothing changed"));
        Assert.That(File.ReadAllBytes(child), Is.EqualTo(once), "a second run writes nothing (the file does not grow)");
        using (var disk = VirtualDisk.Open(child, ReadOnly))
            Assert.That(disk.Info.Warnings.Select(w => w.Reason), Does.Not.Contain(VirtualDiskErrorReason.ParentTimestampMismatch));
        var info = CreateTools.VhdiInfo(child);
        Assert.That(info["Parent filename"], Is.EqualTo(Path.GetFullPath(parent)));
        Assert.That(info["Parent identifier"], Is.EqualTo(CreateTools.VhdiInfo(parent)["Identifier"]));
        if (format == VirtualDiskFormat.Vhdx)
        {
            // The parent is untouched and still passes qemu-img check (qemu opens no differencing VHDX).
            OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", parent), "qemu-img check");
        }
        else
        {
            // 7-Zip parses the rewritten dynamic header (it checks VHD checksums) and shows the relative locator; it then
            // fails to open the parent only because it does not turn the Windows separators into '/'.
            CreateTools.Require("7zz");
            var (_, z) = CreateTools.Run("7zz", "l", "-slt", child);
            Assert.That(z, Does.Contain("Type = VHD").And.Contain(@"Parent = ..\b\renamed.vhd (").And.Not.Contain("Headers Error"), z);
        }

        // A parent beside the child: 7-Zip (which turns no '\\' into '/') follows the relative locator and tests the chain.
        string beside = Path.Combine(Path.GetDirectoryName(child)!, "beside" + Ext(format));
        File.Copy(parent, beside);
        VirtualDiskOperations.SetParent(child, beside);
        AssertContent(child, mirror);
        CreateTools.Require("7zz");
        var (_, listing) = CreateTools.Run("7zz", "l", "-slt", child);
        Assert.That(listing, Does.Contain("Method = Differencing -> ").And.Contain("Parent = beside" + Ext(format)).And.Not.Contain("ERROR"), listing);
        var (rc7, test7) = CreateTools.Run("7zz", "t", child);
        Assert.That(rc7, Is.EqualTo(0), test7);
        VirtualDiskOperations.SetParent(child, parent);
        File.Delete(beside);

        // Moving the whole chain together keeps working through the relative locator written.
        string c = Path.Combine(Folder, "c");
        Directory.CreateDirectory(Path.Combine(c, "a"));
        Directory.CreateDirectory(Path.Combine(c, "b"));
        File.Move(child, Path.Combine(c, "a", Path.GetFileName(child)));
        File.Move(parent, Path.Combine(c, "b", Path.GetFileName(parent)));
        AssertContent(Path.Combine(c, "a", Path.GetFileName(child)), mirror);
    }

    /// <summary>A qemu-made dynamic VHD parent (content written by qemu-io, read by qemu-img convert) under a child made here.</summary>
    [Test]
    public void QemuParentVhd()
    {
        string a = Path.Combine(Folder, "a"), b = Path.Combine(Folder, "b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        string parent = OpsImages.Qemu(a, "vpc", "dynamic", 16 * MiB, "q.vhd");
        string raw = OpsImages.QemuRaw(parent, "vpc", Folder);
        string child = Path.Combine(a, "child.vhd");
        using (VirtualDisk.Create(child, new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhd, Type = VirtualDiskCreateType.Differencing, ParentPath = parent })) { }
        string moved = Path.Combine(b, "moved.vhd");
        File.Move(parent, moved);
        VirtualDiskOperations.SetParent(child, moved);
        AssertContent(child, raw);
        Assert.That(CreateTools.VhdiInfo(child)["Parent filename"], Is.EqualTo(moved));
        // The parent itself is unchanged: qemu-img still reads its content.
        Assert.That(CreateTools.QemuCompare(raw, "raw", moved, "vpc").ExitCode, Is.EqualTo(0));
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void WrongParentRefusedThenAcceptedWithIgnoreIdMismatch(VirtualDiskFormat format)
    {
        var (child, _, parent, _) = MovedChain(format);
        // Another disk of the same size: a copy of the parent with a new identifier (set by this library, judged by vhdiinfo).
        string other = Path.Combine(Folder, "other" + Ext(format));
        File.Copy(parent, other);
        var newId = Guid.Parse("0a0b0c0d-1111-2222-3333-444455556666");
        VirtualDiskOperations.Set(other, new SetOptions { Identifier = newId });
        Assert.That(CreateTools.VhdiInfo(other)["Identifier"], Is.EqualTo(newId.ToString()));

        byte[] before = File.ReadAllBytes(child);
        Assert.That(VirtualDiskOperations.TrySetParent(child, other, null, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.SetParentIdMismatch));
        Assert.That(failure.Code, Is.EqualTo(VirtualDiskError.VhdChildParentIdMismatch));
        Assert.That(File.ReadAllBytes(child), Is.EqualTo(before), "a refusal leaves the child as it was");

        var result = VirtualDiskOperations.SetParent(child, other, new SetParentOptions { IgnoreIdMismatch = true });
        Assert.That((result.IdentifierUpdated, result.ParentIdentifier), Is.EqualTo((true, newId)));
        Assert.That(CreateTools.VhdiInfo(child)["Parent identifier"], Is.EqualTo(newId.ToString()));
        using (var disk = VirtualDisk.Open(child, ReadOnly)) Assert.That(disk.Info.Top.ParentIdentifier, Is.EqualTo((Guid?)newId));
        // The original parent is now the wrong one.
        Assert.That(VirtualDiskOperations.TrySetParent(child, parent, null, out _, out var again), Is.False);
        Assert.That(again!.Reason, Is.EqualTo(VirtualDiskErrorReason.SetParentIdMismatch));
    }

    [Test]
    public void Refusals()
    {
        var (child, _, parent, _) = MovedChain(VirtualDiskFormat.Vhdx);
        byte[] before = File.ReadAllBytes(child);
        string dynamic = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * MiB, "dyn.vhdx");
        string small = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * MiB, "bigger.vhdx");
        string vhd = OpsImages.Qemu(Folder, "vpc", "dynamic", 16 * MiB, "d.vhd");
        VirtualDiskErrorReason Refusal(string c, string p)
        {
            Assert.That(VirtualDiskOperations.TrySetParent(c, p, new SetParentOptions { IgnoreIdMismatch = true }, out _, out var f), Is.False, p);
            return f!.Reason;
        }
        Assert.That(Refusal(dynamic, parent), Is.EqualTo(VirtualDiskErrorReason.SetParentNotDifferencing));
        Assert.That(Refusal(child, child), Is.EqualTo(VirtualDiskErrorReason.SetParentPathInvalid));
        Assert.That(Refusal(child, small), Is.EqualTo(VirtualDiskErrorReason.SetParentSizeMismatch));
        Assert.That(Refusal(child, Path.Combine(Folder, "nothing.vhdx")), Is.EqualTo(VirtualDiskErrorReason.SetParentOpenFailed));
        Assert.That(Refusal(child, ""), Is.EqualTo(VirtualDiskErrorReason.SetParentPathInvalid));
        Assert.That(Refusal(child, vhd), Is.EqualTo(VirtualDiskErrorReason.SetParentFormatMismatch));
        Assert.That(File.ReadAllBytes(child), Is.EqualTo(before));
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDiskOperations.SetParent(child, small));
        Assert.That(e!.Diagnostic.Code, Is.EqualTo(VirtualDiskError.VhdChildParentSizeMismatch));
    }

    /// <summary>
    /// Crash cuts: the set-parent's writes recorded; the file rebuilt as a crash just before every operation leaves it
    /// (every flushed write landed; of the unflushed ones, random subsets). Each state must open with the old locators
    /// (old parent in place) or the new ones (new parent in place) and read the mirror's content. VHD: writes land whole
    /// (the 1024-byte header is one write; a write torn inside it fails the header checksum — the documented window,
    /// checked separately); VHDX: writes are also torn into 512-byte sectors.
    /// </summary>
    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void CrashCutsLeaveTheOldOrTheNewLocators(VirtualDiskFormat format)
    {
        var (child, oldParent, newParent, mirror) = MovedChain(format);
        File.Copy(newParent, oldParent); // the parent at both places; each check hides one of them
        byte[] original = File.ReadAllBytes(child);
        byte[] expected = File.ReadAllBytes(mirror);
        FaultInjectingStore? recorder = null;
        VirtualDiskOperations.WrapStoreForTests = s => recorder = new FaultInjectingStore(s);
        try { VirtualDiskOperations.SetParent(child, newParent); }
        finally { VirtualDiskOperations.WrapStoreForTests = null; }
        var ops = recorder!.Ops;
        Assert.That(ops.OfType<FaultInjectingStore.FlushOp>().Count(), Is.GreaterThanOrEqualTo(3));

        var random = new Random(11);
        int oldOpens = 0, newOpens = 0, tornHeaders = 0;
        for (int cut = 0; cut <= ops.Count; cut++)
        {
            for (int round = 0; round < 8; round++)
            {
                bool tear = format == VirtualDiskFormat.Vhdx || round >= 6;
                byte[] state = round == 0 ? FaultInjectingStore.Prefix(original, ops, cut) : FaultInjectingStore.Crash(original, ops, cut, random, tearing: tear ? 0.3 : 0);
                File.WriteAllBytes(child, state);
                bool withOld = OpensWith(child, oldParent, newParent, expected, out var oldFailure);
                bool withNew = OpensWith(child, newParent, oldParent, expected, out var newFailure);
                if (withOld) oldOpens++;
                if (withNew) newOpens++;
                if (withOld || withNew) continue;
                // The one window: a VHD dynamic header write torn inside its 1024 bytes fails the header checksum.
                if (format == VirtualDiskFormat.Vhd && tear && oldFailure!.Root.Reason == VirtualDiskErrorReason.VhdDynamicHeaderChecksumMismatch) { tornHeaders++; continue; }
                Assert.Fail($"cut {cut}/{ops.Count} round {round}: neither old ({oldFailure}) nor new ({newFailure}) locators open");
            }
        }
        Assert.That(oldOpens, Is.GreaterThan(0));
        Assert.That(newOpens, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"{format}: {ops.Count} ops; opened with old {oldOpens}, new {newOpens}; torn VHD headers {tornHeaders}");
    }

    /// <summary>True when <paramref name="child"/> opens (and reads <paramref name="expected"/>) with only <paramref name="parent"/> present.</summary>
    private static bool OpensWith(string child, string parent, string hidden, byte[] expected, out VirtualDiskDiagnostic? failure)
    {
        string away = hidden + ".away";
        File.Move(hidden, away);
        try
        {
            if (!VirtualDisk.TryOpen(child, ReadOnly, out var disk, out failure)) return false;
            using (disk)
            {
                Assert.That(disk!.Info.Chain.Count, Is.EqualTo(2));
                var actual = new byte[expected.Length];
                disk.Read(0, actual);
                Assert.That(actual.AsSpan().SequenceEqual(expected), Is.True, "content through " + parent);
            }
            return true;
        }
        finally { File.Move(away, hidden); }
    }

    [Test]
    public void Cli()
    {
        var (child, _, parent, mirror) = MovedChain(VirtualDiskFormat.Vhdx);
        Assert.That(CliRunner.Run("set-parent", child).ExitCode, Is.EqualTo(2), "--parent is required");
        var wrong = CliRunner.Run("set-parent", child, "--parent", Path.Combine(Folder, "none.vhdx"));
        Assert.That(wrong.ExitCode, Is.EqualTo(1), wrong.ToString());
        Assert.That(wrong.Stderr, Does.Contain("SetParentOpenFailed"));
        var run = CliRunner.Run("set-parent", child, "--parent", parent, "--json");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var json = run.Json();
        Assert.That(json.GetProperty("ok").GetBoolean(), Is.True);
        Assert.That(json.GetProperty("relativePath").GetString(), Is.EqualTo(@"..\b\renamed.vhdx"));
        Assert.That(json.GetProperty("identifierUpdated").GetBoolean(), Is.False);
        AssertContent(child, mirror);
        var text = CliRunner.Run("set-parent", child, "--parent", parent, "--ignore-id-mismatch");
        Assert.That(text.ExitCode, Is.EqualTo(0), text.ToString());
        Assert.That(text.Stdout, Does.Contain("nothing changed"), "the second run finds the locators already right");
    }

    /// <summary>
    /// The Windows-made differencing VHD of the shared corpus (dfvfs fat-differential.vhd, parent absent, locators
    /// C:\...\fat-parent.vhd and .\fat-parent.vhd): re-pointed with IgnoreIdMismatch at a stand-in parent made by qemu-img,
    /// it opens as a two-file chain; vhdiinfo shows the new parent's name and identifier; 7-Zip parses the rewritten header.
    /// </summary>
    [Test]
    public void WindowsMadeChildRelinkedToAStandIn()
    {
        if (Support.TestPaths.SharedCorpus is not { } corpus) { Assert.Ignore("../shared/corpus is absent"); return; }
        string gz = Path.Combine(corpus, "real", "dfvfs", "fat-differential.vhd.gz");
        if (!File.Exists(gz)) Assert.Ignore("fat-differential.vhd is not in the corpus");
        string child = Path.Combine(Folder, "fat-differential.vhd");
        File.Copy(Support.TestPaths.Gunzip(gz), child);
        Assert.That(VirtualDisk.TryOpen(child, ReadOnly, out _, out VirtualDiskDiagnostic? broken), Is.False);
        Assert.That(broken!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentNotFound));
        CreateTools.Require("qemu-img");
        string standIn = Path.Combine(Folder, "stand-in.vhd");
        OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", standIn, "4194304"), "qemu-img create");

        Assert.That(VirtualDiskOperations.TrySetParent(child, standIn, null, out _, out var mismatch), Is.False);
        Assert.That(mismatch!.Code, Is.EqualTo(VirtualDiskError.VhdChildParentIdMismatch));
        var result = VirtualDiskOperations.SetParent(child, standIn, new SetParentOptions { IgnoreIdMismatch = true });
        Assert.That(result.RelativePath, Is.EqualTo(@".\stand-in.vhd"));
        using (var disk = VirtualDisk.Open(child, ReadOnly))
        {
            Assert.That(disk.Info.Chain.Count, Is.EqualTo(2));
            Assert.That(disk.Info.Top.ParentIdentifier, Is.EqualTo((Guid?)result.ParentIdentifier));
        }
        var info = CreateTools.VhdiInfo(child);
        Assert.That(info["Parent filename"], Is.EqualTo(standIn));
        Assert.That(info["Parent identifier"], Is.EqualTo(CreateTools.VhdiInfo(standIn)["Identifier"]));
        CreateTools.Require("7zz");
        var (_, z) = CreateTools.Run("7zz", "l", "-slt", child);
        // 7-Zip opens the chain through the new relative locator (it shows the name without ".\").
        Assert.That(z, Does.Contain("Type = VHD").And.Contain("Method = Differencing -> Dynamic").And.Contain("Parent = stand-in.vhd (").And.Not.Contain("Headers Error"), z);
    }

    /// <summary>
    /// Hostile input: children (and a VHDX with user items) with random bytes of their headers, region tables, metadata
    /// region, dynamic header and locators overwritten. The Try forms return a diagnostic or succeed; they never throw.
    /// </summary>
    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void DamagedFilesGetADiagnostic(VirtualDiskFormat format)
    {
        var (child, _, parent, _) = MovedChain(format);
        byte[] clean = File.ReadAllBytes(child);
        var random = new Random(17);
        string victim = Path.Combine(Folder, "victim" + Ext(format));
        int refused = 0, done = 0;
        for (int round = 0; round < 60; round++)
        {
            byte[] bytes = (byte[])clean.Clone();
            // VHD: footer copy, dynamic header, W2ku area, BAT; VHDX: headers, region tables, metadata region.
            long span = format == VirtualDiskFormat.Vhd ? 8192 : 3 * MiB;
            for (int i = 0; i < 1 + random.Next(8); i++)
            {
                long at = random.NextInt64(Math.Min(span, bytes.Length));
                bytes[at] = (byte)random.Next(256);
            }
            File.WriteAllBytes(victim, bytes);
            bool ok = false;
            Assert.DoesNotThrow(() => ok = VirtualDiskOperations.TrySetParent(victim, parent, new SetParentOptions { IgnoreIdMismatch = round % 2 == 0 }, out _, out _), $"round {round}");
            Assert.DoesNotThrow(() => VirtualDiskOperations.TrySetMetadata(victim, Guid.NewGuid(), "x"u8, out _), $"round {round}");
            Assert.DoesNotThrow(() => VirtualDiskOperations.TryDeleteMetadata(victim, Guid.NewGuid(), out _), $"round {round}");
            if (ok) done++; else refused++;
        }
        TestContext.Out.WriteLine($"{format}: {done} re-pointed, {refused} refused");
        Assert.That(refused + done, Is.EqualTo(60));
    }

    /// <summary>PARENT_PATH_WITH_DEPTH: base ← mid ← leaf with base moved; depth 2 re-points mid, and the leaf opens as a three-file chain.</summary>
    [Test]
    public void DepthTwoRepointsTheMiddleFile()
    {
        var (mid, oldBase, newBase, mirror) = MovedChain(VirtualDiskFormat.Vhdx);
        // The leaf is made while the base is in place (Create opens the whole chain), then the base moves.
        File.Move(newBase, oldBase);
        string leaf = Path.Combine(Path.GetDirectoryName(mid)!, "leaf.vhdx");
        using (VirtualDisk.Create(leaf, new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhdx, Type = VirtualDiskCreateType.Differencing, ParentPath = mid })) { }
        File.Move(oldBase, newBase);
        Assert.That(VirtualDisk.TryOpen(leaf, ReadOnly, out _, out VirtualDiskDiagnostic? broken), Is.False, "the base is gone from the mid file's locators");
        Assert.That(VirtualDiskOperations.TrySetParent(leaf, newBase, new SetParentOptions { ChildDepth = 4 }, out _, out var tooDeep), Is.False);
        Assert.That(tooDeep!.Reason, Is.EqualTo(VirtualDiskErrorReason.SetParentOpenFailed), "depth 3 (the base) cannot be reached: its locators fail");
        var result = VirtualDiskOperations.SetParent(leaf, newBase, new SetParentOptions { ChildDepth = 2 });
        Assert.That(result.ChildPath, Is.EqualTo(Path.GetFullPath(mid)));
        using (var disk = VirtualDisk.Open(leaf, ReadOnly)) Assert.That(disk.Info.Chain.Count, Is.EqualTo(3));
        AssertContent(leaf, mirror);
        var run = CliRunner.Run("set-parent", leaf, "--parent", newBase, "--depth", "2");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(CliRunner.Run("set-parent", leaf, "--parent", newBase, "--depth", "0").ExitCode, Is.EqualTo(2));
    }

    /// <summary>
    /// After set-parent (VHD: locator data and the footer moved to the end) the write path still allocates: new blocks
    /// go where the moved footer is, and the chain reads the mirror with the new writes over it.
    /// </summary>
    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void WritesAfterSetParent(VirtualDiskFormat format)
    {
        var (child, _, parent, mirror) = MovedChain(format);
        VirtualDiskOperations.SetParent(child, parent);
        byte[] expected = File.ReadAllBytes(mirror);
        var random = new Random(23);
        using (var disk = VirtualDisk.Open(child, WriteImages.ReadWrite))
        {
            for (int i = 0; i < 4; i++)
            {
                var data = new byte[65536];
                random.NextBytes(data);
                long offset = random.NextInt64(expected.Length - data.Length) / 512 * 512;
                disk.Write(offset, data);
                data.CopyTo(expected, offset);
            }
            disk.Flush();
        }
        string raw = Path.Combine(Folder, "expected.raw");
        File.WriteAllBytes(raw, expected);
        AssertContent(child, raw);
        Assert.That(CreateTools.VhdiInfo(child)["Parent filename"], Is.EqualTo(Path.GetFullPath(parent)));
    }
}
