using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// Differencing chains through the CLI, compressed and not: the parent (a qemu-img dynamic VHD) is found beside
/// the child, the chain is reported with the user's paths, and the content is the parent's (qemu-img convert).
/// </summary>
[TestFixture]
public sealed class ChainTests
{
    private string _parentRawSha = "";
    private string _source = "";

    [OneTimeSetUp]
    public void MakeParent()
    {
        _source = TestPaths.NewTempFolder("cli-chain-src");
        string parent = CliImages.Vhd(_source, "base.vhd", "8M", isFixed: false);
        CliImages.Tool("qemu-io", "-f", "vpc", "-c", "write -P 0x6B 0 65536", "-c", "write -P 0x2E 4194304 8192", parent);
        string raw = Path.Combine(_source, "base.raw");
        CliImages.Tool("qemu-img", "convert", "-f", "vpc", "-O", "raw", parent, raw);
        _parentRawSha = CliImages.FileSha256(raw);
    }

    /// <summary>A fresh folder with base.vhd (gzipped or not) and child.vhd (gzipped or not).</summary>
    private (string Child, string Parent) Chain(bool gzipChild, bool gzipParent, bool withParent = true)
    {
        string folder = TestPaths.NewTempFolder("cli-chain");
        string parent = Path.Combine(folder, "base.vhd");
        File.Copy(Path.Combine(_source, "base.vhd"), parent);
        string child = CliImages.DifferencingVhd(Path.Combine(folder, "child.vhd"), parent, ".\\base.vhd");
        if (gzipParent) parent = CliImages.Gzip(parent);
        if (gzipChild) child = CliImages.Gzip(child);
        if (!withParent) File.Delete(parent);
        return (child, parent);
    }

    [TestCase(false, false)]
    [TestCase(true, true)]
    [TestCase(true, false)]
    public void ChainOpensAndReadsTheParent(bool gzipChild, bool gzipParent)
    {
        var (child, parent) = Chain(gzipChild, gzipParent);
        var check = CliRunner.Run("check", child, "--format", "json");
        Assert.That(check.ExitCode, Is.Zero, check.ToString());
        var x = check.Json().GetProperty("results")[0];
        Assert.That(x.GetProperty("subtype").GetString(), Is.EqualTo("differencing"));
        Assert.That(x.GetProperty("chainLength").GetInt32(), Is.EqualTo(2));

        var info = CliRunner.Run("info", child, "--json");
        Assert.That(info.ExitCode, Is.Zero, info.ToString());
        var chain = info.Json().GetProperty("chain");
        Assert.That(chain[0].GetProperty("file").GetString(), Is.EqualTo(child));
        Assert.That(chain[1].GetProperty("file").GetString(), Is.EqualTo(Path.GetFullPath(parent)), "the parent is reported under the user's path");
        Assert.That(info.Stdout, Does.Not.Contain("vdisk-"), "no temp path leaks into the report");

        var hash = CliRunner.Run("hash", child);
        Assert.That(hash.ExitCode, Is.Zero, hash.ToString());
        Assert.That(hash.Stdout.Split(' ')[0], Is.EqualTo(_parentRawSha), "an empty child reads as its parent");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void MissingParentIsReportedWithThePathsTried(bool gzipChild)
    {
        var (child, parent) = Chain(gzipChild, gzipParent: false, withParent: false);
        var r = CliRunner.Run("check", child, "--format", "json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var x = r.Json().GetProperty("results")[0];
        Assert.That(x.GetProperty("code").GetUInt32(), Is.EqualTo(0xC03A000Du)); // docs/open-path.md §10: parent not found
        Assert.That(x.GetProperty("message").GetString(), Does.Contain(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(parent))!, "base.vhd")));
        Assert.That(x.GetProperty("message").GetString(), Does.Not.Contain("vdisk-"), "no temp path leaks into the report");

        var info = CliRunner.Run("info", child, "--json");
        Assert.That(info.ExitCode, Is.EqualTo(1), info.ToString());
        var j = info.Json();
        Assert.That(j.GetProperty("chain")[0].GetProperty("subtype").GetString(), Is.EqualTo("differencing"));
        Assert.That(j.GetProperty("chainFailure").GetProperty("code").GetUInt32(), Is.EqualTo(0xC03A000Du));
    }
}
