using System.Text.Json;
using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Compact (docs/operations.md "compact"): images made by qemu-img/qemu-io (content judged by qemu-img: compare against
/// the raw export made before, check, map) and by this library with a raw mirror of the writes (differencing chains
/// included); after compact the file is smaller, the content is the same, vhdiinfo opens it and it stays writable.
/// </summary>
public sealed class CompactTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    [TestCase("vpc", "t.vhd")]
    [TestCase("vhdx", "t.vhdx")]
    public void QemuDynamicImageShrinksWithTheSameContent(string format, string name)
    {
        // qemu-io "write -P 0" is a plain write: qemu allocates the blocks it covers and writes zeros into them. The
        // blocks are allocated in the order written, so the zeros lie before data in the file and the data moves down.
        CreateTools.Require("qemu-img");
        CreateTools.Require("qemu-io");
        string image = Path.Combine(Folder, name);
        OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", format, "-o", "subformat=dynamic" + (format == "vpc" ? ",force_size=on" : ",block_size=1M"), image, (64 * MiB).ToString()), "qemu-img create");
        OpsImages.Check(CreateTools.Run("qemu-io", "-f", format, "-c", "write -P 0 0 4M", "-c", "write -P 0xa5 8M 2M", "-c", "write -P 0 16M 8M",
            "-c", "write -P 0x3c 30M 1M", "-c", "write -P 0x11 12345600 5000", "-c", "write -P 0x77 60M 1M", image), "qemu-io");
        string raw = OpsImages.QemuRaw(image, format, Folder);
        Assert.That(ZeroBlocks(image), Is.GreaterThanOrEqualTo(6), "qemu allocated the blocks written with zeros");
        long before = new FileInfo(image).Length;

        var result = VirtualDiskOperations.Compact(image);

        long after = new FileInfo(image).Length;
        Assert.That(result.FileSizeBefore, Is.EqualTo(before));
        Assert.That(result.FileSizeAfter, Is.EqualTo(after));
        Assert.That(after, Is.LessThanOrEqualTo(before - 8 * MiB), "at least the 8 MiB written with zeros are given back");
        Assert.That(result.BlocksReleased, Is.GreaterThan(0));
        Assert.That(result.BlocksMoved, Is.GreaterThan(0), "blocks from the end moved into the freed places");
        var (rc, text) = CreateTools.QemuCompare(raw, "raw", image, format);
        Assert.That(rc, Is.EqualTo(0), "qemu-img compare with the export made before: " + text);
        if (format == "vhdx") OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        Assert.That(CreateTools.VhdiInfo(image)["Disk type"], Is.EqualTo("Dynamic"));
        Assert.That(ZeroBlocks(image), Is.EqualTo(0), "no allocated block of the result is all zero");

        // Still writable: a write lands in a released block and qemu reads it.
        using (var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo }))
            disk.Write(17 * MiB, new byte[] { 1, 2, 3, 4 });
        string again = OpsImages.QemuRaw(image, format, Directory.CreateDirectory(Path.Combine(Folder, "after")).FullName);
        var bytes = File.ReadAllBytes(again);
        Assert.That(bytes.AsSpan((int)(17 * MiB), 4).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        var old = File.ReadAllBytes(raw);
        old.AsSpan((int)(17 * MiB), 4).Clear();
        bytes.AsSpan((int)(17 * MiB), 4).Clear();
        Assert.That(bytes.SequenceEqual(old), Is.True, "the rest as before");
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void LibraryDynamicImage(VirtualDiskFormat format)
    {
        var (image, mirror) = CompactImages.Dynamic(Folder, format, "lib");
        long before = new FileInfo(image).Length;
        var dry = VirtualDiskOperations.Compact(image, new CompactOptions { DryRun = true });
        Assert.That(new FileInfo(image).Length, Is.EqualTo(before), "a dry run writes nothing");
        var reports = new List<CompactProgress>();
        var result = VirtualDiskOperations.Compact(image, new CompactOptions { Progress = new SyncProgress<CompactProgress>(reports.Add) });
        Assert.That(result with { DryRun = true }, Is.EqualTo(dry), "the dry run predicted the result");
        Assert.That(result.FileSizeAfter, Is.EqualTo(new FileInfo(image).Length));
        Assert.That(result.FileSizeAfter, Is.LessThan(before));
        Assert.That(result.BlocksReleased, Is.EqualTo(CompactImages.ZeroBlocks));
        Assert.That(reports.Any(r => r.Phase == CompactPhase.Move && r.Done == r.Total), Is.True, "progress reached the end of the moves");
        string fmt = CreateTools.QemuFormat(format);
        var (rc, text) = CreateTools.QemuCompare(mirror, "raw", image, fmt);
        Assert.That(rc, Is.EqualTo(0), text);
        if (format == VirtualDiskFormat.Vhdx) OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        CreateTools.VhdiInfo(image);
        // A second compact finds nothing to do and changes nothing.
        byte[] bytes = File.ReadAllBytes(image);
        var second = VirtualDiskOperations.Compact(image);
        Assert.That((second.BlocksReleased, second.BlocksMoved), Is.EqualTo((0L, 0L)));
        Assert.That(File.ReadAllBytes(image).SequenceEqual(bytes), Is.True);
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void DifferencingChildKeepsZerosOverTheParentsData(VirtualDiskFormat format)
    {
        var (child, parent, mirror) = CompactImages.Chain(Folder, format);
        byte[] parentBytes = File.ReadAllBytes(parent);
        long before = new FileInfo(child).Length;
        var result = VirtualDiskOperations.Compact(child);
        Assert.That(new FileInfo(child).Length, Is.LessThan(before));
        Assert.That(File.ReadAllBytes(parent).SequenceEqual(parentBytes), Is.True, "the parent is not touched");
        Assert.That(CreateTools.VhdiInfo(child)["Disk type"], Is.EqualTo("Differential"), "vhdiinfo opens the compacted child");
        Assert.That(CompactImages.ReadAll(child).SequenceEqual(File.ReadAllBytes(mirror)), Is.True, "the chain reads what was written (zeros over the parent's data stay zeros)");
        // VHD releases only what reads zeros in the parent too; VHDX also the blocks over the parent's data (as ZERO).
        Assert.That(result.BlocksReleased, Is.EqualTo(format == VirtualDiskFormat.Vhd ? CompactImages.ChainReleasableVhd : CompactImages.ChainReleasableVhdx));
        var map = VirtualDiskOperations.Map(child);
        var overParent = map.Where(e => e.Start < CompactImages.ZeroOverParentEnd && e.End > CompactImages.ZeroOverParentStart).ToList();
        Assert.That(overParent.All(e => e.Depth == 0), Is.True, "the zeros over the parent's data are answered by the child: " + string.Join("; ", overParent));
        using (var disk = VirtualDisk.Open(child, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo }))
        {
            disk.Write(8 * MiB + 4096, new byte[] { 5, 6, 7 });
        }
        var expected = File.ReadAllBytes(mirror);
        expected[8 * MiB + 4096] = 5;
        expected[8 * MiB + 4097] = 6;
        expected[8 * MiB + 4098] = 7;
        Assert.That(CompactImages.ReadAll(child).SequenceEqual(expected), Is.True, "a write into a released block after compact");
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void CompactedParentKeepsItsChildValid(VirtualDiskFormat format)
    {
        var (child, parent, mirror) = CompactImages.Chain(Folder, format);
        long before = new FileInfo(parent).Length;
        var result = VirtualDiskOperations.Compact(parent);
        Assert.That(result.BlocksReleased, Is.GreaterThan(0));
        Assert.That(new FileInfo(parent).Length, Is.LessThan(before));
        Assert.That(VirtualDisk.TryOpen(child, null, out var disk, out VirtualDiskDiagnostic? failure), Is.True, $"the child still links to its parent: {failure}");
        disk!.Dispose();
        Assert.That(CompactImages.ReadAll(child).SequenceEqual(File.ReadAllBytes(mirror)), Is.True);
    }

    [TestCase("vpc", "f.vhd")]
    [TestCase("vhdx", "f.vhdx")]
    public void FixedDiskIsRefused(string format, string name)
    {
        CreateTools.Require("qemu-img");
        string image = Path.Combine(Folder, name);
        OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", format, "-o", "subformat=fixed", image, (8 * MiB).ToString()), "qemu-img create");
        byte[] bytes = File.ReadAllBytes(image);
        Assert.That(VirtualDiskOperations.TryCompact(image, null, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.CompactFixedDisk));
        Assert.That(failure.ErrorCode, Is.EqualTo((uint)VirtualDiskError.VhdInvalidType));
        Assert.That(File.ReadAllBytes(image).SequenceEqual(bytes), Is.True, "untouched");
        var run = CliRunner.Run("compact", image);
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Stderr, Does.Contain("CompactFixedDisk"));
    }

    [Test]
    public void CanceledCompactChangesNothing()
    {
        var (image, mirror) = CompactImages.Dynamic(Folder, VirtualDiskFormat.Vhdx, "cancel");
        byte[] bytes = File.ReadAllBytes(image);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.That(VirtualDiskOperations.TryCompact(image, new CompactOptions { CancellationToken = cts.Token }, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.CompactCanceled));
        Assert.That(File.ReadAllBytes(image).SequenceEqual(bytes), Is.True, "canceled during the scan: nothing written");
        Assert.That(CreateTools.QemuCompare(mirror, "raw", image, "vhdx").ExitCode, Is.EqualTo(0));
    }

    /// <summary>
    /// Canceled in the move phase (the release and the first batches already through the log): the content is unchanged,
    /// and the log was closed, so the image opens strictly without a pending log and qemu-img check passes.
    /// </summary>
    [Test]
    public void CanceledWhileMovingLeavesACleanLog()
    {
        var (image, mirror) = CompactImages.Dynamic(Folder, VirtualDiskFormat.Vhdx, "cancel-move");
        using var cts = new CancellationTokenSource();
        // The scan's last report is always delivered; the next check of the token is the move loop's first.
        var progress = new SyncProgress(p => { if (p.Phase == CompactPhase.Scan && p.Done == p.Total) cts.Cancel(); });
        Assert.That(VirtualDiskOperations.TryCompact(image, new CompactOptions { CancellationToken = cts.Token, Progress = progress }, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.CompactCanceled));
        using (var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Strict = true }))
            Assert.That(disk.LogReplayed, Is.False, "no pending log");
        Assert.That(CreateTools.QemuCompare(mirror, "raw", image, "vhdx").ExitCode, Is.EqualTo(0));
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
    }

    /// <summary>
    /// A write that fails part-way (EIO on the third write: the release is logged, the moves are not) is
    /// CompactWriteFailed naming the stage, not a read failure; the image still reads the same content (its log replayed).
    /// </summary>
    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void AWriteFailurePartWayIsAWriteFailure(VirtualDiskFormat format)
    {
        var (image, mirror) = CompactImages.Dynamic(Folder, format, "fail-" + format);
        Assert.That(VirtualDiskOperations.TryCompact(image, null, inner => new FailingStore(inner, 2), out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.CompactWriteFailed), failure.ToString());
        Assert.That(failure.Detail, Does.Contain("injected EIO"));
        // Read through the library: a VHDX stopped mid-way has a pending log, which it replays (qemu-img refuses that read-only).
        using var disk = VirtualDisk.Open(image);
        var content = new byte[disk.VirtualSize];
        Assert.That(disk.Read(0, content), Is.EqualTo(content.Length));
        Assert.That(content.AsSpan().SequenceEqual(File.ReadAllBytes(mirror)), Is.True, "the same content");
    }

    /// <summary>A dry run opens read-only (docs/open-path.md §12): every byte, the length and the modification time stay.</summary>
    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void ADryRunChangesNoByteAndNoTime(VirtualDiskFormat format)
    {
        var (image, _) = CompactImages.Dynamic(Folder, format, "dry-" + format);
        var time = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(image, time);
        byte[] bytes = File.ReadAllBytes(image);
        var result = VirtualDiskOperations.Compact(image, new CompactOptions { DryRun = true });
        Assert.That(result.BlocksReleased, Is.EqualTo(CompactImages.ZeroBlocks));
        Assert.That(File.ReadAllBytes(image).AsSpan().SequenceEqual(bytes), Is.True);
        Assert.That(File.GetLastWriteTimeUtc(image), Is.EqualTo(time));
    }

    private sealed class SyncProgress(Action<CompactProgress> report) : IProgress<CompactProgress>
    {
        public void Report(CompactProgress value) => report(value);
    }

    [Test]
    public void CommandPrintsTheResult()
    {
        var (image, _) = CompactImages.Dynamic(Folder, VirtualDiskFormat.Vhd, "cli");
        long before = new FileInfo(image).Length;
        var dry = CliRunner.Run("compact", image, "--dry-run", "--json");
        Assert.That(dry.ExitCode, Is.EqualTo(0), dry.ToString());
        using (var doc = JsonDocument.Parse(dry.Stdout))
        {
            Assert.That(doc.RootElement.GetProperty("dryRun").GetBoolean(), Is.True);
            Assert.That(doc.RootElement.GetProperty("blocksReleased").GetInt64(), Is.EqualTo(CompactImages.ZeroBlocks));
            Assert.That(doc.RootElement.GetProperty("fileSizeBefore").GetInt64(), Is.EqualTo(before));
        }
        Assert.That(new FileInfo(image).Length, Is.EqualTo(before));
        var run = CliRunner.Run("compact", image);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Stdout, Does.Contain($"released {CompactImages.ZeroBlocks} of"));
        Assert.That(new FileInfo(image).Length, Is.LessThan(before));
        var usage = CliRunner.Run("compact");
        Assert.That(usage.ExitCode, Is.EqualTo(2), usage.ToString());
    }

    /// <summary>
    /// The shared corpus (skipped when absent; qemu-, Windows- and other tool-made VHD and VHDX): a compact of a copy
    /// either succeeds, leaving the content independent readers give (the manifest's SHA-256) and a file no longer
    /// than before, or is refused with a documented reason (fixed disks, layouts the write path or compact does not
    /// rewrite) and leaves the file as it was.
    /// </summary>
    [TestCaseSource(typeof(CorpusOperationsTests), nameof(CorpusOperationsTests.Images))]
    public void CorpusImagesKeepTheirContent(string file, string sha256, bool pendingLog)
    {
        string image = Path.Combine(Folder, Path.GetFileName(file)[..^3]);
        File.Copy(TestPaths.Gunzip(Path.Combine(TestPaths.SharedCorpus!, file)), image);
        byte[] before = File.ReadAllBytes(image);
        if (!VirtualDiskOperations.TryCompact(image, null, out var result, out var failure))
        {
            Assert.That(failure!.Reason, Is.AnyOf(VirtualDiskErrorReason.CompactFixedDisk, VirtualDiskErrorReason.CompactLayoutNotSupported, VirtualDiskErrorReason.OperationOpenFailed), failure.ToString());
            if (failure.Reason == VirtualDiskErrorReason.OperationOpenFailed)
                Assert.That(failure.Inner!.Reason, Is.EqualTo(VirtualDiskErrorReason.WriteLayoutNotSupported), failure.ToString());
            if (!pendingLog) Assert.That(File.ReadAllBytes(image).SequenceEqual(before), Is.True, "a refused compact changes nothing");
            return;
        }
        Assert.That(result!.FileSizeAfter, Is.LessThanOrEqualTo(before.Length));
        string raw = Path.Combine(Folder, "out.raw");
        VirtualDiskOperations.Convert(image, raw);
        Assert.That(OpsImages.Sha256(raw), Is.EqualTo(sha256), $"the content independent readers give ({result})");
    }

    /// <summary>
    /// Hostile inputs: copies of a library-made image with random bytes changed in its structures (and its blocks) never
    /// make compact throw or hang; when compact succeeds, the image reads what it read before.
    /// </summary>
    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void DamagedImagesFailCleanlyOrKeepTheirContent(VirtualDiskFormat format)
    {
        var (image, _) = CompactImages.Dynamic(Folder, format, "fuzz");
        byte[] original = File.ReadAllBytes(image);
        var random = new Random(77 + (int)format);
        long structures = format == VirtualDiskFormat.Vhd ? 8192 : 4 * MiB;
        string path = Path.Combine(Folder, "damaged" + Path.GetExtension(image));
        int compacted = 0, refused = 0;
        for (int round = 0; round < 120; round++)
        {
            var bytes = (byte[])original.Clone();
            int changes = random.Next(1, 9);
            for (int i = 0; i < changes; i++)
            {
                long at = random.Next(4) switch
                {
                    0 => bytes.Length - 1 - random.Next(512),
                    1 => random.NextInt64(bytes.Length),
                    _ => random.NextInt64(Math.Min(structures, bytes.Length)),
                };
                bytes[at] = random.Next(3) == 0 ? (byte)0xFF : (byte)random.Next(256);
            }
            File.WriteAllBytes(path, bytes);
            byte[]? before = null;
            if (VirtualDisk.TryOpen(path, null, out var disk, out _))
                using (disk)
                {
                    try { before = CompactImages.ReadAll(disk!); }
                    catch (VirtualDiskException) { before = null; }
                }
            bool ok = VirtualDiskOperations.TryCompact(path, null, out var result, out var failure);
            if (!ok)
            {
                Assert.That(failure, Is.Not.Null);
                refused++;
                continue;
            }
            compacted++;
            if (before is null) continue;
            Assert.That(VirtualDisk.TryOpen(path, null, out var after, out VirtualDiskDiagnostic? reopen), Is.True, $"round {round}: {result}: {reopen}");
            using (after) Assert.That(CompactImages.ReadAll(after!).SequenceEqual(before), Is.True, $"round {round}: the content after {result}");
        }
        TestContext.Out.WriteLine($"{format}: {compacted} compacted, {refused} refused");
        Assert.That(compacted, Is.GreaterThan(0));
    }

    /// <summary>Allocated blocks of the top file (whole blocks of the map's data runs) whose bytes in the file are all zero.</summary>
    private static int ZeroBlocks(string image)
    {
        long block;
        using (var disk = VirtualDisk.Open(image, null)) block = disk.Info.Top.BlockSize;
        int zero = 0;
        var buffer = new byte[block];
        using var file = File.OpenRead(image);
        foreach (var e in VirtualDiskOperations.Map(image).Where(e => e.Data && e.Depth == 0))
        {
            for (long at = (e.Start + block - 1) / block * block; at + block <= e.End; at += block)
            {
                file.Position = e.FileOffset!.Value + (at - e.Start);
                file.ReadExactly(buffer);
                if (!buffer.AsSpan().ContainsAnyExcept((byte)0)) zero++;
            }
        }
        return zero;
    }
}

/// <summary>IProgress that calls back on the reporting thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>Images for the compact tests, made by this library with a raw mirror of every write (the expected content).</summary>
internal static class CompactImages
{
    private const long MiB = OpsImages.MiB;
    public const long Size = 16 * MiB;

    /// <summary>Blocks of <see cref="Dynamic"/> written with zeros only.</summary>
    public const long ZeroBlocks = 5;

    /// <summary>
    /// A dynamic image (VHD 512 KiB blocks, VHDX 1 MiB blocks) whose blocks are allocated in the order: zeros, data,
    /// zeros, data, ... so that after the release the data blocks near the end move into the freed places.
    /// </summary>
    public static (string Image, string Mirror) Dynamic(string folder, VirtualDiskFormat format, string name)
    {
        uint block = format == VirtualDiskFormat.Vhd ? 512 * 1024 : (uint)MiB;
        string image = Path.Combine(folder, name + (format == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx"));
        string mirror = image + ".mirror.raw";
        using var m = new FileStream(mirror, FileMode.Create);
        m.SetLength(Size);
        using (var disk = VirtualDisk.Create(image, new VirtualDiskCreateOptions { Format = format, Size = Size, BlockSize = block }))
        {
            var random = new Random(11);
            for (int i = 0; i < 2 * ZeroBlocks; i++)
            {
                long at = (i + 1) * (long)block;
                var data = new byte[block];
                if (i % 2 == 1) random.NextBytes(data.AsSpan(0, 70_000));
                disk.Write(at, data);
                m.Position = at;
                m.Write(data);
                if (i % 3 == 0) disk.Flush();
            }
            // A partial block at the end with data.
            var tail = new byte[4096];
            random.NextBytes(tail);
            disk.Write(Size - tail.Length, tail);
            m.Position = Size - tail.Length;
            m.Write(tail);
        }
        return (image, mirror);
    }

    /// <summary>Where the child of <see cref="Chain"/> wrote zeros over the parent's data.</summary>
    public const int ZeroOverParentStart = (int)(4 * MiB), ZeroOverParentEnd = (int)(5 * MiB);

    /// <summary>Child blocks of <see cref="Chain"/> a differencing VHD releases (512 KiB blocks): the two of 8–9 MiB (zeros where the parent reads zeros) and the two with small zero writes over the parent's zeros (one in a block where the parent has data elsewhere); not the two of 4–5 MiB (zeros over the parent's data).</summary>
    public const long ChainReleasableVhd = 4;

    /// <summary>Child blocks of <see cref="Chain"/> a differencing VHDX releases as ZERO (1 MiB blocks): 4–5 MiB (over the parent's data), 8–9 MiB, and the partially present block of the small zero write (the whole block reads zeros).</summary>
    public const long ChainReleasableVhdx = 3;

    /// <summary>
    /// A chain made by this library (blocks: VHD 512 KiB, VHDX 1 MiB): the parent holds data in 0–2 MiB, 4–5 MiB and at
    /// 14 MiB, and zeros written in 6–7 MiB and 12–13 MiB; the child writes zeros over the parent's data (4–5 MiB), zeros
    /// where the parent reads zeros (8–9 MiB), a small zero write at 10 MiB + 8 KiB, and data.
    /// </summary>
    public static (string Child, string Parent, string Mirror) Chain(string folder, VirtualDiskFormat format)
    {
        bool vhd = format == VirtualDiskFormat.Vhd;
        string ext = vhd ? ".vhd" : ".vhdx";
        string parent = Path.Combine(folder, "base" + ext), child = Path.Combine(folder, "child" + ext), mirror = Path.Combine(folder, "chain.mirror.raw");
        var expected = new byte[Size];
        var random = new Random(5);
        void Put(VirtualDiskHandle d, long at, byte[] data)
        {
            d.Write(at, data);
            data.CopyTo(expected.AsSpan((int)at));
        }
        byte[] Data(int n) { var b = new byte[n]; random.NextBytes(b); return b; }
        using (var p = VirtualDisk.Create(parent, new VirtualDiskCreateOptions { Format = format, Size = Size, BlockSize = (uint)(vhd ? 512 * 1024 : MiB) }))
        {
            Put(p, 6 * MiB, new byte[MiB]);         // zeros (released when the parent is compacted)
            Put(p, 0, Data((int)(2 * MiB)));
            Put(p, 4 * MiB, Data((int)MiB));
            Put(p, 12 * MiB, new byte[MiB]);        // zeros
            Put(p, 14 * MiB, Data(100_000));
        }
        using (var c = VirtualDisk.Create(child, new VirtualDiskCreateOptions { Format = format, Type = VirtualDiskCreateType.Differencing, ParentPath = parent }))
        {
            Put(c, 4 * MiB, new byte[MiB]);         // zeros over the parent's data: VHD keeps it; VHDX makes it ZERO
            Put(c, 8 * MiB, new byte[MiB]);         // zeros over zeros (never written in the parent): released
            Put(c, 2 * MiB, Data((int)MiB));        // data
            Put(c, 10 * MiB + 8192, new byte[4096]); // a partial zero write over zeros: VHD releases it (bits over zeros); VHDX: the whole block reads zeros -> ZERO
            Put(c, 14 * MiB + 200_000, new byte[4096]); // zeros over zeros in a block where the parent has data elsewhere: VHD releases it (only the set bits count); VHDX keeps it (the block does not read all zeros)
            Put(c, 1 * MiB, Data(5000));            // data over the parent's data
            Put(c, 15 * MiB, Data((int)MiB));       // data near the end
        }
        File.WriteAllBytes(mirror, expected);
        return (child, parent, mirror);
    }

    /// <summary>The virtual content as this library reads it (chains included).</summary>
    public static byte[] ReadAll(string path)
    {
        using var disk = VirtualDisk.Open(path, null);
        return ReadAll(disk);
    }

    public static byte[] ReadAll(VirtualDiskHandle disk)
    {
        var bytes = new byte[disk.VirtualSize];
        for (int done = 0; done < bytes.Length;)
        {
            int n = disk.Read(done, bytes.AsSpan(done, (int)Math.Min(4 * MiB, bytes.Length - done)));
            Assert.That(n, Is.GreaterThan(0));
            done += n;
        }
        return bytes;
    }
}
