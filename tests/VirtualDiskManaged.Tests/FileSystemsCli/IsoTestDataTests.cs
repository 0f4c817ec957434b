using System.Text.Json;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Extraction;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.FileSystemsCli;

/// <summary>
/// Every valid image of testdata/iso-fs lists and extracts with the names and bytes the independent readers report
/// (expected.json, made by make.sh from bsdtar, 7-Zip and osirrox — never from this library). Which reader a
/// namespace is held to, and why:
/// <list type="bullet">
/// <item>Rock Ridge (the default where present): bsdtar's listing and extraction (names, types, sizes, SHA-256,
/// link targets, file mtimes), and osirrox's listing. osirrox also lists <c>/rr_moved</c>, the directory that only
/// holds relocated directories (RRIP §4.1.5: CL/PL/RE); the library hides it as libarchive does, so bsdtar is
/// followed there.</item>
/// <item>Joliet: 7-Zip, the one tool here that reads the Joliet tree (it ignores Rock Ridge): its listing, minus
/// the <c>[BOOT]/…</c> entries it makes up for El Torito images, and its bytes — except on the zisofs image, whose
/// files 7-Zip writes still compressed (it does not read RRIP ZF); bsdtar and osirrox inflate them, and so does
/// the library.</item>
/// <item>Plain ISO 9660 (an image with neither): all three tools, which agree.</item>
/// </list>
/// </summary>
[TestFixture]
public sealed class IsoTestDataTests
{
    public static IEnumerable<string> Images() =>
        FsTestSupport.ExpectedImages.EnumerateObject().Select(p => p.Name).Where(n => !n.StartsWith("crafted-", StringComparison.Ordinal));

    /// <summary>The images make.sh writes with Rock Ridge and Joliet: all but the plain level-1 one.</summary>
    public static IEnumerable<string> ExtendedImages() => Images().Where(n => n != PlainImage);

    private const string PlainImage = "genisoimage-plain-l1.iso.gz";

    /// <summary>genisoimage without -R/-J: the reader finds only the ISO 9660 tree (isoinfo -d agrees: no Joliet, no Rock Ridge).</summary>
    [Test]
    public void ThePlainImageHasOnlyTheIso9660Tree()
    {
        var (file, reader) = FsTestSupport.Open(Image(PlainImage));
        using (file)
        using (reader)
        {
            Assert.That(reader.AvailableNamespaces, Is.EquivalentTo(new[] { FileSystemNamespace.Iso9660 }));
            Assert.That(reader.Namespace, Is.EqualTo(FileSystemNamespace.Iso9660));
        }
        if (!TestPaths.HasTool("isoinfo")) return;
        var r = Cli.CliRunner.RunProcess("isoinfo", ["-d", "-i", Image(PlainImage)]);
        Assert.That(r.Stdout, Does.Contain("NO Joliet present").And.Not.Contain("Rock Ridge signatures"));
    }

    private static JsonElement Tools(string image) => FsTestSupport.ExpectedImages.GetProperty(image).GetProperty("tools");

    private static string Image(string image) => TestPaths.TestDataImage(Path.Combine("iso-fs", image));

    [TestCaseSource(nameof(ExtendedImages))]
    public void RockRidgeListsLikeBsdtarAndOsirrox(string image)
    {
        var (file, reader) = FsTestSupport.Open(Image(image));
        using (file)
        using (reader)
        {
            Assert.That(reader.AvailableNamespaces, Does.Contain(FileSystemNamespace.RockRidge), "make.sh writes Rock Ridge on this image");
            Assert.That(reader.Namespace, Is.EqualTo(FileSystemNamespace.RockRidge), "auto picks Rock Ridge when present");
            var listed = FsTestSupport.Listing(reader);
            var bsdtar = FsTestSupport.Listed(Tools(image).GetProperty("bsdtar"));
            Assert.That(listed, Is.EqualTo(bsdtar), FsTestSupport.Difference(bsdtar, listed));
            var osirrox = FsTestSupport.Listed(Tools(image).GetProperty("osirrox"));
            osirrox.Remove("/rr_moved");
            Assert.That(listed, Is.EqualTo(osirrox), FsTestSupport.Difference(osirrox, listed));
        }
    }

    [TestCaseSource(nameof(ExtendedImages))]
    public void JolietListsLike7Zip(string image)
    {
        using var probe = new FileStream(Image(image), FileMode.Open, FileAccess.Read);
        using (var auto = FileSystem.Open(probe))
            Assert.That(auto.AvailableNamespaces, Does.Contain(FileSystemNamespace.Joliet), "make.sh writes Joliet on this image");
        var (file, reader) = FsTestSupport.Open(Image(image), FileSystemNamespace.Joliet);
        using (file)
        using (reader)
        {
            var listed = FsTestSupport.Listing(reader);
            var sevenZip = FsTestSupport.Listed(Tools(image).GetProperty("7zz"));
            sevenZip.RemoveWhere(p => p == "/[BOOT]" || p.StartsWith("/[BOOT]/", StringComparison.Ordinal));
            Assert.That(listed, Is.EqualTo(sevenZip), FsTestSupport.Difference(sevenZip, listed));
        }
    }

    [TestCaseSource(nameof(Images))]
    public void ExtractsTheBytesBsdtarExtracts(string image)
    {
        string target = TestPaths.NewTempFolder("iso-fs-x");
        try
        {
            var (file, reader) = FsTestSupport.Open(Image(image));
            FileSystemExtractionResult result;
            using (file)
            using (reader)
                result = FileSystemExtractor.Extract(reader, target);
            Assert.That(result.Failures, Is.Empty, string.Join("\n", result.Failures));
            var problems = FsTestSupport.Compare(FsTestSupport.Entries(Tools(image).GetProperty("bsdtar")), FsTestSupport.Walk(target), mtimes: true);
            Assert.That(problems, Is.Empty, string.Join("\n", problems.Take(20)));
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [TestCaseSource(nameof(ExtendedImages))]
    public void JolietExtractsThe7ZipBytes(string image)
    {
        using (var probe = new FileStream(Image(image), FileMode.Open, FileAccess.Read))
        using (var auto = FileSystem.Open(probe))
            Assert.That(auto.AvailableNamespaces, Does.Contain(FileSystemNamespace.Joliet), "make.sh writes Joliet on this image");
        string target = TestPaths.NewTempFolder("iso-fs-j");
        try
        {
            var (file, reader) = FsTestSupport.Open(Image(image), FileSystemNamespace.Joliet);
            FileSystemExtractionResult result;
            using (file)
            using (reader)
                result = FileSystemExtractor.Extract(reader, target);
            Assert.That(result.Failures, Is.Empty, string.Join("\n", result.Failures));
            var expected = FsTestSupport.Entries(Tools(image).GetProperty("7zz"));
            foreach (var k in expected.Keys.Where(p => p == "/[BOOT]" || p.StartsWith("/[BOOT]/", StringComparison.Ordinal)).ToList()) expected.Remove(k);
            // 7-Zip writes zisofs files still compressed (it does not read RRIP ZF): names only on that image.
            bool zisofs = image.Contains("zisofs", StringComparison.Ordinal);
            var problems = FsTestSupport.Compare(expected, FsTestSupport.Walk(target), mtimes: false, skipContent: _ => zisofs);
            Assert.That(problems, Is.Empty, string.Join("\n", problems.Take(20)));
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [Test]
    public void ThePlainImageListsLikeAllThreeTools()
    {
        const string image = "genisoimage-plain-l1.iso.gz";
        var (file, reader) = FsTestSupport.Open(Image(image));
        using (file)
        using (reader)
        {
            Assert.That(reader.Namespace, Is.EqualTo(FileSystemNamespace.Iso9660));
            var listed = FsTestSupport.Listing(reader);
            foreach (string tool in new[] { "bsdtar", "7zz", "osirrox" })
            {
                var theirs = FsTestSupport.Listed(Tools(image).GetProperty(tool));
                Assert.That(listed, Is.EqualTo(theirs), tool + ": " + FsTestSupport.Difference(theirs, listed));
            }
        }
    }

    [Test]
    public void MultisessionReadsTheLastSessionLikeEveryTool()
    {
        var (file, reader) = FsTestSupport.Open(Image("xorriso-multisession.iso.gz"));
        using (file)
        using (reader)
        {
            var listed = FsTestSupport.Listing(reader);
            Assert.That(listed, Does.Contain("/session2.txt"));
            Assert.That(listed, Does.Not.Contain("/empty.txt"));
        }
    }

    [Test]
    public void TheGeneratorAndItsReferenceAreInTheRepository()
    {
        foreach (string f in new[] { "make.sh", "expected.py", "pycdlib-image.py", "craft-unsafe.py", "expected.json", "README.md" })
            Assert.That(File.Exists(Path.Combine(FsTestSupport.IsoFsFolder, f)), f);
        long total = Directory.EnumerateFiles(TestPaths.TestData, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.That(total, Is.LessThan(20L << 20), "testdata/ stays well under 20 MB");
    }
}
