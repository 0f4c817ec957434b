using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Write;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Merge (MergeVirtualDisk version 1, docs/operations.md "merge"). The chains: a base made by qemu-img with data written
/// by qemu-io (its content as qemu-img reads it, exported to raw), differencing files above it made by this library
/// (qemu-img 7.2 makes neither differencing VHD nor VHDX) with known writes — zeros over the base's data included — so
/// the expected content of each file of the chain is the base's raw export with those writes laid over it. After the
/// merge qemu-img reads the target and must find the child's content (<c>qemu-img compare</c>), <c>qemu-img check</c>
/// passes on VHDX targets, vhdiinfo opens the target, and the child and intermediate files are byte-identical.
/// </summary>
public sealed class MergeTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;
    private const long Size = 16 * MiB;

    /// <summary>Sampled cuts per crash test (soak: VDM_MERGE_CUTS=n; every cut when the merge has fewer operations).</summary>
    private static int MaxCuts => int.TryParse(Environment.GetEnvironmentVariable("VDM_MERGE_CUTS"), out int n) && n > 1 ? n : 100;

    /// <summary>The chain, base last, and the virtual content each file of it reads (index 0 the child).</summary>
    private sealed record Chain(string[] Files, byte[][] Content, string QemuFormat);

    /// <summary>A base by qemu-img/qemu-io and <paramref name="children"/> library-made differencing files with known writes.</summary>
    private Chain MakeChain(string qemuFormat, int children, int seed = 11, string subformat = "dynamic")
    {
        string ext = qemuFormat == "vpc" ? ".vhd" : ".vhdx";
        string basePath = OpsImages.Qemu(Folder, qemuFormat, subformat, Size, "base" + ext);
        byte[] content = File.ReadAllBytes(OpsImages.QemuRaw(basePath, qemuFormat, Folder));
        var files = new List<string> { basePath };
        var contents = new List<byte[]> { content };
        var random = new Random(seed);
        for (int level = 1; level <= children; level++)
        {
            string path = Path.Combine(Folder, $"level{level}{ext}");
            content = (byte[])content.Clone();
            using (var disk = VirtualDisk.Create(path, new VirtualDiskCreateOptions
            {
                Format = qemuFormat == "vpc" ? VirtualDiskFormat.Vhd : VirtualDiskFormat.Vhdx,
                Type = VirtualDiskCreateType.Differencing,
                ParentPath = files[^1],
            }))
            {
                // Zeros over the base's 0xa5 data (they must override it), then data of mixed sizes and alignments.
                var writes = new List<(long Offset, byte[] Data)> { (level * MiB + 512 * level, new byte[64 * 1024 + 512 * level]) };
                for (int i = 0; i < 6; i++)
                {
                    var data = new byte[random.Next(1, 600) * 512];
                    random.NextBytes(data);
                    writes.Add((random.NextInt64((Size - data.Length) / 512) * 512, data));
                }
                writes.Add((Size - 512, Enumerable.Repeat((byte)(0x70 + level), 512).ToArray()));
                foreach (var (offset, data) in writes)
                {
                    disk.Write(offset, data);
                    data.CopyTo(content, offset);
                }
            }
            files.Add(path);
            contents.Add(content);
        }
        files.Reverse();
        contents.Reverse();
        return new([.. files], [.. contents], qemuFormat);
    }

    private static string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>qemu-img reads the target and must find <paramref name="expected"/>.</summary>
    private void AssertQemuReads(string image, string format, byte[] expected)
    {
        string raw = Path.Combine(Folder, "expected-" + Guid.NewGuid().ToString("N")[..6] + ".raw");
        File.WriteAllBytes(raw, expected);
        var (rc, text) = CreateTools.QemuCompare(image, format, raw, "raw");
        Assert.That(rc, Is.EqualTo(0), "qemu-img compare target vs the child's pre-merge content: " + text);
        File.Delete(raw);
    }

    private static byte[] ReadAll(string path)
    {
        using var disk = VirtualDisk.Open(path);
        var all = new byte[disk.VirtualSize];
        Assert.That(disk.Read(0, all), Is.EqualTo(all.Length));
        return all;
    }

    [TestCase("vpc", "dynamic")]
    [TestCase("vhdx", "dynamic")]
    [TestCase("vpc", "fixed")]
    [TestCase("vhdx", "fixed")]
    public void MergeIntoTheParent(string format, string subformat)
    {
        var chain = MakeChain(format, 1, subformat: subformat);
        string childSha = Sha(chain.Files[0]);
        var result = VirtualDiskOperations.Merge(chain.Files[0]);
        Assert.That(result.TargetPath, Is.EqualTo(Path.GetFullPath(chain.Files[1])));
        Assert.That(result.Depth, Is.EqualTo(1));
        Assert.That(result.SourcePaths, Is.EqualTo(new[] { Path.GetFullPath(chain.Files[0]) }));
        Assert.That(result.BytesCopied, Is.GreaterThan(0));
        AssertQemuReads(chain.Files[1], format, chain.Content[0]);
        if (format == "vhdx") OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", chain.Files[1]), "qemu-img check");
        Assert.That(CreateTools.VhdiInfo(chain.Files[1]), Is.Not.Empty, "vhdiinfo opens the target");
        Assert.That(Sha(chain.Files[0]), Is.EqualTo(childSha), "the child is not written");
        if (format == "vpc")
            // A VHD parent keeps its Unique Id, so the child chain still opens and reads what it read before.
            Assert.That(ReadAll(chain.Files[0]).AsSpan().SequenceEqual(chain.Content[0]), Is.True, "the child chain reads the same content");
        // A second merge changes nothing the child chain reads (Windows: an interrupted merge can be re-run).
        if (format == "vpc")
        {
            VirtualDiskOperations.Merge(chain.Files[0]);
            AssertQemuReads(chain.Files[1], format, chain.Content[0]);
        }
    }

    [TestCase("vpc")]
    [TestCase("vhdx")]
    public void DepthTwoOverAThreeFileChain(string format)
    {
        var chain = MakeChain(format, 2);
        string childSha = Sha(chain.Files[0]), midSha = Sha(chain.Files[1]);
        var result = VirtualDiskOperations.Merge(chain.Files[0], new MergeOptions { Depth = 2 });
        Assert.That(result.TargetPath, Is.EqualTo(Path.GetFullPath(chain.Files[2])));
        Assert.That(result.SourcePaths, Is.EqualTo(new[] { Path.GetFullPath(chain.Files[0]), Path.GetFullPath(chain.Files[1]) }));
        AssertQemuReads(chain.Files[2], format, chain.Content[0]);
        if (format == "vhdx") OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", chain.Files[2]), "qemu-img check");
        Assert.That(Sha(chain.Files[0]), Is.EqualTo(childSha));
        Assert.That(Sha(chain.Files[1]), Is.EqualTo(midSha));
    }

    [TestCase("vpc")]
    [TestCase("vhdx")]
    public void DepthOneOfAThreeFileChainWritesTheMiddleFile(string format)
    {
        var chain = MakeChain(format, 2);
        string baseSha = Sha(chain.Files[2]);
        var result = VirtualDiskOperations.Merge(chain.Files[0], new MergeOptions { Depth = 1 });
        Assert.That(result.TargetPath, Is.EqualTo(Path.GetFullPath(chain.Files[1])));
        Assert.That(Sha(chain.Files[2]), Is.EqualTo(baseSha), "the base is not written");
        // The middle file's own link to the base is unchanged (only the child's link to it is affected by a new
        // DataWriteGuid): its chain now reads what the child read (qemu-img cannot read differencing files).
        Assert.That(ReadAll(chain.Files[1]).AsSpan().SequenceEqual(chain.Content[0]), Is.True);
    }

    /// <summary>
    /// Zeros the child holds are written where the target has data (they override it) and not written where the target
    /// is unallocated (no block allocated; qemu-img map of the target still reports no data there).
    /// </summary>
    [TestCase("vpc")]
    [TestCase("vhdx")]
    public void ZerosOverrideDataButAllocateNothingOverHoles(string format)
    {
        string ext = format == "vpc" ? ".vhd" : ".vhdx";
        CreateTools.Require("qemu-img");
        CreateTools.Require("qemu-io");
        string basePath = Path.Combine(Folder, "zbase" + ext);
        OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", format, "-o", format == "vpc" ? "subformat=dynamic,force_size=on" : "subformat=dynamic,block_size=1M",
            basePath, Size.ToString()), "qemu-img create");
        OpsImages.Check(CreateTools.Run("qemu-io", "-f", format, "-c", "write -P 0xa5 1048576 3145728", basePath), "qemu-io");
        byte[] expected = File.ReadAllBytes(OpsImages.QemuRaw(basePath, format, Folder));
        string child = Path.Combine(Folder, "zchild" + ext);
        // The base holds 0xa5 at 1–4 MiB and nothing at 4–8 MiB (VHD blocks of 2 MiB, VHDX blocks of 1 MiB).
        var writes = new (long Offset, byte[] Data)[] { (MiB, new byte[256 * 1024]), (4 * MiB, new byte[2 * MiB]), (6 * MiB + 4096, new byte[] { 1, 2, 3, 4 }.Concat(new byte[508]).ToArray()) };
        using (var disk = VirtualDisk.Create(child, new VirtualDiskCreateOptions
        {
            Format = format == "vpc" ? VirtualDiskFormat.Vhd : VirtualDiskFormat.Vhdx,
            Type = VirtualDiskCreateType.Differencing,
            ParentPath = basePath,
        }))
            foreach (var (offset, data) in writes) { disk.Write(offset, data); data.CopyTo(expected, offset); }
        long fileBefore = new FileInfo(basePath).Length;
        var result = VirtualDiskOperations.Merge(child);
        AssertQemuReads(basePath, format, expected);
        Assert.That(result.BytesNotWritten, Is.GreaterThanOrEqualTo(MiB), result.ToString());
        // qemu-img map (VHD: block status per block) reports 4–6 MiB as no data; for VHDX (qemu 7.2 maps all as data) the file growth tells.
        if (format == "vpc")
        {
            var (rc, json) = CreateTools.Run("qemu-img", "map", "-f", "vpc", "--output=json", basePath);
            Assert.That(rc, Is.EqualTo(0), json);
            foreach (var e in System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateArray())
            {
                long start = e.GetProperty("start").GetInt64(), end = start + e.GetProperty("length").GetInt64();
                if (e.GetProperty("data").GetBoolean() && start < 6 * MiB && end > 4 * MiB) Assert.Fail($"qemu-img map: data at {start}..{end}: {json}");
            }
        }
        // At most the one block with the non-zero sector (6 MiB, with its bitmap and metadata) was added, not the 2 MiB of zeros.
        Assert.That(new FileInfo(basePath).Length - fileBefore, Is.LessThan(3 * MiB), "zeros over holes allocate nothing");
    }

    /// <summary>
    /// A chain from the tests' VHDX writer (MS-VHDX, not this library): the child holds a PARTIALLY_PRESENT block (sector
    /// bitmap), a FULLY_PRESENT block and a ZERO block over the parent's data (MS-VHDX §2.5.1.1: it reads zeros, so the
    /// merge writes zeros there). Either file may have a pending log (its BAT only in the log, the file's BAT stale):
    /// the child's is read through the in-memory replay (the child file stays as it was), the target's is replayed into
    /// the target by its writable open. qemu-img reads the merged parent.
    /// </summary>
    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void SpecWriterChainWithZeroBlocksAndPendingLogs(bool childLog, bool parentLog)
    {
        byte[] expected = new byte[Size];
        var parent = new Vhdx.VhdxWriter(Size) { DeferBatToLog = parentLog };
        for (int b = 0; b < 6; b++)
        {
            parent.Fill(b * MiB, (int)MiB, (byte)(0x40 + b));
            expected.AsSpan((int)(b * MiB), (int)MiB).Fill((byte)(0x40 + b));
        }
        string parentPath = Path.Combine(Folder, "parent.vhdx"), childPath = Path.Combine(Folder, "child.vhdx");
        parent.Save(parentPath);
        var child = new Vhdx.VhdxWriter(Size) { Parent = new(parent.DataWriteGuid, "parent.vhdx"), DeferBatToLog = childLog };
        void Put(long offset, int length, byte value)
        {
            child.Fill(offset, length, value);
            expected.AsSpan((int)offset, length).Fill(value);
        }
        Put(MiB + 4096, 512, 0x91);          // block 1: partially present
        Put(MiB + 300 * 512, 8192, 0x92);
        Put(2 * MiB, (int)MiB, 0x93);        // block 2: fully present
        Put(7 * MiB + 512, 1024, 0x94);      // block 7: over the parent's unallocated block
        child.SetBlockState(3, Vhdx.VhdxWriter.Zero); // block 3: zeros over the parent's 0x43
        expected.AsSpan((int)(3 * MiB), (int)MiB).Clear();
        child.Save(childPath);
        string childSha = Sha(childPath);
        using (var chain = VirtualDisk.Open(childPath))
            Assert.That(chain.LogReplayed, Is.EqualTo(childLog || parentLog), "the writer left a pending log");

        var result = VirtualDiskOperations.Merge(childPath);
        Assert.That(result.ZeroBytes, Is.EqualTo(MiB), result.ToString());
        AssertQemuReads(parentPath, "vhdx", expected);
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", parentPath), "qemu-img check");
        Assert.That(Sha(childPath), Is.EqualTo(childSha), "the child (and its pending log) is not changed");
    }

    [Test]
    public void Refusals()
    {
        var chain = MakeChain("vhdx", 1);
        string childSha = Sha(chain.Files[0]), parentSha = Sha(chain.Files[1]);
        void Refused(string path, MergeOptions? options, VirtualDiskErrorReason reason, VirtualDiskError code)
        {
            Assert.That(VirtualDiskOperations.TryMerge(path, options, out var result, out var failure), Is.False);
            Assert.That(result, Is.Null);
            Assert.That(failure!.Reason, Is.EqualTo(reason), failure.ToString());
            Assert.That(failure.Code, Is.EqualTo(code), failure.ToString());
            var e = Assert.Throws<VirtualDiskException>(() => VirtualDiskOperations.Merge(path, options));
            Assert.That(e!.Diagnostic.Reason, Is.EqualTo(reason));
        }
        Refused(chain.Files[0], new MergeOptions { Depth = 0 }, VirtualDiskErrorReason.MergeDepthInvalid, VirtualDiskError.InvalidParameter);
        Refused(chain.Files[0], new MergeOptions { Depth = -3 }, VirtualDiskErrorReason.MergeDepthInvalid, VirtualDiskError.InvalidParameter);
        Refused(chain.Files[0], new MergeOptions { Depth = 2 }, VirtualDiskErrorReason.MergeDepthBeyondChain, VirtualDiskError.InvalidParameter);
        Refused(chain.Files[1], null, VirtualDiskErrorReason.MergeNotDifferencing, VirtualDiskError.InvalidParameter);
        // The target held by a writable handle.
        // (The merge's read-only open of the chain meets it first; a shared probe tells a writer from a permission problem.)
        using (VirtualDisk.Open(chain.Files[1], WriteImages.ReadWrite))
            Refused(chain.Files[0], null, VirtualDiskErrorReason.MergeChainInUse, VirtualDiskError.SharingViolation);
        // The target open read-only by another handle (ATTACH_RO): the merge's writable open conflicts with it.
        using (VirtualDisk.Open(chain.Files[1]))
            Refused(chain.Files[0], null, VirtualDiskErrorReason.MergeTargetInUse, VirtualDiskError.SharingViolation);
        // The target held as the parent of another child's open chain (a read-only handle of a sibling).
        string sibling = Path.Combine(Folder, "sibling.vhdx");
        using (VirtualDisk.Create(sibling, new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhdx, Type = VirtualDiskCreateType.Differencing, ParentPath = chain.Files[1] })) { }
        string siblingSha = Sha(sibling);
        using (VirtualDisk.Open(sibling))
            Refused(chain.Files[0], null, VirtualDiskErrorReason.MergeTargetInUse, VirtualDiskError.SharingViolation);
        // The child held by a writer: the chain cannot be opened for reading (32 from the open path).
        using (VirtualDisk.Open(chain.Files[0], WriteImages.ReadWrite))
            Refused(chain.Files[0], null, VirtualDiskErrorReason.MergeChainInUse, VirtualDiskError.SharingViolation);
        Assert.That(Sha(chain.Files[0]), Is.EqualTo(childSha));
        Assert.That(Sha(chain.Files[1]), Is.EqualTo(parentSha), "a refused merge writes nothing");
        Assert.That(Sha(sibling), Is.EqualTo(siblingSha));
        // A missing file.
        Assert.That(VirtualDiskOperations.TryMerge(Path.Combine(Folder, "none.vhdx"), null, out _, out var missing), Is.False);
        Assert.That(missing!.Reason, Is.EqualTo(VirtualDiskErrorReason.OperationOpenFailed));
    }

    [Test]
    public void CanceledMergeFlushesAndKeepsTheChild()
    {
        var chain = MakeChain("vpc", 1);
        using var cts = new CancellationTokenSource();
        long reports = 0;
        var progress = new SyncProgress(p => { if (++reports == 3) cts.Cancel(); });
        Assert.That(VirtualDiskOperations.TryMerge(chain.Files[0], new MergeOptions { Progress = progress, CancellationToken = cts.Token, BufferSize = 4096 }, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.MergeCanceled));
        Assert.That(failure.Code, Is.EqualTo(VirtualDiskError.OperationAborted));
        Assert.That(ReadAll(chain.Files[0]).AsSpan().SequenceEqual(chain.Content[0]), Is.True, "the child chain still reads its content");
        VirtualDiskOperations.Merge(chain.Files[0]);
        AssertQemuReads(chain.Files[1], "vpc", chain.Content[0]);
    }

    /// <summary>An I/O error part-way through the target's writes: MergeWriteFailed; the target opens and verifies, the child chain reads its content, and a second merge completes it.</summary>
    [Test]
    public void AWriteFailurePartWayLeavesTheChainReadable()
    {
        var chain = MakeChain("vpc", 1);
        var failure = TryWithFailingTarget(chain.Files[0], failAfterWrites: 6);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.MergeWriteFailed), failure.ToString());
        Assert.That(failure.Code, Is.EqualTo(VirtualDiskError.IoDevice));
        using (var target = VirtualDisk.Open(chain.Files[1])) Assert.That(target.Verify(), Is.Empty);
        Assert.That(ReadAll(chain.Files[0]).AsSpan().SequenceEqual(chain.Content[0]), Is.True, "the child chain reads its content");
        VirtualDiskOperations.Merge(chain.Files[0]);
        AssertQemuReads(chain.Files[1], "vpc", chain.Content[0]);
    }

    private static VirtualDiskDiagnostic? TryWithFailingTarget(string child, int failAfterWrites)
    {
        VirtualDiskOperations.TryMerge(child, new MergeOptions
        {
            BufferSize = 4096,
            TargetOpened = h => h.Writer!.WrapStore(inner => new FailingStore(inner, failAfterWrites)),
        }, out _, out var failure);
        return failure;
    }

    /// <summary>Fails every write and flush after the first <paramref name="writes"/> writes (an injected EIO).</summary>

    [Test]
    public void ProgressCountsTheBytesHeldAboveTheTarget()
    {
        var chain = MakeChain("vhdx", 1);
        // The map of the child (its own runs, depth 0) is what will be copied.
        long held = VirtualDiskOperations.Map(chain.Files[0]).Where(e => e.Depth == 0).Sum(e => e.Length);
        var reports = new List<MergeProgress>();
        var result = VirtualDiskOperations.Merge(chain.Files[0], new MergeOptions { Progress = new SyncProgress(reports.Add) });
        Assert.That(reports[0].BytesDone, Is.EqualTo(0));
        Assert.That(reports[^1], Is.EqualTo(new MergeProgress(result.BytesCopied, result.BytesCopied)));
        Assert.That(result.BytesCopied, Is.EqualTo(held));
        Assert.That(result.BytesCopied, Is.LessThan(Size / 2), "only what the child holds, not the virtual size");
    }

    [Test]
    public void Cli()
    {
        var chain = MakeChain("vpc", 1);
        var bad = CliRunner.Run("merge", chain.Files[0], "--depth", "0", "--json");
        Assert.That(bad.ExitCode, Is.EqualTo(1), bad.ToString());
        Assert.That(bad.Json().GetProperty("failure").GetProperty("code").GetInt64(), Is.EqualTo(87));
        var run = CliRunner.Run("merge", chain.Files[0], "--json");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var json = run.Json();
        Assert.That(json.GetProperty("ok").GetBoolean(), Is.True);
        Assert.That(json.GetProperty("target").GetString(), Is.EqualTo(Path.GetFullPath(chain.Files[1])));
        Assert.That(json.GetProperty("depth").GetInt32(), Is.EqualTo(1));
        Assert.That(json.GetProperty("bytesCopied").GetInt64(), Is.GreaterThan(0));
        AssertQemuReads(chain.Files[1], "vpc", chain.Content[0]);
        var text = CliRunner.Run("merge", chain.Files[0]);
        Assert.That(text.ExitCode, Is.EqualTo(0), text.ToString());
        Assert.That(text.Stdout, Does.Contain("merged into " + Path.GetFullPath(chain.Files[1])));
        var usage = CliRunner.Run("merge", chain.Files[0], "--depth", "x");
        Assert.That(usage.ExitCode, Is.EqualTo(2), usage.ToString());
        var help = CliRunner.Run("merge", "--help");
        Assert.That(help.ExitCode, Is.EqualTo(0), help.ToString());
        Assert.That(help.Stdout, Does.StartWith("Usage: vdisk merge"));
        Assert.That(CliRunner.Run("--help").Stdout, Does.Match(@"(?m)^\s+merge\s"), "listed in vdisk --help");
        var notDiff = CliRunner.Run("merge", chain.Files[1]);
        Assert.That(notDiff.ExitCode, Is.EqualTo(1));
        Assert.That(notDiff.Stderr, Does.Contain("MergeNotDifferencing"));
    }

    /// <summary>
    /// Crash cuts in the middle of a merge: the target's writes are recorded; the target file is rebuilt for every cut
    /// (a machine crash: unflushed writes landed in random subsets, torn into 512-byte sectors; a killed process: the
    /// prefix). Every rebuilt target opens, and every sector reads its old content or its merged content (the target alone
    /// may hold a mix mid-merge). The child is never written; for a VHD target the child chain opens and reads exactly
    /// the child's pre-merge content at every cut. (A VHDX target gets a new DataWriteGuid with its first write, MS-VHDX
    /// §2.2.2, so the child's parent_linkage no longer matches it: there the guarantee is the sector check alone.)
    /// </summary>
    [TestCase("vpc", 1, 1)]
    [TestCase("vhdx", 1, 1)]
    [TestCase("vpc", 2, 2)]
    [TestCase("vhdx", 2, 2)]
    [TestCase("vhdx", 2, 1)] // the target is itself a differencing file
    public void CrashCutsLeaveTheTargetOpenableAndTheChildChainIntact(string format, int children, int depth)
    {
        var chain = MakeChain(format, children, seed: 5);
        string target = chain.Files[depth];
        byte[] original = File.ReadAllBytes(target), childBytes = File.ReadAllBytes(chain.Files[0]);
        byte[] before = chain.Content[depth], after = chain.Content[0];
        FaultInjectingStore? store = null;
        VirtualDiskOperations.Merge(chain.Files[0], new MergeOptions
        {
            Depth = depth,
            BufferSize = 4096,
            TargetOpened = h =>
            {
                h.Writer!.WrapStore(inner => store = new FaultInjectingStore(inner));
                if (h.Writer is VirtualDiskManaged.Vhd.VhdBlockAllocator vhd) vhd.NextReserve = 2;
            },
        });
        var ops = store!.Ops;
        Assert.That(ops.Count, Is.GreaterThan(10));
        var random = new Random(99);
        var cuts = Enumerable.Range(0, ops.Count + 1).ToList();
        if (cuts.Count > MaxCuts) cuts = [.. cuts.OrderBy(_ => random.Next()).Take(MaxCuts - 1).Append(ops.Count).Order()];
        int checkedImages = 0;
        foreach (int cut in cuts)
        {
            for (int r = 0; r < 3; r++)
            {
                byte[] image = r == 0 ? FaultInjectingStore.Prefix(original, ops, cut) : FaultInjectingStore.Crash(original, ops, cut, random);
                File.WriteAllBytes(target, image);
                Assert.That(VirtualDisk.TryOpen(target, null, out var disk, out VirtualDiskDiagnostic? failure), Is.True, $"cut {cut}/{ops.Count}: the target does not open: {failure}");
                using (disk)
                {
                    var all = new byte[disk!.VirtualSize];
                    disk.Read(0, all);
                    for (int s = 0; s < all.Length; s += 512)
                    {
                        var sector = all.AsSpan(s, 512);
                        if (!sector.SequenceEqual(before.AsSpan(s, 512)) && !sector.SequenceEqual(after.AsSpan(s, 512)))
                            Assert.Fail($"cut {cut}/{ops.Count} (variant {r}): target sector {s / 512} is neither old nor merged");
                    }
                }
                if (format == "vpc")
                    Assert.That(ReadAll(chain.Files[0]).AsSpan().SequenceEqual(after), Is.True, $"cut {cut}: the child chain reads the child's content");
                checkedImages++;
            }
        }
        Assert.That(File.ReadAllBytes(chain.Files[0]).AsSpan().SequenceEqual(childBytes), Is.True, "the child is never written");
        TestContext.Out.WriteLine($"{format}, depth {depth}: {ops.Count} target operations, {checkedImages} crash images checked");
    }

    /// <summary>Progress reported synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<MergeProgress> report) : IProgress<MergeProgress>
    {
        public void Report(MergeProgress value) => report(value);
    }
}
