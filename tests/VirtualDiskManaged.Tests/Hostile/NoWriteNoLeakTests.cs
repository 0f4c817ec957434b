using System.IO.Compression;
using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// Issue 7 part 4 (docs/open-path.md §12): a read-only open + full read + close changes no byte, length or modification time
/// of any file of the chain, and open/close cycles — successful or failing, of every error kind — leave the
/// process's open file descriptor count where it started.
/// </summary>
[TestFixture, Category("Hostile")]
public sealed class NoWriteNoLeakTests
{
    private static Dictionary<string, FileSnapshot> Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToDictionary(p => p, FileSnapshot.Of);

    /// <summary>Every image of testdata/ (each folder expanded together, so parents sit beside their children), plus crafted chains.</summary>
    private static IEnumerable<TestCaseData> ImageFolders()
    {
        string testData = Path.Combine(FindRoot(), "testdata");
        if (Directory.Exists(testData))
            foreach (string dir in Directory.GetDirectories(testData, "*", SearchOption.AllDirectories).Prepend(testData).Order(StringComparer.Ordinal))
                if (Directory.GetFiles(dir, "*.gz").Length > 0)
                    yield return new TestCaseData(Path.GetRelativePath(testData, dir)).SetName($"NoWrite testdata/{Path.GetRelativePath(testData, dir)}");
        yield return new TestCaseData("<crafted>").SetName("NoWrite crafted VHD/VHDX/ISO images, chains and a pending VHDX log");
        // The shared reference corpus (read in place, expanded into a temp folder; never copied into the repository):
        // its VHDX images with pending, torn and applied logs and the Windows-made log-replay image among them.
        string corpus = Path.GetFullPath(Path.Combine(FindRoot(), "..", "shared", "corpus"));
        if (Directory.Exists(corpus))
            foreach (string dir in Directory.GetDirectories(corpus, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                if (Directory.GetFiles(dir, "*.gz").Length > 0)
                    yield return new TestCaseData("corpus:" + Path.GetRelativePath(corpus, dir)).SetName($"NoWrite corpus/{Path.GetRelativePath(corpus, dir)}");
    }

    /// <summary>Expanded images larger than this are skipped (the corpus has sparse multi-GiB disks in small files).</summary>
    private const long MaxExpanded = 512L * 1024 * 1024;

    private static void Expand(string gzFolder, string work)
    {
        foreach (string gz in Directory.GetFiles(gzFolder, "*.gz"))
        {
            string target = Path.Combine(work, Path.GetFileName(gz)[..^3]);
            using (var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
            using (var output = File.Create(target))
            {
                var buffer = new byte[1 << 20];
                int n;
                while ((n = input.Read(buffer)) > 0)
                {
                    output.Write(buffer, 0, n);
                    if (output.Length > MaxExpanded) break;
                }
                if (output.Length <= MaxExpanded) continue;
            }
            File.Delete(target);
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VirtualDiskManaged.sln"))) dir = dir.Parent;
        return dir?.FullName ?? ".";
    }

    [TestCaseSource(nameof(ImageFolders))]
    public void ReadOnlyOpenAndFullReadChangeNothing(string relative)
    {
        string work = TestPaths.NewTempFolder("nowrite");
        if (relative == "<crafted>")
        {
            HostileFiles.Write(new CraftedVhd { DiskType = 2, VirtualSize = 1024 * 1024 }.Build(), "fixed.vhd", work);
            HostileFiles.Write(new CraftedVhdx().Build(), "dyn.vhdx", work);
            HostileFiles.Write(CraftedIso.Build(), "small.iso", work);
            ResourceBoundTests.WriteChain(work, 3);
            foreach (var seed in Fuzzing.WriterSeeds.For("vhdx").Concat(Fuzzing.WriterSeeds.For("vhd")))
            {
                HostileFiles.Write(seed.Bytes, seed.Name, work);
                foreach (var (name, bytes) in seed.Siblings) HostileFiles.Write(bytes, name, work);
            }
        }
        else if (relative.StartsWith("corpus:", StringComparison.Ordinal))
        {
            string corpus = Path.GetFullPath(Path.Combine(FindRoot(), "..", "shared", "corpus"));
            Expand(Path.Combine(corpus, relative["corpus:".Length..]), work);
        }
        else
        {
            Expand(Path.Combine(TestPaths.TestData, relative), work);
        }
        // Make the modification times distinct from "now" so a rewrite would be visible even within the clock's resolution.
        foreach (string f in Directory.GetFiles(work)) File.SetLastWriteTimeUtc(f, new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        var before = Snapshot(work);
        int opened = 0;
        foreach (string image in before.Keys)
        {
            foreach (var options in new VirtualDiskOpenOptions?[] { null, VirtualDiskOpenOptions.ForValidation, new() { Parameters = OpenVirtualDiskParameters.V2(readOnly: true), Access = VirtualDiskAccessMask.None } })
            {
                var outcome = HostileFiles.OpenAndRead(image, options, maxRead: 64L * 1024 * 1024);
                if (outcome.Failure is null) opened++;
            }
        }
        var after = Snapshot(work);
        Assert.That(after.Keys, Is.EqualTo(before.Keys), "no file created or removed");
        foreach (var (path, state) in before)
            Assert.That(after[path], Is.EqualTo(state), $"{Path.GetFileName(path)} changed");
        TestContext.Out.WriteLine($"{before.Count} file(s), {opened} successful open(s)");
    }

    // ---------------- descriptor leaks ----------------

    /// <summary>
    /// Open descriptors of this process whose target lies under <see cref="TestPaths.RunTempFolder"/> (every crafted
    /// image lives there) or is a device: descriptors the runtime opens for itself (sockets, pipes, timers) come and go
    /// on their own and are not counted.
    /// </summary>
    private static int OpenDescriptors()
    {
        int n = 0;
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; } catch (IOException) { continue; }
            if (target is not null && (target.StartsWith(TestPaths.RunTempFolder, StringComparison.Ordinal) || target.StartsWith("/dev/null", StringComparison.Ordinal) || target.StartsWith("/dev/zero", StringComparison.Ordinal)))
                n++;
        }
        return n;
    }

    private static void RequireProcFs()
    {
        if (!Directory.Exists("/proc/self/fd")) Assert.Ignore("/proc/self/fd is not available on this OS");
    }

    /// <summary>
    /// Runs <paramref name="cycle"/> <paramref name="count"/> times and checks the descriptor count. The first 200
    /// cycles run inside a no-GC region where possible, so a leaked handle cannot be hidden by its finalizer.
    /// </summary>
    private static void AssertNoLeak(int count, Action cycle, string what)
    {
        RequireProcFs();
        for (int i = 0; i < 5; i++) cycle(); // warm-up: lazily created runtime descriptors
        GC.Collect();
        GC.WaitForPendingFinalizers();
        int start = OpenDescriptors();
        bool noGc = false;
        try { noGc = GC.TryStartNoGCRegion(64L * 1024 * 1024); } catch (InvalidOperationException) { }
        int strict = Math.Min(200, count);
        int i2 = 0;
        try
        {
            for (; i2 < strict; i2++) cycle();
            if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
                Assert.That(OpenDescriptors(), Is.EqualTo(start), $"{what}: descriptors after {strict} cycles without GC");
        }
        finally
        {
            if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        for (; i2 < count; i2++) cycle();
        Assert.That(OpenDescriptors(), Is.EqualTo(start), $"{what}: descriptors after {count} cycles");
    }

    [Test]
    public void HundredThousandOpenCloseCyclesOfATinyIsoLeakNothing()
    {
        string iso = HostileFiles.Write(CraftedIso.Build(), "tiny.iso");
        AssertNoLeak(100_000, () =>
        {
            uint rc = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, iso, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo, OpenVirtualDiskFlags.None, null, out var h);
            if (rc != 0) Assert.Fail($"open failed 0x{rc:X8}");
            h!.Dispose();
        }, "ISO open/close");
    }

    [Test]
    public void OpenCloseCyclesOfAFixedVhdAndAChainLeakNothing()
    {
        string folder = TestPaths.NewTempFolder("leak");
        string vhd = HostileFiles.Write(new CraftedVhd { DiskType = 2, VirtualSize = 64 * 1024 }.Build(), "tiny.vhd", folder);
        string chain = ResourceBoundTests.WriteChain(folder, 3);
        AssertNoLeak(20_000, () =>
        {
            using (var h = VirtualDisk.Open(vhd)) { }
            using (var h = VirtualDisk.Open(chain)) { }
        }, "VHD open/close");
    }

    /// <summary>One failing open per error kind: each must release every descriptor it opened on its error path.</summary>
    private static IEnumerable<TestCaseData> FailureKinds()
    {
        yield return new TestCaseData("missing file (2)", 2u);
        yield return new TestCaseData("missing folder (3)", 3u);
        yield return new TestCaseData("directory (5)", 5u);
        yield return new TestCaseData("device (5)", 5u);
        yield return new TestCaseData("bad mask (87)", 87u);
        yield return new TestCaseData("ISO too small (1392)", 1392u);
        yield return new TestCaseData("no VHD footer (0xC03A0001)", 0xC03A0001u);
        yield return new TestCaseData("VHD footer checksum (0xC03A0002)", 0xC03A0002u);
        yield return new TestCaseData("VHD block size (0xC03A000B)", 0xC03A000Bu);
        yield return new TestCaseData("VHDX both headers bad (1392)", 1392u);
        yield return new TestCaseData("VHDX metadata (0xC03A0010)", 0xC03A0010u);
        yield return new TestCaseData("parent missing (0xC03A000D)", 0xC03A000Du);
        yield return new TestCaseData("parent id mismatch (0xC03A000E)", 0xC03A000Eu);
        yield return new TestCaseData("error up the chain (0xC03A0019)", 0xC03A0019u);
        yield return new TestCaseData("chain cycle (0xC03A0018)", 0xC03A0018u);
        yield return new TestCaseData("sharing violation (32)", 32u);
        yield return new TestCaseData("unrecognised content (0xC03A0014)", 0xC03A0014u);
    }

    [TestCaseSource(nameof(FailureKinds))]
    public void FailingOpensLeakNothing(string kind, uint expected)
    {
        string folder = TestPaths.NewTempFolder("fail");
        VirtualDiskOpenOptions? options = null;
        VirtualDiskHandle? holder = null;
        string path;
        switch (kind[..kind.IndexOf(" (", StringComparison.Ordinal)])
        {
            case "missing file": path = Path.Combine(folder, "absent.vhd"); break;
            case "missing folder": path = Path.Combine(folder, "absent", "x.vhd"); break;
            case "directory": path = Directory.CreateDirectory(Path.Combine(folder, "d.vhd")).FullName; break;
            case "device": path = "/dev/null"; break;
            case "bad mask":
                path = HostileFiles.Write(CraftedIso.Build(), "a.iso", folder);
                options = new() { Access = (VirtualDiskAccessMask)0x1 };
                break;
            case "ISO too small": path = HostileFiles.Write(new byte[2048 * 10], "small.iso", folder); break;
            case "no VHD footer": path = HostileFiles.Write(new byte[4096], "nofooter.vhd", folder); break;
            case "VHD footer checksum":
            {
                byte[] img = new CraftedVhd { DiskType = 2, VirtualSize = 64 * 1024 }.Build();
                img[img.Length - 512 + 64] ^= 0x55;
                path = HostileFiles.Write(img, "sum.vhd", folder);
                break;
            }
            case "VHD block size":
            {
                byte[] img = new CraftedVhd().Build();
                CraftedVhd.PatchHeader(img, 32, 3000, 4);
                path = HostileFiles.Write(img, "bs.vhd", folder);
                break;
            }
            case "VHDX both headers bad":
            {
                byte[] img = new CraftedVhdx().Build();
                img[CraftedVhdx.Header1 + 8] ^= 1;
                img[CraftedVhdx.Header2 + 8] ^= 1;
                path = HostileFiles.Write(img, "h.vhdx", folder);
                break;
            }
            case "VHDX metadata":
            {
                byte[] img = new CraftedVhdx().Build();
                CraftedVhdx.Patch(img, CraftedVhdx.MetadataOffset + 10, 0xFFFF, 2);
                path = HostileFiles.Write(img, "m.vhdx", folder);
                break;
            }
            case "parent missing":
                path = HostileFiles.Write(CraftedVhd.ChildOf(new CraftedVhd(), "absent-parent.vhd").Build(), "child.vhd", folder);
                break;
            case "parent id mismatch":
            {
                var parent = new CraftedVhd();
                HostileFiles.Write(new CraftedVhd().Build(), "p.vhd", folder); // another disk under the parent's name
                path = HostileFiles.Write(CraftedVhd.ChildOf(parent, "p.vhd").Build(), "child.vhd", folder);
                break;
            }
            case "error up the chain":
            {
                string top = ResourceBoundTests.WriteChain(folder, 3);
                File.Delete(Path.Combine(folder, "d000.vhd"));
                path = top;
                break;
            }
            case "chain cycle":
            {
                Guid id = Guid.NewGuid();
                var self = new CraftedVhd { DiskType = 4, UniqueId = id, ParentUniqueId = id, ParentName = "self.vhd", Locators = [("W2ru", ".\\self.vhd")], AllocatedBlocks = [] };
                path = HostileFiles.Write(self.Build(), "self.vhd", folder);
                break;
            }
            case "sharing violation":
                path = HostileFiles.Write(CraftedIso.Build(), "held.iso", folder);
                holder = VirtualDisk.Open(path, new() { Access = VirtualDiskAccessMask.AttachRO });
                options = new() { Access = VirtualDiskAccessMask.AttachRO };
                break;
            case "unrecognised content": path = HostileFiles.Write(new byte[40960], "blob.bin", folder); break;
            default: throw new ArgumentException(kind);
        }
        try
        {
            VirtualDisk.TryOpen(path, options, out var h0, out VirtualDiskError first);
            h0?.Dispose();
            Assert.That((uint)first, Is.EqualTo(expected), $"{kind}: the crafted failure");
            AssertNoLeak(3_000, () =>
            {
                if (VirtualDisk.TryOpen(path, options, out var h, out VirtualDiskError _)) { h.Dispose(); Assert.Fail("opened"); }
            }, kind);
        }
        finally
        {
            holder?.Dispose();
        }
    }
}
