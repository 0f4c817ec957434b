using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Extraction;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.FileSystemsCli;

/// <summary>
/// Extraction of crafted images (testdata/iso-fs/craft-unsafe.py: bytes of pycdlib images patched) whose Rock Ridge
/// and Joliet names would leave the target folder, and whose symlink precedes a directory of the same name. What
/// the independent tools do is recorded in expected.json (bsdtar refuses "..", 7-Zip renames, osirrox refuses);
/// the library refuses and reports each, and nothing is ever written outside the target.
/// </summary>
[TestFixture]
public sealed class ExtractionSafetyImageTests
{
    private string _work = "";

    [SetUp]
    public void Folder() => _work = TestPaths.NewTempFolder("safety");

    [TearDown]
    public void Clean() => Directory.Delete(_work, recursive: true);

    private static string Image(string name) => TestPaths.TestDataImage(Path.Combine("iso-fs", name));

    private FileSystemExtractionResult Extract(string image, FileSystemNamespace ns, string target, FileSystemExtractionOptions? options = null)
    {
        var (file, reader) = FsTestSupport.Open(Image(image), ns);
        using (file)
        using (reader)
            return FileSystemExtractor.Extract(reader, target, options);
    }

    private List<string> Outside(string target) =>
        [.. Directory.EnumerateFileSystemEntries(_work, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(target + Path.DirectorySeparatorChar, StringComparison.Ordinal) && p != target)];

    [TestCase(FileSystemNamespace.RockRidge)]
    [TestCase(FileSystemNamespace.Joliet)]
    public void UnsafeNamesAreRefusedOneByOne(FileSystemNamespace ns)
    {
        // The image is nested two levels down so that ".." and "." would land inside _work if followed.
        string target = Path.Combine(_work, "a", "target");
        var r = Extract("crafted-unsafe-names.iso.gz", ns, target);
        Assert.That(r.FilesExtracted, Is.EqualTo(1));
        Assert.That(File.ReadAllText(Path.Combine(target, "safe.txt")), Is.EqualTo("this one is fine\n"));
        var refused = r.Failures.Where(f => f.Reason == VirtualDiskErrorReason.ExtractionUnsafeName).Select(f => f.EntryPath).Order(StringComparer.Ordinal).ToList();
        Assert.That(refused, Is.EqualTo(new[] { "/.", "/..", "/nul\0name", "/sl/sh" }), string.Join("\n", r.Failures));
        Assert.That(r.Failures, Has.Count.EqualTo(4));
        Assert.That(Outside(target), Is.EqualTo(new[] { Path.Combine(_work, "a") }), "only the target's parent stands outside it");
        Assert.That(Directory.EnumerateFileSystemEntries(target), Has.Exactly(1).Items);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ALinkBeforeADirectoryOfTheSameNameIsNeverWrittenThrough(bool overwrite)
    {
        string target = Path.Combine(_work, "target");
        string outside = Path.Combine(_work, "outside");
        Directory.CreateDirectory(outside);
        var r = Extract("crafted-link-then-dir.iso.gz", FileSystemNamespace.RockRidge, target, new() { Overwrite = overwrite });
        Assert.That(r.SymbolicLinksCreated, Is.EqualTo(1));
        var f = r.Failures.Single();
        Assert.That(f.Reason, Is.EqualTo(VirtualDiskErrorReason.ExtractionPathThroughLink));
        Assert.That(f.EntryPath, Is.EqualTo("/zzzzzz"));
        Assert.That(Directory.EnumerateFileSystemEntries(outside), Is.Empty, "pwned.txt went through the link");
        Assert.That(new FileInfo(Path.Combine(target, "zzzzzz")).LinkTarget, Is.EqualTo("../outside"));
    }

    [Test]
    public void ALinkAlreadyInTheTargetIsNotWrittenThroughEither()
    {
        // A real image's directory, extracted into a folder where someone planted a link of that name.
        string target = Path.Combine(_work, "target");
        string outside = Path.Combine(_work, "outside");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(target);
        File.CreateSymbolicLink(Path.Combine(target, "docs"), outside);
        var r = Extract("pycdlib-rr-joliet.iso.gz", FileSystemNamespace.RockRidge, target);
        Assert.That(r.Failures.Select(x => (x.Reason, x.EntryPath)), Is.EqualTo(new[] { (VirtualDiskErrorReason.ExtractionPathThroughLink, (string?)"/docs") }));
        Assert.That(Directory.EnumerateFileSystemEntries(outside), Is.Empty);
        Assert.That(File.Exists(Path.Combine(target, "README.txt")));
    }
}
