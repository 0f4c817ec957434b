using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Iso9660;

/// <summary>
/// ISOs generated at test time by xorriso and genisoimage; expected names and bytes come from the source tree,
/// bsdtar and isoinfo (never from this reader).
/// </summary>
public sealed class GeneratedImageTests
{
    private string _folder = "";

    [SetUp]
    public void SetUp() => _folder = TestPaths.NewTempFolder("iso");

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static HashSet<string> BsdtarPaths(string iso) =>
        IsoTools.RunOk("bsdtar", "-tf", iso).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => "/" + l.TrimEnd('/')).Where(p => p is not "/" and not "/.").ToHashSet();

    [Test]
    public void XorrisoRockRidgeTreeListsAsBsdtarAndReadsAsTheSource()
    {
        IsoTools.Require("xorriso", "bsdtar");
        string src = IsoTools.MakeTree(_folder);
        string iso = Path.Combine(_folder, "x.iso");
        IsoTools.RunOk("xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-joliet-long", "-V", "GEN_TEST", "-o", iso, src);
        var (file, fs) = IsoTools.Open(iso);
        using (file)
        using (fs)
        {
            Assert.That(fs.Namespace, Is.EqualTo(FileSystemNamespace.RockRidge));
            Assert.That(fs.AvailableNamespaces, Is.EquivalentTo(new[] { FileSystemNamespace.RockRidge, FileSystemNamespace.Joliet, FileSystemNamespace.Iso9660 }));
            Assert.That(fs.VolumeLabel, Is.EqualTo("GEN_TEST"));
            var entries = fs.EnumerateTree("/").ToList();
            Assert.That(entries.Select(e => e.Path).ToHashSet(), Is.EquivalentTo(BsdtarPaths(iso)));
            foreach (var e in entries)
            {
                string onDisk = Path.Combine(src, e.Path.TrimStart('/'));
                var info = new FileInfo(onDisk);
                if (info.LinkTarget is { } target)
                {
                    Assert.That(e.Kind, Is.EqualTo(FileSystemEntryKind.Symlink), e.Path);
                    Assert.That(e.SymlinkTarget, Is.EqualTo(target), e.Path);
                }
                else if (Directory.Exists(onDisk)) Assert.That(e.Kind, Is.EqualTo(FileSystemEntryKind.Directory), e.Path);
                else
                {
                    Assert.That(e.Kind, Is.EqualTo(FileSystemEntryKind.File), e.Path);
                    Assert.That(e.Length, Is.EqualTo(info.Length), e.Path);
                    using var s = fs.OpenFile(e);
                    Assert.That(IsoTools.Sha256(s), Is.EqualTo(IsoTools.Sha256(onDisk)), e.Path);
                    Assert.That(e.Mode, Is.Not.Null);
                }
            }
            Assert.That(fs.Verify(), Is.Empty);
        }
    }

    [Test]
    public void JolietAndIso9660TreesMatchBsdtarAndIsoinfo()
    {
        IsoTools.Require("xorriso", "isoinfo", "bsdtar");
        string src = IsoTools.MakeTree(_folder);
        string iso = Path.Combine(_folder, "j.iso");
        IsoTools.RunOk("xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-joliet-long", "-o", iso, src);
        // Joliet: isoinfo -J for ASCII names (it cannot print UTF-8; it shows the 104-character name as recorded,
        // where bsdtar cuts Joliet names at 103 characters), bsdtar with Rock Ridge off for the non-ASCII names.
        var isoinfoJ = IsoTools.RunOk("isoinfo", "-f", "-J", "-i", iso).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var bsdtarJ = IsoTools.RunOk("bsdtar", "--options", "iso9660:!rockridge", "-tf", iso).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => "/" + l.TrimEnd('/')).Where(p => p is not "/" and not "/.");
        var joliet = isoinfoJ.Where(p => p.All(c => c is >= ' ' and < (char)0x7F)).Concat(bsdtarJ.Where(p => p.Any(c => c >= 0x80))).ToHashSet();
        Assert.That(joliet, Does.Contain("/" + new string('L', 100) + ".lon"));
        // ISO 9660: isoinfo -f, with ";1" and the trailing dot removed as every reader does.
        var plain = IsoTools.RunOk("isoinfo", "-f", "-i", iso).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(StripIso).ToHashSet();
        foreach (var (ns, expected) in new[] { (FileSystemNamespace.Joliet, joliet), (FileSystemNamespace.Iso9660, plain) })
        {
            var (file, fs) = IsoTools.Open(iso, ns);
            using (file)
            using (fs)
            {
                Assert.That(fs.Namespace, Is.EqualTo(ns));
                var ours = fs.EnumerateTree("/").Select(e => e.Path).ToHashSet();
                Assert.That(ours, Is.EquivalentTo(expected), ns.ToString());
                Assert.That(fs.Verify(), Is.Empty);
            }
        }

        static string StripIso(string p) { if (p.EndsWith(";1", StringComparison.Ordinal)) p = p[..^2]; if (p.EndsWith('.')) p = p[..^1]; return p; }
    }

    [Test]
    public void GenisoimageRelocatedTreeShowsDirectoriesAtTheirRealPlace()
    {
        IsoTools.Require("genisoimage", "bsdtar");
        string src = IsoTools.MakeTree(_folder);
        string iso = Path.Combine(_folder, "g.iso");
        IsoTools.RunOk("genisoimage", "-quiet", "-R", "-J", "-joliet-long", "-o", iso, src);
        var (file, fs) = IsoTools.Open(iso);
        using (file)
        using (fs)
        {
            var paths = fs.EnumerateTree("/").Select(e => e.Path).ToHashSet();
            Assert.That(paths, Is.EquivalentTo(BsdtarPaths(iso)));
            Assert.That(paths, Does.Contain("/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/bottom.txt"));
            Assert.That(paths.Any(p => p.Contains("rr_moved", StringComparison.OrdinalIgnoreCase)), Is.False);
            using var s = fs.OpenFile("/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/bottom.txt");
            Assert.That(new StreamReader(s).ReadToEnd(), Is.EqualTo("deep\n"));
            Assert.That(fs.Verify(), Is.Empty);
        }
        // The plain ISO 9660 tree shows RR_MOVED as recorded; lookups there ignore case.
        var (f2, iso9660) = IsoTools.Open(iso, FileSystemNamespace.Iso9660);
        using (f2)
        using (iso9660)
        {
            Assert.That(iso9660.TryGetEntry("/rr_moved", out var moved, out _), Is.True);
            Assert.That(moved!.Name, Is.EqualTo("RR_MOVED"));
            Assert.That(iso9660.GetEntry("/readme.txt").RawName, Is.EqualTo("README.TXT;1"));
        }
    }

    [Test]
    public void MultisessionImageReadsTheLastSessionByDefaultAndOthersOnRequest()
    {
        IsoTools.Require("xorriso");
        string t1 = Path.Combine(_folder, "t1"), t2 = Path.Combine(_folder, "t2");
        Directory.CreateDirectory(t1);
        Directory.CreateDirectory(t2);
        File.WriteAllText(Path.Combine(t1, "one.txt"), "first\n");
        File.WriteAllText(Path.Combine(t2, "two.txt"), "second\n");
        string iso = Path.Combine(_folder, "ms.iso");
        IsoTools.RunOk("xorriso", "-outdev", iso, "-map", t1, "/", "-commit");
        IsoTools.RunOk("xorriso", "-dev", iso, "-map", t2, "/s2", "-commit");
        // xorriso's own table of contents is the expected session list.
        var toc = IsoTools.Run("xorriso", "-indev", iso, "-toc");
        var starts = (toc.Out + toc.Err).Split('\n').Where(l => l.StartsWith("ISO session", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(',')[1].Trim())).ToList();
        Assert.That(starts, Has.Count.EqualTo(2));
        var (file, fs) = IsoTools.Open(iso);
        using (file)
        using (fs)
        {
            var iso9660 = (Iso9660FileSystem)fs;
            Assert.That(iso9660.Sessions.Select(s => s.StartSector), Is.EqualTo(starts));
            Assert.That(iso9660.Session.Index, Is.EqualTo(1));
            Assert.That(fs.TryGetEntry("/s2/two.txt", out _, out _), Is.True);
            Assert.That(fs.TryGetEntry("/one.txt", out _, out _), Is.True);
        }
        var (f0, first) = IsoTools.Open(iso, session: 0);
        using (f0)
        using (first)
        {
            Assert.That(first.TryGetEntry("/s2", out _, out var failure), Is.False);
            Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.FileSystemEntryNotFound));
            using var s = first.OpenFile("/one.txt");
            Assert.That(new StreamReader(s).ReadToEnd(), Is.EqualTo("first\n"));
        }
        using var f = File.OpenRead(iso);
        Assert.That(FileSystem.TryOpen(f, new FileSystemOpenOptions { Session = 5 }, out _, out var bad), Is.False);
        Assert.That(bad!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoSessionNotFound));
    }

    [Test]
    public void DescriptorFieldsMatchIsoinfo()
    {
        IsoTools.Require("genisoimage", "isoinfo");
        string src = Path.Combine(_folder, "d");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "a"), "x\n");
        string iso = Path.Combine(_folder, "d.iso");
        IsoTools.RunOk("genisoimage", "-quiet", "-R", "-J", "-V", "MYVOL", "-A", "MY APP", "-publisher", "ME PUB", "-p", "PREP", "-sysid", "SYS1", "-volset", "SET1", "-o", iso, src);
        var d = IsoTools.RunOk("isoinfo", "-d", "-i", iso).Split('\n').Where(l => l.Contains(':') || l.Contains(" is: ", StringComparison.Ordinal))
            .Select(l => l.Contains(" is: ", StringComparison.Ordinal) ? l.Split(" is: ") : l.Split(": ", 2)).Where(a => a.Length == 2).ToDictionary(a => a[0].Trim(), a => a[1].Trim());
        var (file, fs) = IsoTools.Open(iso);
        using (file)
        using (fs)
        {
            var iso9660 = (Iso9660FileSystem)fs;
            var p = iso9660.PrimaryVolumeDescriptor;
            Assert.That(p.SystemIdentifier, Is.EqualTo(d["System id"]));
            Assert.That(p.VolumeIdentifier, Is.EqualTo(d["Volume id"]));
            Assert.That(p.VolumeSetIdentifier, Is.EqualTo(d["Volume set id"]));
            Assert.That(p.PublisherIdentifier, Is.EqualTo(d["Publisher id"]));
            Assert.That(p.DataPreparerIdentifier, Is.EqualTo(d["Data preparer id"]));
            Assert.That(p.ApplicationIdentifier, Is.EqualTo(d["Application id"]));
            Assert.That(p.VolumeSetSize.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(d["Volume set size"]));
            Assert.That(p.LogicalBlockSize.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(d["Logical block size"]));
            Assert.That(p.VolumeSpaceSize.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(d["Volume size"]));
            Assert.That(iso9660.JolietVolumeDescriptor!.JolietLevel, Is.EqualTo(3), "isoinfo: Joliet with UCS level 3");
            Assert.That(iso9660.JolietVolumeDescriptor.VolumeIdentifier, Is.EqualTo("MYVOL"));
            Assert.That(iso9660.HasRockRidge, Is.True, "isoinfo: Rock Ridge signatures found");
            Assert.That(iso9660.VolumeDescriptors.Select(v => v.Type), Is.EqualTo(new[] { IsoVolumeDescriptorType.Primary, IsoVolumeDescriptorType.Supplementary, IsoVolumeDescriptorType.Terminator }));
            Assert.That(p.CreationTime, Is.Not.Null);
        }
    }
}
