using VirtualDiskManaged.Tests.Cli;
using static VirtualDiskManaged.Tests.Create.CreateTools;

namespace VirtualDiskManaged.Tests.Create;

/// <summary><c>vdisk create</c> run as a process: every kind, judged by the same independent tools; JSON output; failures.</summary>
public sealed class CreateCliTests : CreateTestBase
{
    [TestCase("vhd", "fixed", "512")]
    [TestCase("vhd", "dynamic", "512")]
    [TestCase("vhdx", "fixed", "512")]
    [TestCase("vhdx", "dynamic", "512")]
    [TestCase("vhdx", "fixed", "4096")]
    [TestCase("vhdx", "dynamic", "4096")]
    public void EveryKind(string format, string type, string sector)
    {
        string path = At("cli." + format);
        var r = CliRunner.Run("create", path, "--format", format, "--type", type, "--size", "40M", "--logical-sector-size", sector, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var json = r.Json();
        Assert.That(json.GetProperty("ok").GetBoolean(), Is.True);
        Assert.That(json.GetProperty("format").GetString(), Is.EqualTo(format));
        Assert.That(json.GetProperty("subtype").GetString(), Is.EqualTo(type));
        Assert.That(json.GetProperty("virtualSize").GetInt64(), Is.EqualTo(40 * MiB));
        Assert.That(json.GetProperty("logicalSectorSize").GetInt32(), Is.EqualTo(int.Parse(sector)));
        CreateKindsTests.Judge(path, format == "vhd" ? VirtualDiskFormat.Vhd : VirtualDiskFormat.Vhdx,
            type == "fixed" ? VirtualDiskCreateType.Fixed : VirtualDiskCreateType.Dynamic, int.Parse(sector));
    }

    [TestCase("vhd")]
    [TestCase("vhdx")]
    public void Differencing(string format)
    {
        string parent = At("p." + format), child = At("c." + format);
        Assert.That(CliRunner.Run("create", parent, "--size", "16M").ExitCode, Is.EqualTo(0));
        var r = CliRunner.Run("create", child, "--parent", parent, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Json().GetProperty("subtype").GetString(), Is.EqualTo("differencing"));
        Assert.That(r.Json().GetProperty("parent").GetString(), Is.EqualTo(parent));
        Assert.That(VhdiInfo(child)["Disk type"], Is.EqualTo("Differential"));
        Assert.That(SevenZipList(child)["Method"], Does.StartWith("Differencing"));
    }

    [Test]
    public void FromRawSourceMatchesTheSource()
    {
        string raw = PatternRaw(Folder, "s.raw", 20 * MiB, 0, 9 * MiB);
        string target = At("t.vhdx");
        var r = CliRunner.Run("create", target, "--source", raw, "--source-format", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.StartWith("created "));
        var (rc, output) = QemuCompare(raw, "raw", target, "vhdx");
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [Test]
    public void AFixed32MiBVhdPassesTheAzureProfile()
    {
        string path = At("azure.vhd");
        Assert.That(CliRunner.Run("create", path, "--type", "fixed", "--size", "32M").ExitCode, Is.EqualTo(0));
        Assert.That(new FileInfo(path).Length, Is.EqualTo(32 * MiB + 512), "Azure: N MiB + 512");
        var r = CliRunner.Run("check", "--profile", "azure", path);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("1 ok, 0 failed"));
    }

    [Test]
    public void FailuresExitOneAndLeaveNothing()
    {
        string path = At("x.vhdx");
        var r = CliRunner.Run("create", path, "--size", "1M");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.Contain("CreateSizeTooSmall").And.Contain("87"));
        r = CliRunner.Run("create", path, "--size", "2G", "--block-size", "3M", "--json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Json().GetProperty("failure").GetProperty("reason").GetString(), Is.EqualTo("CreateBlockSizeInvalid"));
        Assert.That(Directory.GetFileSystemEntries(Folder), Is.Empty);
        File.WriteAllText(path, "keep");
        r = CliRunner.Run("create", path, "--size", "8M");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("ERROR_FILE_EXISTS"));
        Assert.That(File.ReadAllText(path), Is.EqualTo("keep"));
    }

    [Test]
    public void UsageErrors()
    {
        Assert.That(CliRunner.Run("create", At("a.img"), "--size", "8M").ExitCode, Is.EqualTo(2), "no format from the extension");
        Assert.That(CliRunner.Run("create", At("a.vhdx"), "--size", "8Q").ExitCode, Is.EqualTo(2));
        Assert.That(CliRunner.Run("create", At("a.vhdx"), "--type", "sparse").ExitCode, Is.EqualTo(2));
        Assert.That(Directory.GetFileSystemEntries(Folder), Is.Empty);
    }

    [TestCase("64M", 64L << 20)]
    [TestCase("2g", 2L << 30)]
    [TestCase("1T", 1L << 40)]
    [TestCase("512K", 512L << 10)]
    [TestCase("4096", 4096L)]
    [TestCase("3MiB", 3L << 20)]
    [TestCase("0x100000", 1L << 20)]
    public void SizeSuffixes(string text, long expected)
    {
        Assert.That(VirtualDiskManaged.Cli.Commands.CreateCommand.TryParseSize(text, out long v), Is.True);
        Assert.That(v, Is.EqualTo(expected));
    }
}
