using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Udf;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Udf;

/// <summary>
/// Images made at test time by mkudffs (every media type and revision it offers, 512/2048/4096-byte blocks,
/// strategy 4096, FE-only, short/long ADs), filled by udfclient where it can write them; the expected listing and
/// per-file SHA-256 come from 7-Zip (<c>7zz l -slt</c>, <c>7zz x</c>) when it opens the image, otherwise from the files
/// that were put on it; label, revision, block size and counts from udfinfo. Never from this library.
/// </summary>
[TestFixture]
public sealed class UdfToolImageTests
{
    public sealed record Case(string Media, int BlockSize, string Revision, string Extra = "", bool Fill = true, int Blocks = 0)
    {
        public override string ToString() => $"{Media}-b{BlockSize}-r{Revision}{Extra.Replace(' ', '_')}";
    }

    public static IEnumerable<Case> Cases()
    {
        // hd: rewritable media, every revision mkudffs allows there (1.01 to 2.01) and every block size.
        foreach (var rev in new[] { "1.02", "1.50", "2.00", "2.01" }) yield return new("hd", 2048, rev);
        yield return new("hd", 512, "2.01", Blocks: 40000);
        yield return new("hd", 4096, "2.01");
        yield return new("hd", 1024, "2.01", Blocks: 20000);
        yield return new("hd", 2048, "2.01", "--strategy=4096");
        yield return new("hd", 2048, "2.01", "--noefe");
        yield return new("hd", 2048, "2.01", "--ad=short");
        yield return new("hd", 2048, "2.01", "--ad=long");
        yield return new("hd", 512, "2.01", "--strategy=4096", Blocks: 40000);
        yield return new("dvdram", 2048, "2.01");
        // mkudffs 2.3 refuses the mo and worm media types on image files at any size ("Not enough blocks on
        // device"), so they are not in this list (a case that can never run would only ever be skipped).
        yield return new("cdrw", 2048, "1.50", Blocks: 40000);
        yield return new("cdrw", 2048, "2.01", Blocks: 40000);
        yield return new("dvdrw", 2048, "2.01", Blocks: 40000);
        // Read-only and write-once media: udfclient cannot write them (read-only access type; VAT images hang it).
        yield return new("dvd", 2048, "1.02", Fill: false);
        yield return new("dvd", 2048, "2.01", Fill: false);
        yield return new("cd", 2048, "2.01", Fill: false);
        foreach (var rev in new[] { "1.50", "2.00", "2.01" }) yield return new("cdr", 2048, rev, Fill: false);
        yield return new("cdr", 2048, "2.01", "--closed", Fill: false);
        foreach (var rev in new[] { "1.50", "2.01", "2.50", "2.60" }) yield return new("dvdr", 2048, rev, Fill: false);
        foreach (var rev in new[] { "2.50", "2.60" }) yield return new("bdr", 2048, rev, Fill: false);
    }

    [TestCaseSource(nameof(Cases))]
    public void ListsAndReadsAsTheToolsSay(Case c)
    {
        UdfTools.Require("mkudffs", "udfinfo");
        string folder = TestPaths.NewTempFolder("udfmk");
        try
        {
            string image = Path.Combine(folder, "image.udf");
            int blocks = c.Blocks > 0 ? c.Blocks : 8000;
            var args = new List<string> { "--new-file", "-m", c.Media, "-b", c.BlockSize.ToString(), "-r", c.Revision, "--label=UDFTEST" };
            if (c.Extra.Length > 0) args.AddRange(c.Extra.Split(' '));
            args.Add(image);
            args.Add(blocks.ToString());
            int rc = UdfTools.Run("mkudffs", args, out var log);
            if (rc != 0) Assert.Ignore($"mkudffs refuses {c}: {log.Trim().Split('\n').Last()}");

            Dictionary<string, byte[]>? put = null;
            if (c.Fill && TestPaths.HasTool("udfclient"))
            {
                string src = Path.Combine(folder, "src");
                Directory.CreateDirectory(src);
                var tree = UdfTools.WriteSourceTree(src);
                if (UdfTools.Populate(image, c.BlockSize, src, out var plog)) put = tree;
                else TestContext.Out.WriteLine($"udfclient could not fill {c}: {plog[^Math.Min(300, plog.Length)..]}");
            }

            var info = UdfTools.UdfInfo(image);
            using var fs = (UdfFileSystem)UdfTools.Open(image);
            var view = UdfTools.ReaderView(fs);

            Assert.That(fs.BlockSize, Is.EqualTo(c.BlockSize), "block size");
            if (info.Count > 0)
            {
                Assert.That(fs.VolumeLabel, Is.EqualTo(info["lvid"]), "udfinfo lvid");
                Assert.That(fs.VolumeIdentifier, Is.EqualTo(info["vid"]), "udfinfo vid");
                Assert.That(fs.FileSetIdentifier, Is.EqualTo(info["fsid"]), "udfinfo fsid");
                Assert.That(fs.VolumeSetIdentifier, Is.EqualTo(info["fullvsid"]), "udfinfo fullvsid");
                Assert.That(fs.BlockSize.ToString(), Is.EqualTo(info["blocksize"]), "udfinfo blocksize");
                Assert.That(fs.Integrity.State.ToString().ToLowerInvariant(), Is.EqualTo(info["integrity"]), "udfinfo integrity");
                int files = view.Count(v => !v.Value.Folder), dirs = view.Count(v => v.Value.Folder) + 1;
                Assert.That(files.ToString(), Is.EqualTo(info["numfiles"]), "udfinfo numfiles");
                Assert.That(dirs.ToString(), Is.EqualTo(info["numdirs"]), "udfinfo numdirs");
                string expectedKind = c.Extra.Contains("vat") || c.Media is "cdr" or "dvdr" or "bdr" ? "Virtual" : c.Media is "cdrw" or "dvdrw" ? "Sparable" : "Physical";
                Assert.That(fs.Partitions[^1].Kind.ToString(), Is.EqualTo(expectedKind), "partition kind for the media type");
            }
            Assert.That(fs.Verify().Where(d => !d.IsWarning), Is.Empty, "deep check of a tool-made image");

            var sevenZip = TestPaths.HasTool("7zz") ? UdfTools.SevenZipList(image) : null;
            if (sevenZip is not null && sevenZip.Count > 0)
            {
                var hashes = UdfTools.SevenZipHashes(image);
                Assert.That(view.Keys.Order(StringComparer.Ordinal), Is.EqualTo(sevenZip.Keys.Order(StringComparer.Ordinal)), "7-Zip's paths");
                foreach (var (path, (folderFlag, size)) in sevenZip)
                {
                    Assert.That(view[path].Folder, Is.EqualTo(folderFlag), path);
                    if (!folderFlag)
                    {
                        Assert.That(view[path].Size, Is.EqualTo(size), path);
                        Assert.That(view[path].Sha, Is.EqualTo(hashes[path]), path);
                    }
                }
            }
            else TestContext.Out.WriteLine($"7-Zip does not open {c}; expected values are the files put on it");
            if (put is not null)
            {
                foreach (var (path, data) in put)
                {
                    Assert.That(view.ContainsKey("/" + path), "/" + path);
                    Assert.That(view["/" + path].Sha, Is.EqualTo(UdfTools.Sha256(data)), path);
                }
                Assert.That(view.Count(v => !v.Value.Folder && !v.Key.StartsWith("/Non-Allocatable", StringComparison.Ordinal)), Is.EqualTo(put.Count), "file count");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
