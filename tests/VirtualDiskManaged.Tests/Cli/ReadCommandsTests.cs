using System.Security.Cryptography;
using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>vdisk hash, cat and info end to end.</summary>
[TestFixture]
public sealed class ReadCommandsTests
{
    private string _folder = "";
    private string _iso = "";

    [OneTimeSetUp]
    public void MakeIso()
    {
        _folder = TestPaths.NewTempFolder("cli-read");
        _iso = CliImages.Iso(_folder, "boot.iso", elTorito: true);
    }

    [Test]
    public void HashOfAnIsoIsTheFileHash()
    {
        // docs/open-path.md §5: an ISO's virtual content is the file itself, so its SHA-256 is the file's.
        var r = CliRunner.Run("hash", _iso);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Split(' ')[0], Is.EqualTo(CliImages.FileSha256(_iso)));
        Assert.That(r.Stdout.TrimEnd(), Does.EndWith("  " + _iso));
    }

    [Test]
    public void HashOfAGzipIsTheHashOfTheExpandedImage()
    {
        string copy = Path.Combine(_folder, "copy.iso");
        File.Copy(_iso, copy);
        string expected = CliImages.FileSha256(copy);
        string gz = CliImages.Gzip(copy);
        var r = CliRunner.Run("hash", gz, "--algorithm", "sha256");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Split(' ')[0], Is.EqualTo(expected));
    }

    [Test]
    public void HashWithOtherAlgorithm()
    {
        var r = CliRunner.Run("hash", _iso, "--algorithm", "sha512");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Split(' ')[0], Is.EqualTo(Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(_iso)))));
    }

    [Test]
    public void HashOfAMissingFileFails()
    {
        var r = CliRunner.Run("hash", Path.Combine(_folder, "nope.iso"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.Contain("ERROR_FILE_NOT_FOUND"));
        Assert.That(r.Stdout, Is.Empty);
    }

    [Test]
    public void CatWritesTheRequestedRange()
    {
        byte[] file = File.ReadAllBytes(_iso);
        var r = CliRunner.Run("cat", _iso, "--offset", "0x8000", "--length", "2048");
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(r.StdoutBytes, Is.EqualTo(file.AsSpan(32768, 2048).ToArray()));
        // ECMA-119: the primary volume descriptor at byte 32,768 starts with type 1 and "CD001".
        Assert.That(r.StdoutBytes[0], Is.EqualTo(1));
        Assert.That(System.Text.Encoding.ASCII.GetString(r.StdoutBytes, 1, 5), Is.EqualTo("CD001"));
    }

    [Test]
    public void CatWholeImageAndPastTheEnd()
    {
        byte[] file = File.ReadAllBytes(_iso);
        var all = CliRunner.Run("cat", _iso);
        Assert.That(all.StdoutBytes, Is.EqualTo(file));
        var tail = CliRunner.Run("cat", _iso, "--offset", (file.Length - 100).ToString(), "--length", "1000");
        Assert.That(tail.StdoutBytes, Is.EqualTo(file.AsSpan(file.Length - 100).ToArray()));
        var past = CliRunner.Run("cat", _iso, "--offset", (file.Length + 5).ToString());
        Assert.That(past.ExitCode, Is.Zero);
        Assert.That(past.StdoutBytes, Is.Empty);
    }

    [Test]
    public void InfoJsonOfAnIso()
    {
        var r = CliRunner.Run("info", _iso, "--json");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var j = r.Json();
        Assert.That(j.GetProperty("format").GetString(), Is.EqualTo("iso"));
        Assert.That(j.GetProperty("virtualSize").GetInt64(), Is.EqualTo(new FileInfo(_iso).Length));
        Assert.That(j.GetProperty("logicalSectorSize").GetInt32(), Is.EqualTo(2048));
        var chain = j.GetProperty("chain");
        Assert.That(chain.GetArrayLength(), Is.EqualTo(1));
        var top = chain[0];
        Assert.That(top.GetProperty("file").GetString(), Is.EqualTo(_iso));
        Assert.That(top.GetProperty("status").GetString(), Is.EqualTo("ok"));
        // genisoimage -V CLITEST -b boot.img: the label and the El Torito boot record.
        Assert.That(top.GetProperty("volumeLabel").GetString(), Is.EqualTo("CLITEST"));
        Assert.That(top.GetProperty("volumeDescriptor").GetString(), Is.EqualTo("CD001"));
        Assert.That(top.GetProperty("elTorito").GetBoolean(), Is.True);
        Assert.That(top.GetProperty("fileSize").GetInt64(), Is.EqualTo(new FileInfo(_iso).Length));
    }

    [Test]
    public void InfoTextOfAnIso()
    {
        var r = CliRunner.Run("info", _iso);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout, Does.Contain("format:          iso"));
        Assert.That(r.Stdout, Does.Contain("CLITEST"));
        Assert.That(r.Stdout, Does.Contain("El Torito:             yes"));
    }

    [Test]
    public void InfoOfABrokenImageFailsWithItsCode()
    {
        string bad = Path.Combine(_folder, "short.iso");
        File.WriteAllBytes(bad, new byte[34815]); // docs/open-path.md §5: not a multiple of 2048 → 1392
        var r = CliRunner.Run("info", bad, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var j = r.Json();
        Assert.That(j.GetProperty("ok").GetBoolean(), Is.False);
        Assert.That(j.GetProperty("failure").GetProperty("code").GetUInt32(), Is.EqualTo(1392));
    }

    [Test]
    public void HashAndInfoOfAFixedVhdMatchQemu()
    {
        string vhd = CliImages.Vhd(_folder, "data.vhd", "20M");
        CliImages.Tool("qemu-io", "-f", "vpc", "-c", "write -P 0x5A 1048576 65536", "-c", "write -P 0xC3 20905984 4096", vhd);
        string raw = Path.Combine(_folder, "data.raw");
        CliImages.Tool("qemu-img", "convert", "-f", "vpc", "-O", "raw", vhd, raw);
        var footer = CliImages.ReadFooter(vhd);
        // qemu sizes by CHS for its own creator unless force_size; with force_size the raw is CurrentSize long.
        Assert.That(new FileInfo(raw).Length, Is.EqualTo(CliImages.FooterCurrentSize(footer)));

        var h = CliRunner.Run("hash", vhd);
        Assert.That(h.ExitCode, Is.Zero, h.ToString());
        Assert.That(h.Stdout.Split(' ')[0], Is.EqualTo(CliImages.FileSha256(raw)));

        var i = CliRunner.Run("info", vhd, "--json");
        Assert.That(i.ExitCode, Is.Zero, i.ToString());
        var top = i.Json().GetProperty("chain")[0];
        Assert.That(top.GetProperty("subtype").GetString(), Is.EqualTo("fixed"));
        Assert.That(top.GetProperty("virtualSize").GetInt64(), Is.EqualTo(20L << 20));
        Assert.That(top.GetProperty("fileSize").GetInt64(), Is.EqualTo((20L << 20) + 512));
        Assert.That(top.GetProperty("geometry").GetProperty("capacity").GetInt64(), Is.EqualTo(CliImages.FooterChsCapacity(footer)));

        var c = CliRunner.Run("cat", vhd, "--offset", "1048576", "--length", "65536");
        Assert.That(c.StdoutBytes, Is.All.EqualTo((byte)0x5A));
        Assert.That(c.StdoutBytes, Has.Length.EqualTo(65536));
    }
}
