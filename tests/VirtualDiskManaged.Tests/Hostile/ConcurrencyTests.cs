using System.Diagnostics;
using System.Text.Json;
using VirtualDiskManaged.Tests.Hostile.Fuzzing;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// Issue 7 part 5: reads of one handle from 8 threads return exactly what a single-threaded read returns, and the
/// in-process and cross-process sharing rules of docs/open-path.md §11 hold.
/// </summary>
[TestFixture, Category("Hostile")]
public sealed class ConcurrencyTests
{
    private const int Threads = 8;

    /// <summary>Writes one disk of each kind; returns its path (parents written beside it).</summary>
    private static string Disk(string kind, string folder)
    {
        switch (kind)
        {
            case "iso": return HostileFiles.Write(CraftedIso.Build(1200), "disk.iso", folder);
            case "fixed-vhd": return HostileFiles.Write(new CraftedVhd { DiskType = 2, VirtualSize = 3 * 1024 * 1024 }.Build(), "fixed.vhd", folder);
            case "dynamic-vhd": return HostileFiles.Write(new CraftedVhd { VirtualSize = 8 * 1024 * 1024, BlockSize = 512 * 1024, AllocatedBlocks = [0, 1, 5, 9, 15] }.Build(), "dyn.vhd", folder);
            case "differencing-vhd":
            {
                var parent = new CraftedVhd { VirtualSize = 8 * 1024 * 1024, BlockSize = 512 * 1024, AllocatedBlocks = [0, 1, 5, 9, 15] };
                HostileFiles.Write(parent.Build(), "parent.vhd", folder);
                var child = CraftedVhd.ChildOf(parent, "parent.vhd", allocated: [1, 2, 9, 12]);
                child = new CraftedVhd
                {
                    DiskType = 4, VirtualSize = child.VirtualSize, BlockSize = child.BlockSize, ParentUniqueId = child.ParentUniqueId,
                    ParentName = child.ParentName, Locators = child.Locators, AllocatedBlocks = child.AllocatedBlocks,
                    Pattern = o => (byte)(0xA5 ^ (o * 13 >> 4)),
                };
                return HostileFiles.Write(child.Build(), "child.vhd", folder);
            }
            case "dynamic-vhdx": return HostileFiles.Write(new CraftedVhdx { VirtualSize = 16 * 1024 * 1024, AllocatedBlocks = [0, 2, 3, 7, 15] }.Build(), "dyn.vhdx", folder);
            default: throw new ArgumentException(kind);
        }
    }

    [TestCase("iso")]
    [TestCase("fixed-vhd")]
    [TestCase("dynamic-vhd")]
    [TestCase("differencing-vhd")]
    [TestCase("dynamic-vhdx")]
    public void EightThreadsReadExactlyWhatOneThreadReads(string kind)
    {
        string path = Disk(kind, TestPaths.NewTempFolder("conc"));
        using var handle = VirtualDisk.Open(path);
        // The single-threaded reference: one sequential pass through a stream.
        byte[] reference;
        using (var s = handle.OpenStream())
        {
            reference = new byte[s.Length];
            s.ReadExactly(reference);
        }
        Assert.That(reference.Any(b => b != 0), Is.True, "the disk holds data (not just zeros)");
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var go = new ManualResetEventSlim();
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var rng = new Prng(Prng.Mix(0xC0C0, (ulong)t));
            var buffer = new byte[300 * 1024];
            using var stream = handle.OpenStream(); // each thread also has its own stream position
            go.Wait();
            for (int i = 0; i < 400 && errors.IsEmpty; i++)
            {
                long at = rng.NextLong(reference.Length);
                int len = 1 + rng.Next(rng.Chance(50) ? 4096 : buffer.Length);
                int expected = (int)Math.Min(len, reference.Length - at);
                int n;
                if (rng.Chance(50)) n = handle.Read(at, buffer.AsSpan(0, len));
                else
                {
                    stream.Position = at;
                    n = stream.ReadAtLeast(buffer.AsSpan(0, len), len, throwOnEndOfStream: false);
                }
                if (n != expected || !buffer.AsSpan(0, n).SequenceEqual(reference.AsSpan((int)at, n)))
                    errors.Enqueue($"thread {t}: read of {len} at {at} returned {n} bytes that differ from the single-threaded read");
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        go.Set();
        foreach (var w in workers) Assert.That(w.Join(TimeSpan.FromMinutes(2)), Is.True, "reader hung");
        Assert.That(errors, Is.Empty);
    }

    // ---------------- in-process sharing rules (docs/open-path.md §11) ----------------

    private static VirtualDiskOpenOptions V1(VirtualDiskAccessMask mask) => new() { Access = mask };
    private static VirtualDiskOpenOptions V2(bool readOnly) => new() { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: readOnly) };

    private static uint Second(string path, VirtualDiskOpenOptions first, VirtualDiskOpenOptions second)
    {
        using var h1 = VirtualDisk.Open(path, first);
        VirtualDisk.TryOpen(path, second, out var h2, out VirtualDiskError code);
        h2?.Dispose();
        return (uint)code;
    }

    [Test]
    public void InProcessRulesOnIso()
    {
        string iso = Disk("iso", TestPaths.NewTempFolder("share"));
        var ro = V1(VirtualDiskAccessMask.AttachRO);
        var info = V1(VirtualDiskAccessMask.GetInfo);
        Assert.Multiple(() =>
        {
            Assert.That(Second(iso, ro, ro), Is.EqualTo(32u), "ATTACH_RO while ATTACH_RO is open");
            Assert.That(Second(iso, ro, info), Is.EqualTo(0u), "GET_INFO while ATTACH_RO is open");
            Assert.That(Second(iso, info, ro), Is.EqualTo(0u), "ATTACH_RO while only GET_INFO is open");
            Assert.That(Second(iso, info, info), Is.EqualTo(0u), "GET_INFO twice");
            Assert.That(Second(iso, ro, ro with { ParticipateInSharingRules = false }), Is.EqualTo(0u), "a validator never conflicts");
        });
        // Closing the first handle lifts the conflict.
        var h = VirtualDisk.Open(iso, ro);
        h.Dispose();
        using var again = VirtualDisk.Open(iso, ro);
    }

    [Test]
    public void InProcessRulesSeeThroughHardLinks()
    {
        string folder = TestPaths.NewTempFolder("hl");
        string iso = Disk("iso", folder);
        string alias = Path.Combine(folder, "alias.iso");
        if (!OperatingSystem.IsLinux() || !TryLink(iso, alias)) Assert.Ignore("hard links not available");
        using var h1 = VirtualDisk.Open(iso, V1(VirtualDiskAccessMask.AttachRO));
        VirtualDisk.TryOpen(alias, V1(VirtualDiskAccessMask.AttachRO), out var h2, out VirtualDiskError code);
        h2?.Dispose();
        Assert.That((uint)code, Is.EqualTo(32u));
    }

    private static bool TryLink(string existing, string created)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("ln", [existing, created]) { RedirectStandardError = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    [Test]
    public void InProcessRulesOnVhd()
    {
        string vhd = Disk("fixed-vhd", TestPaths.NewTempFolder("sharev"));
        Assert.Multiple(() =>
        {
            Assert.That(Second(vhd, V2(true), V2(true)), Is.EqualTo(0u), "V2 read-only twice");
            Assert.That(Second(vhd, V2(true), V1(VirtualDiskAccessMask.AttachRW)), Is.EqualTo(32u), "ATTACH_RW while V2 read-only is open");
            Assert.That(Second(vhd, V1(VirtualDiskAccessMask.AttachRW), V2(true)), Is.EqualTo(32u), "V2 read-only while ATTACH_RW is open");
            Assert.That(Second(vhd, V2(false), V2(true)), Is.EqualTo(32u), "V2 read-only while V2 read-write is open");
            Assert.That(Second(vhd, V1(VirtualDiskAccessMask.AttachRO), V1(VirtualDiskAccessMask.AttachRO)), Is.EqualTo(32u), "ATTACH_RO twice");
        });
    }

    [Test]
    public void ParentsOfAnOpenChainDoNotTakePartInTheRules()
    {
        string child = Disk("differencing-vhd", TestPaths.NewTempFolder("sharep"));
        using var h = VirtualDisk.Open(child, V1(VirtualDiskAccessMask.AttachRO));
        string parent = Path.Combine(Path.GetDirectoryName(child)!, "parent.vhd");
        using var p = VirtualDisk.Open(parent, V1(VirtualDiskAccessMask.AttachRO));
        Assert.That(p.VirtualSize, Is.EqualTo(h.VirtualSize));
    }

    // ---------------- across processes: the vdisk CLI as the second process ----------------

    private static string VdiskDll()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "vdisk.dll");
        if (!File.Exists(dll)) Assert.Ignore("vdisk.dll is not beside the test assembly");
        return dll;
    }

    private static Process StartVdisk(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(VdiskDll());
        foreach (string a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Runs <c>vdisk open PATH --json</c> with extra arguments; returns the exit status and the JSON "code".</summary>
    private static (int Exit, long? Code, string Output) VdiskOpen(string path, params string[] extra)
    {
        using var p = StartVdisk(["open", path, .. extra, "--json"]);
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        Assert.That(p.WaitForExit(60_000), Is.True, "vdisk open hung");
        long? code = null;
        try
        {
            using var doc = JsonDocument.Parse(stdout);
            if (doc.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number) code = c.GetInt64();
        }
        catch (JsonException) { }
        if (code is null && stdout.Contains("unknown command", StringComparison.OrdinalIgnoreCase) | stderr.Contains("Unknown command", StringComparison.OrdinalIgnoreCase))
            Assert.Ignore("this vdisk has no open command yet");
        return (p.ExitCode, code, stdout + stderr);
    }

    [Test]
    public void OtherProcessCannotOpenForWritingWhileThisProcessHoldsTheImage()
    {
        string vhd = Disk("fixed-vhd", TestPaths.NewTempFolder("xproc"));
        // This process holds it read-only (OS share mode: shared reading).
        using (var h = VirtualDisk.Open(vhd, V1(VirtualDiskAccessMask.AttachRO)))
        {
            var rw = VdiskOpen(vhd, "--access", "ATTACH_RW");
            Assert.That((rw.Exit, rw.Code), Is.EqualTo((1, (long?)32)), rw.Output);
            var ro = VdiskOpen(vhd, "--access", "ATTACH_RO");
            Assert.That((ro.Exit, ro.Code), Is.EqualTo((0, (long?)0)), "read-only opens share reading across processes: " + ro.Output);
        }
        // This process holds it writable (exclusive): even a read-only open of another process fails.
        using (var h = VirtualDisk.Open(vhd, V1(VirtualDiskAccessMask.AttachRW)))
        {
            var ro = VdiskOpen(vhd, "--access", "ATTACH_RO");
            Assert.That((ro.Exit, ro.Code), Is.EqualTo((1, (long?)32)), ro.Output);
        }
        var free = VdiskOpen(vhd, "--access", "ATTACH_RW");
        Assert.That((free.Exit, free.Code), Is.EqualTo((0, (long?)0)), "after close: " + free.Output);
    }

    [Test]
    public void ThisProcessCannotOpenForWritingWhileAnotherProcessHoldsTheImage()
    {
        // `vdisk cat` of a disk larger than a pipe buffer blocks writing to stdout (not read here), holding its handle.
        string vhd = HostileFiles.Write(new CraftedVhd { DiskType = 2, VirtualSize = 8 * 1024 * 1024 }.Build(), "held.vhd", TestPaths.NewTempFolder("xproc2"));
        using var cat = StartVdisk("cat", vhd);
        try
        {
            uint code = 0;
            var deadline = Stopwatch.StartNew();
            // Wait until the other process has the file open (its lock appears), then ask for write access.
            while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !cat.HasExited)
            {
                VirtualDisk.TryOpen(vhd, V1(VirtualDiskAccessMask.AttachRW), out var h, out VirtualDiskError e);
                h?.Dispose();
                code = (uint)e;
                if (code == 32) break;
                Thread.Sleep(100);
            }
            if (cat.HasExited) Assert.Ignore("vdisk cat exited before the check: " + cat.StandardError.ReadToEnd());
            Assert.That(code, Is.EqualTo(32u), "ATTACH_RW while another process reads the image");
            using var shared = VirtualDisk.Open(vhd, V1(VirtualDiskAccessMask.AttachRO));
        }
        finally
        {
            if (!cat.HasExited) cat.Kill();
            cat.WaitForExit();
        }
    }
}
