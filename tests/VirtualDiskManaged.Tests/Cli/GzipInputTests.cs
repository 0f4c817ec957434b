using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// Damaged .gz inputs are input errors in every command (exit 1, "inputError" in JSON, a reason naming the damage),
/// never an image verdict and never a success; concatenated members still expand. The files are made by the gzip tool
/// and patched by byte offset per RFC 1952 §2.3.1 (the trailer is CRC-32 then ISIZE, both little-endian, in the last
/// 8 bytes).
/// </summary>
[TestFixture]
public sealed class GzipInputTests
{
    private string _folder = "";
    private string _iso = "";
    private string _good = "";

    [OneTimeSetUp]
    public void Make()
    {
        CliImages.RequireTool("gzip");
        _folder = TestPaths.NewTempFolder("cli-gzip");
        _iso = CliImages.Iso(_folder, "src.iso", elTorito: true);
        _good = GzipTool(_iso, "good.iso.gz");
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (_folder.Length > 0 && Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    private string GzipTool(string source, string name, params string[] extra)
    {
        string target = Path.Combine(_folder, name);
        var psi = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"gzip -c {string.Join(' ', extra)} \"$1\" > \"$2\"");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(source);
        psi.ArgumentList.Add(target);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, err);
        return target;
    }

    private string Variant(string name, Func<byte[], byte[]> change)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, change(File.ReadAllBytes(_good)));
        return path;
    }

    private static byte[] Flip(byte[] b, int fromEnd)
    {
        b[^fromEnd] ^= 0x01;
        return b;
    }

    /// <summary>gzip itself must reject the file (the independent judge that it is damaged).</summary>
    private static void GzipRejects(string path)
    {
        var psi = new ProcessStartInfo("gzip") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-t");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Not.Zero, $"gzip -t accepts {path}");
    }

    private static IEnumerable<TestCaseData> Damages()
    {
        yield return new TestCaseData("cut-deflate", "cut short").SetName("Truncated inside the deflate data");
        yield return new TestCaseData("cut-trailer", "cut short").SetName("Truncated inside the trailer");
        yield return new TestCaseData("bad-crc", "bad CRC-32").SetName("Bad CRC-32");
        yield return new TestCaseData("bad-isize", "bad ISIZE").SetName("Bad ISIZE");
        yield return new TestCaseData("garbage", "trailing garbage").SetName("Trailing garbage");
    }

    private string Damaged(string kind) => kind switch
    {
        "cut-deflate" => Variant("cut-deflate.iso.gz", b => b[..(b.Length / 2)]),
        "cut-trailer" => Variant("cut-trailer.iso.gz", b => b[..^3]),
        "bad-crc" => Variant("bad-crc.iso.gz", b => Flip(b, 8)),
        "bad-isize" => Variant("bad-isize.iso.gz", b => Flip(b, 1)),
        "garbage" => Variant("garbage.iso.gz", b => [.. b, .. "trailing junk\n"u8.ToArray()]),
        _ => throw new ArgumentException(kind),
    };

    [TestCaseSource(nameof(Damages))]
    public void CheckReportsAnInputError(string kind, string reason)
    {
        string gz = Damaged(kind);
        GzipRejects(gz);
        var r = CliRunner.Run("check", gz, "--format", "json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var x = r.Json().GetProperty("results")[0];
        Assert.That(x.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(x.GetProperty("inputError").GetString(), Does.Contain(reason), r.ToString());
        Assert.That(x.GetProperty("code").ValueKind, Is.EqualTo(JsonValueKind.Null), "an input error is not an image verdict");
        Assert.That(x.GetProperty("format").ValueKind, Is.EqualTo(JsonValueKind.Null));

        var text = CliRunner.Run("check", gz);
        Assert.That(text.ExitCode, Is.EqualTo(1));
        Assert.That(text.Stdout, Does.Contain("input error: gzip: " + reason));
    }

    [TestCaseSource(nameof(Damages))]
    public void EveryReadingCommandRefusesIt(string kind, string reason)
    {
        string gz = Damaged(kind);
        foreach (var args in new[] { new[] { "hash", gz }, ["cat", gz], ["info", gz], ["open", gz] })
        {
            var r = CliRunner.Run(args);
            Assert.That(r.ExitCode, Is.EqualTo(1), string.Join(' ', args) + "\n" + r);
            Assert.That(r.Stderr, Does.Contain("input error").And.Contain(reason), string.Join(' ', args));
            Assert.That(r.StdoutBytes, Is.Empty, "no hash, no bytes, no verdict of partial data: " + string.Join(' ', args));
        }
        foreach (var args in new[] { new[] { "info", gz, "--json" }, ["open", gz, "--json"] })
        {
            var r = CliRunner.Run(args);
            Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
            Assert.That(r.Json().GetProperty("inputError").GetString(), Does.Contain(reason));
            Assert.That(r.Json().GetProperty("ok").GetBoolean(), Is.False);
        }
    }

    [Test]
    public void MultiMemberGzipExpandsWhole()
    {
        // RFC 1952 §2.2: a gzip file is a series of members; gzip concatenates them on expansion.
        byte[] iso = File.ReadAllBytes(_iso);
        string a = Path.Combine(_folder, "part-a"), b = Path.Combine(_folder, "part-b");
        File.WriteAllBytes(a, iso[..5000]);
        File.WriteAllBytes(b, iso[5000..]);
        byte[] multi = [.. File.ReadAllBytes(GzipTool(a, "a.gz")), .. File.ReadAllBytes(GzipTool(b, "b.gz", "-9"))];
        string gz = Path.Combine(_folder, "multi.iso.gz");
        File.WriteAllBytes(gz, multi);
        var r = CliRunner.Run("hash", gz);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Split(' ')[0], Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(iso))));
        var check = CliRunner.Run("check", gz, "--format", "json");
        Assert.That(check.ExitCode, Is.Zero, check.ToString());
    }

    [Test]
    public void GarbageAfterASecondMemberIsStillRefused()
    {
        byte[] good = File.ReadAllBytes(_good);
        File.WriteAllBytes(Path.Combine(_folder, "empty-member"), []);
        string gz = Path.Combine(_folder, "two-then-junk.iso.gz");
        File.WriteAllBytes(gz, [.. good, .. File.ReadAllBytes(GzipTool(Path.Combine(_folder, "empty-member"), "empty.gz")), 0x1F, 0x00]);
        var r = CliRunner.Run("check", gz, "--format", "json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Json().GetProperty("results")[0].GetProperty("inputError").GetString(), Does.Contain("trailing garbage"));
    }

    [Test]
    public void HeaderFieldsAreSkippedAndTheHeaderCrcChecked()
    {
        // A member with FEXTRA, FNAME, FCOMMENT and FHCRC (RFC 1952 §2.3.1), written by Python's zlib (an independent
        // deflate and CRC-32); then the same with a wrong header CRC-16, which gzip -t also rejects.
        if (!File.Exists("/usr/bin/python3")) Assert.Ignore("/usr/bin/python3 is not installed");
        string ok = Path.Combine(_folder, "fields.iso.gz"), bad = Path.Combine(_folder, "bad-hcrc.iso.gz");
        const string script = """
            import sys, zlib, struct
            d = open(sys.argv[1], 'rb').read()
            co = zlib.compressobj(9, zlib.DEFLATED, -15); body = co.compress(d) + co.flush()
            h = b'\x1f\x8b\x08' + bytes([2 | 4 | 8 | 16]) + b'\0\0\0\0\0\3' + struct.pack('<H', 4) + b'abcd' + b'name.iso\0' + b'a comment\0'
            tail = struct.pack('<II', zlib.crc32(d), len(d))
            open(sys.argv[2], 'wb').write(h + struct.pack('<H', zlib.crc32(h) & 0xffff) + body + tail)
            open(sys.argv[3], 'wb').write(h + struct.pack('<H', (zlib.crc32(h) ^ 1) & 0xffff) + body + tail)
            """;
        CliImages.Tool("/usr/bin/python3", "-c", script, _iso, ok, bad);
        var r = CliRunner.Run("hash", ok);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Split(' ')[0], Is.EqualTo(CliImages.FileSha256(_iso)));
        GzipRejects(bad);
        var b = CliRunner.Run("hash", bad);
        Assert.That(b.ExitCode, Is.EqualTo(1), b.ToString());
        Assert.That(b.Stderr, Does.Contain("bad header CRC-16"));
    }

    [Test]
    public void ALargeMultiBlockStreamExpandsExactly()
    {
        // Several hundred KiB of mixed data (stored, fixed and dynamic blocks across gzip levels) after the ISO: the
        // expansion must equal the source byte for byte.
        byte[] iso = File.ReadAllBytes(_iso);
        var rng = new Random(12345);
        var extra = new byte[3 << 20];
        for (int i = 0; i < extra.Length; i += 4096)
        {
            int kind = rng.Next(3);
            var block = extra.AsSpan(i, Math.Min(4096, extra.Length - i));
            if (kind == 0) rng.NextBytes(block);
            else if (kind == 1) block.Fill((byte)rng.Next(256));
            else for (int j = 0; j < block.Length; j++) block[j] = (byte)"the quick brown fox "[(j + i / 7) % 20];
        }
        byte[] all = [.. iso, .. extra];
        string raw = Path.Combine(_folder, "big.iso");
        File.WriteAllBytes(raw, all);
        foreach (string level in new[] { "-1", "-6", "-9" })
        {
            string gz = GzipTool(raw, $"big{level}.iso.gz", level);
            var r = CliRunner.Run("hash", gz);
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            Assert.That(r.Stdout.Split(' ')[0], Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(all))), level);
        }
    }
}
