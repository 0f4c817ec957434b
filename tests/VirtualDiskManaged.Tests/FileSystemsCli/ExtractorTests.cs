using System.Text;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Extraction;
using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.FileSystemsCli.MemoryFileSystem;

namespace VirtualDiskManaged.Tests.FileSystemsCli;

/// <summary>
/// FileSystemExtractor's rules (docs/filesystems-cli.md "Extraction safety") on a file system held in memory:
/// names that would leave the target, links planted before writing through them, lengths, failures, times.
/// </summary>
[TestFixture]
public sealed class ExtractorTests
{
    private string _work = "";
    private string _target = "";
    private string _outside = "";

    [SetUp]
    public void Folders()
    {
        _work = TestPaths.NewTempFolder("extract");
        _target = Path.Combine(_work, "target");
        _outside = Path.Combine(_work, "outside");
        Directory.CreateDirectory(_outside);
    }

    [TearDown]
    public void Clean()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static readonly DateTimeOffset T1 = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private static readonly DateTimeOffset T2 = new(2019, 12, 31, 23, 59, 58, TimeSpan.Zero);

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private FileSystemExtractionResult Extract(Node root, FileSystemExtractionOptions? options = null)
    {
        using var fs = new MemoryFileSystem(root);
        return FileSystemExtractor.Extract(fs, _target, options);
    }

    private void AssertNothingOutside() =>
        Assert.That(Directory.EnumerateFileSystemEntries(_outside, "*", SearchOption.AllDirectories), Is.Empty, "something was written outside the target");

    private void AssertNoTempFiles() =>
        Assert.That(Directory.Exists(_target) ? Directory.EnumerateFiles(_target, ".vdisk-*", SearchOption.AllDirectories) : [], Is.Empty, "a temp file was left");

    [TestCase(1)]
    [TestCase(4)]
    public void ExtractsFilesDirectoriesLinksAndTimes(int parallelism)
    {
        var big = new byte[3 * (1 << 20) + 17];
        new Random(5).NextBytes(big);
        var root = Dir("",
            File("a.txt", Bytes("hello"), T1),
            File("empty", [], T2),
            Dir("sub", File("big.bin", big, T2), Link("ln", "../a.txt")),
            Dir("ünïcødé ✓", File("名前.txt", Bytes("x"))));
        var r = Extract(root, new FileSystemExtractionOptions { MaxParallelism = parallelism });
        Assert.That(r.Failures, Is.Empty, string.Join("\n", r.Failures));
        Assert.That(r.FilesExtracted, Is.EqualTo(4));
        Assert.That(r.SymbolicLinksCreated, Is.EqualTo(1));
        Assert.That(r.DirectoriesCreated, Is.EqualTo(2));
        Assert.That(r.BytesWritten, Is.EqualTo(5 + big.Length + 1));
        Assert.That(System.IO.File.ReadAllText(Path.Combine(_target, "a.txt")), Is.EqualTo("hello"));
        Assert.That(new FileInfo(Path.Combine(_target, "empty")).Length, Is.Zero);
        Assert.That(System.IO.File.ReadAllBytes(Path.Combine(_target, "sub", "big.bin")), Is.EqualTo(big));
        Assert.That(System.IO.File.ReadAllText(Path.Combine(_target, "ünïcødé ✓", "名前.txt")), Is.EqualTo("x"));
        Assert.That(System.IO.File.GetLastWriteTimeUtc(Path.Combine(_target, "a.txt")), Is.EqualTo(T1.UtcDateTime));
        Assert.That(System.IO.File.GetLastWriteTimeUtc(Path.Combine(_target, "sub", "big.bin")), Is.EqualTo(T2.UtcDateTime));
        if (!OperatingSystem.IsWindows())
            Assert.That(new FileInfo(Path.Combine(_target, "sub", "ln")).LinkTarget, Is.EqualTo("../a.txt"));
        AssertNoTempFiles();
    }

    [Test]
    public void DirectoryTimesAreSetAfterTheirContent()
    {
        var root = Dir("", new Node { Name = "d", Kind = FileSystemEntryKind.Directory, Time = T2 });
        root.Children[0].Children.Add(File("f", Bytes("1"), T1));
        var r = Extract(root);
        Assert.That(r.Failures, Is.Empty);
        Assert.That(Directory.GetLastWriteTimeUtc(Path.Combine(_target, "d")), Is.EqualTo(T2.UtcDateTime));
    }

    [TestCase("..")]
    [TestCase(".")]
    [TestCase("")]
    [TestCase("a/../../outside/x")]
    [TestCase("../outside/x")]
    [TestCase("evil\0name")]
    public void UnsafeNamesAreRefusedAndReported(string name)
    {
        var root = Dir("", File(name, Bytes("pwn")), Dir(name, File("x", Bytes("pwn"))), Link(name, "/etc/passwd"), File("ok", Bytes("fine")));
        var r = Extract(root);
        Assert.That(r.Failures, Has.Count.EqualTo(3), string.Join("\n", r.Failures));
        Assert.That(r.Failures.Select(f => f.Reason), Is.All.EqualTo(VirtualDiskErrorReason.ExtractionUnsafeName));
        Assert.That(r.Failures.Select(f => f.EntryPath), Is.All.Not.Null);
        Assert.That(System.IO.File.ReadAllText(Path.Combine(_target, "ok")), Is.EqualTo("fine"));
        Assert.That(Directory.EnumerateFileSystemEntries(_target), Has.Exactly(1).Items);
        AssertNothingOutside();
    }

    [Test]
    public void AbsolutePathsAreNamesWithASeparatorAndRefused()
    {
        var r = Extract(Dir("", File(_outside + "/abs", Bytes("pwn"))));
        Assert.That(r.Failures.Single().Reason, Is.EqualTo(VirtualDiskErrorReason.ExtractionUnsafeName));
        AssertNothingOutside();
    }

    [Test]
    public void ALinkIsNeverFollowedByALaterDirectoryOfTheSameName()
    {
        // A crafted image: symlink "a" -> outside, then a directory "a" holding a file.
        var root = Dir("", Link("a", _outside), Dir("a", File("pwn", Bytes("pwn")), Dir("deeper", File("x", Bytes("x")))));
        var r = Extract(root);
        Assert.That(r.Failures.Select(f => f.Reason), Is.EqualTo(new[] { VirtualDiskErrorReason.ExtractionPathThroughLink }), string.Join("\n", r.Failures));
        Assert.That(r.Failures[0].EntryPath, Is.EqualTo("/a"));
        AssertNothingOutside();
    }

    [Test]
    public void ALinkIsNeverFollowedByALaterFileOfTheSameName()
    {
        string victim = Path.Combine(_outside, "victim");
        var root = Dir("", Link("f", victim), File("f", Bytes("pwn")));
        var r = Extract(root);
        Assert.That(r.Failures.Single().Reason, Is.EqualTo(VirtualDiskErrorReason.ExtractionTargetExists));
        AssertNothingOutside();
        AssertNoTempFiles();
    }

    [Test]
    public void OverwriteReplacesTheLinkItselfNotItsTarget()
    {
        string victim = Path.Combine(_outside, "victim");
        System.IO.File.WriteAllText(victim, "original");
        var root = Dir("", Link("f", victim), File("f", Bytes("new")));
        var r = Extract(root, new FileSystemExtractionOptions { Overwrite = true, MaxParallelism = 1 });
        Assert.That(r.Failures, Is.Empty, string.Join("\n", r.Failures));
        Assert.That(System.IO.File.ReadAllText(victim), Is.EqualTo("original"));
        string f = Path.Combine(_target, "f");
        Assert.That(new FileInfo(f).LinkTarget, Is.Null);
        Assert.That(System.IO.File.ReadAllText(f), Is.EqualTo("new"));
    }

    [Test]
    public void ALinkAlreadyInTheTargetIsNotWrittenThrough()
    {
        Directory.CreateDirectory(_target);
        System.IO.File.CreateSymbolicLink(Path.Combine(_target, "sub"), _outside);
        var root = Dir("", Dir("sub", File("pwn", Bytes("pwn"))));
        var r = Extract(root);
        Assert.That(r.Failures.Single().Reason, Is.EqualTo(VirtualDiskErrorReason.ExtractionPathThroughLink));
        AssertNothingOutside();
    }

    [Test]
    public void SelectedPathsThroughAPlantedLinkAreRefused()
    {
        Directory.CreateDirectory(_target);
        System.IO.File.CreateSymbolicLink(Path.Combine(_target, "sub"), _outside);
        var root = Dir("", Dir("sub", File("pwn", Bytes("pwn"))));
        var r = Extract(root, new FileSystemExtractionOptions { Paths = ["/sub/pwn"] });
        Assert.That(r.Failures.Single().Reason, Is.EqualTo(VirtualDiskErrorReason.ExtractionPathThroughLink));
        AssertNothingOutside();
    }

    [Test]
    public void ExistingFilesAreKeptWithoutOverwrite()
    {
        Directory.CreateDirectory(_target);
        System.IO.File.WriteAllText(Path.Combine(_target, "f"), "mine");
        var r = Extract(Dir("", File("f", Bytes("theirs"))));
        Assert.That(r.Failures.Single().Reason, Is.EqualTo(VirtualDiskErrorReason.ExtractionTargetExists));
        Assert.That(System.IO.File.ReadAllText(Path.Combine(_target, "f")), Is.EqualTo("mine"));
        AssertNoTempFiles();
    }

    [Test]
    public void AShortFileNeverStandsAtItsFinalName()
    {
        var root = Dir("", new Node { Name = "short", Kind = FileSystemEntryKind.File, Content = Bytes("abc"), RecordedLength = 10 },
            new Node { Name = "long", Kind = FileSystemEntryKind.File, Content = Bytes("abcdef"), RecordedLength = 2 });
        var r = Extract(root);
        Assert.That(r.Failures.Select(f => f.Reason), Is.All.EqualTo(VirtualDiskErrorReason.ExtractionLengthMismatch));
        Assert.That(r.Failures, Has.Count.EqualTo(2));
        Assert.That(Directory.EnumerateFileSystemEntries(_target), Is.Empty);
    }

    [Test]
    public void AnUnreadableFileIsReportedAndTheRestExtracted()
    {
        var root = Dir("", new Node { Name = "bad", Kind = FileSystemEntryKind.File, Content = Bytes("x"), FailOpen = true }, File("good", Bytes("g")));
        var r = Extract(root);
        var f = r.Failures.Single();
        Assert.That(f.Reason, Is.EqualTo(VirtualDiskErrorReason.ExtractionReadFailed));
        Assert.That(f.Inner!.Reason, Is.EqualTo(VirtualDiskErrorReason.FileSystemReadFailed));
        Assert.That(f.EntryPath, Is.EqualTo("/bad"));
        Assert.That(System.IO.File.Exists(Path.Combine(_target, "good")));
        Assert.That(System.IO.File.Exists(Path.Combine(_target, "bad")), Is.False);
    }

    [Test]
    public void SpecialFilesAreReported()
    {
        var r = Extract(Dir("", new Node { Name = "fifo", Kind = FileSystemEntryKind.Fifo }, new Node { Name = "dev", Kind = FileSystemEntryKind.CharacterDevice }));
        Assert.That(r.Failures.Select(f => f.Reason), Is.All.EqualTo(VirtualDiskErrorReason.ExtractionSpecialFileSkipped));
        Assert.That(r.Failures, Has.Count.EqualTo(2));
    }

    [Test]
    public void ARepeatedDirectoryIsExtractedOnce()
    {
        var loop = Dir("loop", File("f", Bytes("1")));
        loop.ExtentOffset = 777 * 2048;
        var twin = Dir("twin");
        twin.ExtentOffset = 777 * 2048; // the same directory data reached under another name (a cycle in a crafted image)
        loop.Children.Add(twin);
        var r = Extract(Dir("", loop));
        Assert.That(r.Failures.Single().Reason, Is.EqualTo(VirtualDiskErrorReason.ExtractionDirectoryRepeated));
        Assert.That(r.Failures.Single().EntryPath, Is.EqualTo("/loop/twin"));
    }

    [Test]
    public void SelectedPathsOnly()
    {
        var root = Dir("", Dir("a", Dir("b", File("c", Bytes("c")))), File("d", Bytes("d")), File("e", Bytes("e")));
        var r = Extract(root, new FileSystemExtractionOptions { Paths = ["/a/b", "e", "/a/b/c", "/missing"] });
        Assert.That(r.Failures.Single().Reason, Is.EqualTo(VirtualDiskErrorReason.FileSystemEntryNotFound));
        Assert.That(r.Failures.Single().EntryPath, Is.EqualTo("/missing"));
        Assert.That(System.IO.File.ReadAllText(Path.Combine(_target, "a", "b", "c")), Is.EqualTo("c"));
        Assert.That(System.IO.File.Exists(Path.Combine(_target, "e")));
        Assert.That(System.IO.File.Exists(Path.Combine(_target, "d")), Is.False);
        Assert.That(r.FilesExtracted, Is.EqualTo(2));
    }

    [Test]
    public void CancellationStopsAndLeavesNoTempFiles()
    {
        var root = Dir("");
        for (int i = 0; i < 200; i++) root.Children.Add(File("f" + i, new byte[100_000]));
        using var cts = new CancellationTokenSource();
        int seen = 0;
        var progress = new SyncProgress(_ => { if (Interlocked.Increment(ref seen) == 20) cts.Cancel(); });
        using var fs = new MemoryFileSystem(root);
        Assert.That(() => FileSystemExtractor.Extract(fs, _target, new FileSystemExtractionOptions { Progress = progress }, cts.Token),
            Throws.InstanceOf<OperationCanceledException>());
        AssertNoTempFiles();
        Assert.That(Directory.EnumerateFiles(_target).Count(), Is.LessThan(200));
    }

    [Test]
    public void ProgressCountsEveryEntry()
    {
        var reports = new List<FileSystemExtractionProgress>();
        var progress = new SyncProgress(p => { lock (reports) reports.Add(p); });
        var r = Extract(Dir("", File("a", Bytes("12")), Dir("d", File("b", Bytes("345")))), new FileSystemExtractionOptions { Progress = progress });
        Assert.That(r.Failures, Is.Empty);
        Assert.That(reports.Max(p => p.EntriesDone), Is.EqualTo(3));
        Assert.That(reports.Max(p => p.BytesWritten), Is.EqualTo(5));
    }

    [Test]
    public void PermissionBitsWithoutSetId()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("POSIX modes only on Unix");
        else PermissionBitsOnUnix();
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private void PermissionBitsOnUnix()
    {
        var r = Extract(Dir("", File("x", Bytes("#!"), mode: 0b111_101_101 | 0x800 /* set-uid */), File("ro", Bytes("r"), mode: 0b100_100_100)));
        Assert.That(r.Failures, Is.Empty);
        var mx = System.IO.File.GetUnixFileMode(Path.Combine(_target, "x"));
        Assert.That(mx & UnixFileMode.SetUser, Is.EqualTo((UnixFileMode)0));
        Assert.That(mx & UnixFileMode.UserExecute, Is.EqualTo(UnixFileMode.UserExecute));
        Assert.That(System.IO.File.GetUnixFileMode(Path.Combine(_target, "ro")) & UnixFileMode.UserWrite, Is.EqualTo(UnixFileMode.UserWrite));
    }

    [TestCase("CON", true)]
    [TestCase("con.txt", true)]
    [TestCase("LPT9", true)]
    [TestCase("a:b", true)]
    [TestCase("a\\b", true)]
    [TestCase("trailing.", true)]
    [TestCase("trailing ", true)]
    [TestCase("q?", true)]
    [TestCase("tab\there", true)]
    [TestCase("console", false)]
    [TestCase("COM10", false)]
    [TestCase("normal name.txt", false)]
    public void WindowsReservedNames(string name, bool refused)
    {
        Assert.That(ExtractionNames.Problem(name, windows: true) is not null, Is.EqualTo(refused));
        // On Unix these are ordinary names (a backslash is no separator there).
        Assert.That(ExtractionNames.Problem(name, windows: false), name.Contains('\0') ? Is.Not.Null : Is.Null);
    }

    /// <summary>IProgress that reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<FileSystemExtractionProgress> report) : IProgress<FileSystemExtractionProgress>
    {
        public void Report(FileSystemExtractionProgress value) => report(value);
    }
}
