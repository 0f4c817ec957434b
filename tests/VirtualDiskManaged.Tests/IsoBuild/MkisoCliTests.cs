using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.IsoBuild.IsoBuildTools;

namespace VirtualDiskManaged.Tests.IsoBuild;

/// <summary><c>vdisk mkiso</c>: what it writes is read by bsdtar and isoinfo; its exit statuses are the CLI's (docs/cli.md).</summary>
[NonParallelizable]
public sealed class MkisoCliTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = TestPaths.NewTempFolder("mkiso");

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private string P(string name) => Path.Combine(_dir, name);

    [Test]
    public void CloudInitSeedFromTheIssueExample()
    {
        Require("bsdtar", "isoinfo");
        File.WriteAllText(P("user-data"), "#cloud-config\n");
        File.WriteAllText(P("meta-data"), "instance-id: a\n");
        var r = CliRunner.RunIn(_dir, "mkiso", "--output", "seed.iso", "--volume-id", "cidata", "--joliet", "--rock-ridge", "user-data", "meta-data");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var (_, d, _) = Run("isoinfo", "-d", "-i", P("seed.iso"));
        Assert.That(d, Does.Contain("Volume id: cidata").And.Contain("Joliet").And.Contain("Rock Ridge"));
        var (_, list, _) = Run("bsdtar", "-tf", P("seed.iso"));
        Assert.That(list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l != "."), Is.EquivalentTo(new[] { "user-data", "meta-data" }));
    }

    [Test]
    public void AFolderPutsItsContentsAtTheRootAndTheDateMakesItReproducible()
    {
        Require("bsdtar");
        Directory.CreateDirectory(P("tree/sub"));
        File.WriteAllText(P("tree/sub/a.txt"), "a");
        File.WriteAllText(P("tree/b.txt"), "b");
        var first = CliRunner.Run("mkiso", "-o", P("1.iso"), "-RJ", "--date", "1700000000", P("tree"));
        var second = CliRunner.Run("mkiso", "-o", P("2.iso"), "-RJ", "--date=1700000000", P("tree"));
        Assert.That(first.ExitCode, Is.EqualTo(0), first.Stderr);
        Assert.That(second.ExitCode, Is.EqualTo(0), second.Stderr);
        Assert.That(SHA256.HashData(File.ReadAllBytes(P("2.iso"))), Is.EqualTo(SHA256.HashData(File.ReadAllBytes(P("1.iso")))));
        var (_, list, _) = Run("bsdtar", "-tf", P("1.iso"));
        Assert.That(list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l != "."), Is.EquivalentTo(new[] { "sub", "sub/a.txt", "b.txt" }));
    }

    /// <summary>
    /// A plain ISO 9660 image of one small file: libarchive only recognises an ISO of at least 24 blocks (it reads
    /// 16 + 8 ahead), so before the default padding bsdtar took this 23-block image for an empty tar archive. With the
    /// padding bsdtar and isoinfo list the file; <c>--no-pad</c> gives the same image 150 blocks shorter.
    /// </summary>
    [Test]
    public void ASmallPlainImageIsPaddedSoBsdtarReadsIt()
    {
        Require("bsdtar", "isoinfo");
        File.WriteAllText(P("file"), "hi\n");
        var r = CliRunner.Run("mkiso", "-o", P("small.iso"), "--date", "1700000000", P("file"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var (rc, list, err) = Run("bsdtar", "-tvvf", P("small.iso"));
        Assert.That(rc, Is.EqualTo(0), err);
        Assert.That(list, Does.Contain("FILE").And.Contain("ISO9660"));
        var (_, d, _) = Run("isoinfo", "-d", "-i", P("small.iso"));
        long blocks = new FileInfo(P("small.iso")).Length / 2048;
        Assert.That(d, Does.Contain($"Volume size is: {blocks}"));

        var bare = CliRunner.Run("mkiso", "-o", P("bare.iso"), "--no-pad", "--date", "1700000000", P("file"));
        Assert.That(bare.ExitCode, Is.EqualTo(0), bare.Stderr);
        Assert.That(new FileInfo(P("bare.iso")).Length, Is.EqualTo((blocks - 150) * 2048));
        var (_, bareInfo, _) = Run("isoinfo", "-d", "-i", P("bare.iso"));
        Assert.That(bareInfo, Does.Contain($"Volume size is: {blocks - 150}"));
        var (_, bareList, _) = Run("isoinfo", "-l", "-i", P("bare.iso"));
        Assert.That(bareList, Does.Contain("FILE.;1"));
    }

    [Test]
    public void JsonSaysWhatWasWritten()
    {
        File.WriteAllText(P("f"), "x");
        var r = CliRunner.Run("mkiso", "-o", P("j.iso"), "--json", "--volume-id", "VOL", "--date", "1700000000", P("f"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var json = r.Json();
        Assert.That(json.GetProperty("size").GetInt64(), Is.EqualTo(new FileInfo(P("j.iso")).Length));
        Assert.That(json.GetProperty("volumeId").GetString(), Is.EqualTo("VOL"));
        Assert.That(json.GetProperty("timestamp").GetInt64(), Is.EqualTo(1700000000));
        Assert.That(json.GetProperty("biosBoot").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
    }

    [Test]
    public void ABootFileFromTheHostGoesToTheRoot()
    {
        Require("xorriso");
        File.WriteAllBytes(P("boot.bin"), new byte[2048]);
        File.WriteAllText(P("readme"), "r");
        var r = CliRunner.Run("mkiso", "-o", P("b.iso"), "-R", "--boot", P("boot.bin"), "--boot-info-table", P("readme"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var (_, report, _) = Run("xorriso", "-indev", P("b.iso"), "-report_el_torito", "plain");
        Assert.That(report, Does.Match(@"El Torito img path :\s+1\s+/boot.bin"));
    }

    [Test]
    public void MissingSourceIsExit1AndLeavesNoImage()
    {
        var r = CliRunner.Run("mkiso", "-o", P("m.iso"), P("absent"));
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("absent"));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public void AFolderAsOutputIsExit4()
    {
        File.WriteAllText(P("f"), "x");
        var r = CliRunner.Run("mkiso", "-o", _dir, P("f"));
        Assert.That(r.ExitCode, Is.EqualTo(4));
        Assert.That(r.Stderr, Does.Contain("is a directory"));
    }

    [TestCase("--boot-info-table")]
    [TestCase("--level", "4")]
    [TestCase("--boot-load-size", "8")]
    public void UsageMistakesAreExit2(params string[] extra)
    {
        File.WriteAllText(P("f"), "x");
        var r = CliRunner.Run(["mkiso", "-o", P("u.iso"), .. extra, P("f")]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(File.Exists(P("u.iso")), Is.False);
    }
}
