using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>vdisk open: the code OpenVirtualDisk returns for explicit arguments (docs/open-path.md §4, §5), text and JSON.</summary>
[TestFixture]
public sealed class OpenCommandTests
{
    private string _folder = "";
    private string _iso = "";

    [OneTimeSetUp]
    public void MakeIso()
    {
        _folder = TestPaths.NewTempFolder("cli-open");
        _iso = CliImages.Iso(_folder, "plain.iso");
    }

    private static JsonElement OpenJson(out int exit, params string[] args)
    {
        var r = CliRunner.Run(["open", .. args, "--json"]);
        exit = r.ExitCode;
        Assert.That(r.ExitCode, Is.AnyOf(0, 1), r.ToString());
        return r.Json();
    }

    [Test]
    public void IsoOpensWithTheDefaults()
    {
        var j = OpenJson(out int exit, _iso);
        Assert.That(exit, Is.Zero);
        Assert.That(j.GetProperty("code").GetUInt32(), Is.Zero);
        Assert.That(j.GetProperty("name").GetString(), Is.EqualTo("ERROR_SUCCESS"));
        Assert.That(j.GetProperty("hex").GetString(), Is.EqualTo("0x00000000"));
        Assert.That(j.GetProperty("reason").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(j.GetProperty("file").GetString(), Is.EqualTo(_iso));
        Assert.That(j.GetProperty("format").GetString(), Is.EqualTo("iso"));
        // docs/open-path.md §5: the ISO's virtual content is the file itself.
        Assert.That(j.GetProperty("virtualSize").GetInt64(), Is.EqualTo(new FileInfo(_iso).Length));
    }

    [Test]
    public void TextOutputShowsCodeNameAndFile()
    {
        var r = CliRunner.Run("open", Path.Combine(_folder, "missing.iso"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout, Does.Contain("code:    2 (0x00000002) ERROR_FILE_NOT_FOUND"));
        Assert.That(r.Stdout, Does.Contain("reason:"));
        Assert.That(r.Stdout, Does.Contain("message:"));
        Assert.That(r.Stdout, Does.Contain("file:    " + Path.Combine(_folder, "missing.iso")));
    }

    // Expected codes: docs/open-path.md §4 (argument order) and §5 (ISO rules).
    [TestCase(new[] { "--type", "7" }, 0xC03A0014u, TestName = "Device id 7 is provider not found")]
    [TestCase(new[] { "--type", "vhdset" }, 0xC03A0014u, TestName = "VHD Set has no provider")]
    [TestCase(new[] { "--vendor", "5a4bd71e-2a90-4a43-9b76-c6d86b6e8a01" }, 0xC03A0014u, TestName = "Unknown vendor GUID")]
    [TestCase(new[] { "--access", "0x40000000" }, 87u, TestName = "Mask bits outside ALL")]
    [TestCase(new[] { "--access", "ATTACH_RW|GET_INFO" }, 87u, TestName = "ISO refuses ATTACH_RW")]
    [TestCase(new[] { "--access", "virtual_disk_access_attach_ro|virtual_disk_access_get_info" }, 0u, TestName = "Prefixed lower-case names")]
    [TestCase(new[] { "--access", "0x90000" }, 0u, TestName = "Hex mask")]
    [TestCase(new[] { "--access", "589824" }, 0u, TestName = "Decimal mask")]
    [TestCase(new[] { "--access", "READ" }, 0u, TestName = "READ mask")]
    [TestCase(new[] { "--flags", "CACHED_IO" }, 87u, TestName = "Documented rules refuse CACHED_IO")]
    [TestCase(new[] { "--flags", "CACHED_IO", "--rules", "current" }, 0u, TestName = "Current rules allow CACHED_IO")]
    [TestCase(new[] { "--flags", "OPEN_VIRTUAL_DISK_FLAG_NO_PARENTS" }, 87u, TestName = "ISO refuses NO_PARENTS")]
    [TestCase(new[] { "--params", "2", "--read-only" }, 87u, TestName = "Version 2 needs mask NONE")]
    [TestCase(new[] { "--params", "2", "--read-only", "--access", "NONE" }, 87u, TestName = "ISO refuses version 2")]
    [TestCase(new[] { "--params", "3", "--access", "NONE", "--rules", "documented" }, 87u, TestName = "Documented rules refuse version 3")]
    [TestCase(new[] { "--params", "1", "--rw-depth", "0" }, 0u, TestName = "ISO ignores RWDepth")]
    [TestCase(new[] { "--type", "iso" }, 0u, TestName = "Explicit ISO type")]
    [TestCase(new[] { "--type", "vhd" }, 0xC03A0001u, TestName = "ISO opened as VHD has no footer")]
    public void CodeFollowsTheContract(string[] options, uint expected)
    {
        var j = OpenJson(out int exit, [_iso, .. options]);
        Assert.That(j.GetProperty("code").GetUInt32(), Is.EqualTo(expected), j.ToString());
        Assert.That(exit, Is.EqualTo(expected == 0 ? 0 : 1));
        Assert.That(j.GetProperty("hex").GetString(), Is.EqualTo($"0x{expected:X8}"));
        Assert.That(j.GetProperty("name").GetString(), Is.EqualTo(VirtualDiskErrors.SymbolOf((VirtualDiskError)expected)));
        if (expected != 0)
        {
            Assert.That(j.GetProperty("reason").GetString(), Is.Not.Empty);
            Assert.That(j.GetProperty("message").GetString(), Is.Not.Empty);
            Assert.That(j.TryGetProperty("format", out _), Is.False, "format only on success");
        }
    }

    [Test]
    public void GzipInputIsReportedUnderItsOwnPath()
    {
        string gz = CliImages.Gzip(CliImages.Iso(_folder, "zipped.iso"));
        var j = OpenJson(out int exit, gz);
        Assert.That(exit, Is.Zero, j.ToString());
        Assert.That(j.GetProperty("file").GetString(), Is.EqualTo(gz));
        Assert.That(j.GetProperty("format").GetString(), Is.EqualTo("iso"));
    }

    [Test]
    public void FixedVhdFromQemuOpensAsVhd()
    {
        string vhd = CliImages.Vhd(_folder, "fixed.vhd", "20M");
        var j = OpenJson(out int exit, vhd);
        Assert.That(exit, Is.Zero, j.ToString());
        Assert.That(j.GetProperty("format").GetString(), Is.EqualTo("vhd"));
        Assert.That(j.GetProperty("subtype").GetString(), Is.EqualTo("fixed"));
        Assert.That(j.GetProperty("virtualSize").GetInt64(), Is.EqualTo(20L << 20));
    }
}
