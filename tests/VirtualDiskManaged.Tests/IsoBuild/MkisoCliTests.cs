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
