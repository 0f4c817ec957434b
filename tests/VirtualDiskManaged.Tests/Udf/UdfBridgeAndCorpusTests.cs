using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Udf;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Udf;

/// <summary>
/// UDF bridge discs (ISO 9660 + UDF) made by genisoimage -udf and pycdlib, and every UDF image of the shared corpus.
/// Expected names and bytes from 7-Zip with -tudf (and from the files that were put on the disc).
/// </summary>
[TestFixture]
public sealed class UdfBridgeAndCorpusTests
{
    private static void CompareWithSevenZip(string image, FileSystemReader fs)
    {
        var view = UdfTools.ReaderView(fs);
        var list = UdfTools.SevenZipList(image);
        Assert.That(list, Is.Not.Null, "7-Zip opens the image");
        var hashes = UdfTools.SevenZipHashes(image);
        Assert.That(view.Keys.Order(StringComparer.Ordinal), Is.EqualTo(list!.Keys.Order(StringComparer.Ordinal)), "7-Zip's paths");
        foreach (var (path, (folder, size)) in list)
        {
            Assert.That(view[path].Folder, Is.EqualTo(folder), path);
            if (folder) continue;
            Assert.That(view[path].Size, Is.EqualTo(size), path);
            Assert.That(view[path].Sha, Is.EqualTo(hashes[path]), path);
        }
    }

    [Test]
    public void GenisoimageBridgeDefaultsToUdf()
    {
        UdfTools.Require("genisoimage", "7zz");
        string folder = TestPaths.NewTempFolder("udfgen");
        try
        {
            string src = Path.Combine(folder, "src");
            Directory.CreateDirectory(src);
            var put = UdfTools.WriteSourceTree(src, unicode: true);
            string image = Path.Combine(folder, "bridge.iso");
            int rc = UdfTools.Run("genisoimage", ["-quiet", "-udf", "-J", "-r", "-V", "GENISO", "-o", image, src], out var log);
            Assert.That(rc, Is.EqualTo(0), log);
            using (var auto = UdfTools.Open(image, FileSystemNamespace.Auto))
            {
                Assert.That(auto, Is.InstanceOf<UdfFileSystem>(), "Auto picks UDF on a bridge disc (as Windows)");
                Assert.That(auto.AvailableNamespaces, Does.Contain(FileSystemNamespace.Udf).And.Contain(FileSystemNamespace.Iso9660).And.Contain(FileSystemNamespace.Joliet));
                var udf = (UdfFileSystem)auto;
                Assert.That(udf.IsBridge, Is.True);
                Assert.That(udf.RevisionText, Is.EqualTo("1.02"), "genisoimage writes UDF 1.02");
                Assert.That(udf.NsrVersion, Is.EqualTo(2));
                CompareWithSevenZip(image, auto);
                var view = UdfTools.ReaderView(auto);
                foreach (var (path, data) in put) Assert.That(view["/" + path].Sha, Is.EqualTo(UdfTools.Sha256(data)), path);
                Assert.That(auto.Verify().Where(d => !d.IsWarning), Is.Empty);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void PycdlibBridgeWithSymlink()
    {
        UdfTools.Require("7zz");
        if (!File.Exists("/usr/bin/python3")) Assert.Ignore("/usr/bin/python3 (with pycdlib) is not installed");
        string folder = TestPaths.NewTempFolder("udfpyc");
        try
        {
            string image = Path.Combine(folder, "pycd.iso");
            string script = $$"""
                import io, pycdlib
                iso = pycdlib.PyCdlib()
                iso.new(interchange_level=3, vol_ident='PYCD', joliet=3, udf='2.60')
                iso.add_directory('/DIR1', joliet_path='/dir1', udf_path='/dir1')
                data = b'hello from pycdlib\n'
                iso.add_fp(io.BytesIO(data), len(data), '/DIR1/HELLO.TXT;1', joliet_path='/dir1/hello.txt', udf_path='/dir1/hello.txt')
                big = bytes((i * 7) & 255 for i in range(70000))
                iso.add_fp(io.BytesIO(big), len(big), '/BIG.BIN;1', joliet_path='/big.bin', udf_path='/big.bin')
                iso.add_symlink(udf_symlink_path='/link', udf_target='dir1/hello.txt')
                iso.write('{{image}}')
                iso.close()
                """;
            int rc = UdfTools.Run("/usr/bin/python3", ["-c", script], out var log);
            if (rc != 0 && log.Contains("No module named", StringComparison.Ordinal)) Assert.Ignore("pycdlib is not importable by /usr/bin/python3");
            Assert.That(rc, Is.EqualTo(0), log);
            using var fs = UdfTools.Open(image, FileSystemNamespace.Auto);
            Assert.That(fs, Is.InstanceOf<UdfFileSystem>());
            var link = fs.GetEntry("/link");
            Assert.That(link.Kind, Is.EqualTo(FileSystemEntryKind.Symlink));
            Assert.That(link.SymlinkTarget, Is.EqualTo("dir1/hello.txt"), "the target pycdlib was given");
            using (var s = fs.OpenFile("/dir1/hello.txt")) Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256("hello from pycdlib\n"u8.ToArray())));
            var big = new byte[70000];
            for (int i = 0; i < big.Length; i++) big[i] = (byte)(i * 7);
            using (var s = fs.OpenFile("/big.bin")) Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256(big)));
            // 7-Zip refuses a UDF volume with any symlink ("Unsupported feature"), so the files above are the oracle.
            Assert.That(fs.Verify().Where(d => !d.IsWarning), Is.Empty);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string? Corpus => TestPaths.SharedCorpus;

    public static IEnumerable<string> CorpusImages()
    {
        var corpus = Corpus;
        if (corpus is null) yield break;
        string udf = Path.Combine(corpus, "images", "udf");
        if (Directory.Exists(udf))
            foreach (var f in Directory.EnumerateFiles(udf, "*.gz").Order(StringComparer.Ordinal)) yield return Path.GetRelativePath(corpus, f);
        foreach (var f in new[] { "real/libcdio/test-udf1.iso.gz", "real/libcdio/udf102.iso.gz" })
            if (File.Exists(Path.Combine(corpus, f))) yield return f;
    }

    [TestCaseSource(nameof(CorpusImages))]
    public void CorpusImageListsAsSevenZip(string relative)
    {
        var corpus = Corpus;
        if (corpus is null) Assert.Ignore("../shared/corpus is absent");
        string image = TestPaths.Gunzip(Path.Combine(corpus, relative));
        using var fs = UdfTools.Open(image);
        var info = TestPaths.HasTool("udfinfo") ? UdfTools.UdfInfo(image) : [];
        if (info.Count > 0) Assert.That(fs.VolumeLabel, Is.EqualTo(info["lvid"]), "udfinfo lvid");
        var list = TestPaths.HasTool("7zz") ? UdfTools.SevenZipList(image) : null;
        if (list is not null && list.Count > 0) CompareWithSevenZip(image, fs);
        else
        {
            TestContext.Out.WriteLine("7-Zip does not open this image (sparable or VAT) or lists nothing; the tree is walked and read");
            _ = UdfTools.ReaderView(fs);
        }
        Assert.That(fs.Verify().Where(d => !d.IsWarning), Is.Empty);
    }

    [Test]
    public void CorpusWithoutUdfSaysNoVolume()
    {
        using var ms = new MemoryStream(new byte[1 << 20]);
        Assert.That(FileSystem.TryOpen(ms, new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf }, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.UdfAnchorNotFound));
    }
}
