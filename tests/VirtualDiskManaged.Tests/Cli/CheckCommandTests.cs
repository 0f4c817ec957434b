using System.Text.Json;
using System.Xml;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>vdisk check: folder walks, gzip inputs, text/JSON/JUnit reports, --output, --jobs, --deep, exit statuses.</summary>
[TestFixture]
public sealed class CheckCommandTests
{
    private string _folder = "";
    private readonly List<string> _expectedOrder = [];
    private readonly Dictionary<string, uint> _expectedCode = [];

    /// <summary>
    /// A folder with: a good ISO, a gzip-compressed ISO, a bootable ISO in a sub-folder, an ISO whose size is not a
    /// multiple of 2048 (docs/open-path.md §5 → 1392), a file of zeros named .vhd (no footer → 0xC03A0001) and a non-image file.
    /// </summary>
    [OneTimeSetUp]
    public void MakeFolder()
    {
        _folder = TestPaths.NewTempFolder("cli-check");
        string sub = Path.Combine(_folder, "sub");
        Directory.CreateDirectory(sub);
        string good = CliImages.Iso(_folder, "b-good.iso");
        string gz = CliImages.Gzip(CliImages.Iso(_folder, "a-zipped.iso"));
        string boot = CliImages.Iso(sub, "boot.iso", elTorito: true);
        string odd = Path.Combine(_folder, "c-odd.iso");
        File.Copy(good, odd);
        using (var f = File.OpenWrite(odd)) f.SetLength(f.Length + 100);
        string zeros = Path.Combine(_folder, "d-zeros.vhd");
        File.WriteAllBytes(zeros, new byte[1 << 20]);
        File.WriteAllText(Path.Combine(_folder, "readme.txt"), "not an image");
        foreach (var (p, c) in new[] { (gz, 0u), (good, 0u), (odd, 1392u), (zeros, 0xC03A0001u), (boot, 0u) })
            _expectedCode[p] = c;
        _expectedOrder.AddRange(_expectedCode.Keys.Order(StringComparer.Ordinal));
    }

    [Test]
    public void TextReportListsEveryImageInOrderWithSummary()
    {
        var r = CliRunner.Run("check", _folder);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var imageLines = lines.Where(l => l.StartsWith("ok ", StringComparison.Ordinal) || l.StartsWith("FAILED ", StringComparison.Ordinal)).ToList();
        Assert.That(imageLines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]), Is.EqualTo(_expectedOrder));
        Assert.That(lines[^1].Trim(), Is.EqualTo("5 images: 3 ok, 2 failed"));
        Assert.That(r.Stdout, Does.Contain("1392 (0x00000570) ERROR_FILE_CORRUPT"));
        Assert.That(r.Stdout, Does.Contain("(0xC03A0001) ERROR_VHD_DRIVE_FOOTER_MISSING"));
        Assert.That(r.Stdout, Does.Not.Contain("readme.txt"));
    }

    [Test]
    public void AllGoodExitsWith0()
    {
        var good = _expectedCode.Where(kv => kv.Value == 0).Select(kv => kv.Key).ToArray();
        var r = CliRunner.Run(["check", .. good]);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.TrimEnd(), Does.EndWith("3 images: 3 ok, 0 failed"));
    }

    [Test]
    public void NoRecursiveSkipsSubFolders()
    {
        var r = CliRunner.Run("check", _folder, "--no-recursive", "--format", "json");
        var paths = r.Json().GetProperty("results").EnumerateArray().Select(x => x.GetProperty("path").GetString()).ToList();
        Assert.That(paths, Is.EqualTo(_expectedOrder.Where(p => !p.Contains("/sub/", StringComparison.Ordinal) && !p.Contains("\\sub\\", StringComparison.Ordinal))));
    }

    [Test]
    public void JsonReportFollowsItsSchema()
    {
        var r = CliRunner.Run("check", _folder, "--format", "json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var doc = r.Json();
        var schema = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "check-result.schema.json"))).RootElement;
        Assert.That(MiniSchema.Validate(schema, doc), Is.Empty);

        Assert.That(doc.GetProperty("schemaVersion").GetInt32(), Is.EqualTo(1));
        var results = doc.GetProperty("results").EnumerateArray().ToList();
        Assert.That(results.Select(x => x.GetProperty("path").GetString()), Is.EqualTo(_expectedOrder));
        foreach (var x in results)
        {
            string path = x.GetProperty("path").GetString()!;
            uint expected = _expectedCode[path];
            Assert.That(x.GetProperty("code").GetUInt32(), Is.EqualTo(expected), path);
            Assert.That(x.GetProperty("status").GetString(), Is.EqualTo(expected == 0 ? "ok" : "failed"), path);
            Assert.That(x.GetProperty("ok").GetBoolean(), Is.EqualTo(expected == 0));
            Assert.That(x.GetProperty("hex").GetString(), Is.EqualTo($"0x{expected:X8}"));
            Assert.That(x.GetProperty("name").GetString(), Is.EqualTo(VirtualDiskErrors.SymbolOf((VirtualDiskError)expected)));
            Assert.That(x.GetProperty("internalError").ValueKind, Is.EqualTo(JsonValueKind.Null));
            if (expected == 0) Assert.That(x.GetProperty("format").GetString(), Is.EqualTo("iso"));
            else Assert.That(x.GetProperty("file").GetString(), Is.EqualTo(path), "the file at fault is the image");
        }
        var summary = doc.GetProperty("summary");
        Assert.That(summary.GetProperty("total").GetInt32(), Is.EqualTo(5));
        Assert.That(summary.GetProperty("ok").GetInt32(), Is.EqualTo(3));
        Assert.That(summary.GetProperty("failed").GetInt32(), Is.EqualTo(2));
        Assert.That(summary.GetProperty("internalErrors").GetInt32(), Is.Zero);
        // The bootable ISO says so.
        Assert.That(results.Single(x => x.GetProperty("path").GetString()!.EndsWith("boot.iso", StringComparison.Ordinal)).GetProperty("elTorito").GetBoolean(), Is.True);
    }

    [Test]
    public void JUnitReportHasOneTestCasePerImage()
    {
        string output = Path.Combine(TestPaths.NewTempFolder("cli-junit"), "results.xml");
        var r = CliRunner.Run("check", _folder, "--format", "junit", "--output", output);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("5 images: 3 ok, 2 failed"), "with --output, stdout has the summary");
        var xml = new XmlDocument();
        xml.Load(output);
        var suite = (XmlElement)xml.SelectSingleNode("/testsuites/testsuite")!;
        Assert.That(suite.GetAttribute("tests"), Is.EqualTo("5"));
        Assert.That(suite.GetAttribute("failures"), Is.EqualTo("2"));
        Assert.That(suite.GetAttribute("errors"), Is.EqualTo("0"));
        var cases = xml.SelectNodes("/testsuites/testsuite/testcase")!.Cast<XmlElement>().ToList();
        Assert.That(cases.Select(c => c.GetAttribute("name")), Is.EqualTo(_expectedOrder));
        foreach (var c in cases)
        {
            uint expected = _expectedCode[c.GetAttribute("name")];
            var failure = (XmlElement?)c.SelectSingleNode("failure");
            if (expected == 0) Assert.That(failure, Is.Null);
            else
            {
                Assert.That(failure, Is.Not.Null);
                Assert.That(failure!.GetAttribute("type"), Is.EqualTo(VirtualDiskErrors.SymbolOf((VirtualDiskError)expected)));
                Assert.That(failure.GetAttribute("message"), Does.Contain($"0x{expected:X8}"));
            }
        }
    }

    /// <summary>
    /// A file name holding a control character (XML 1.0 cannot carry U+0001 even as a character reference) still gives a
    /// JUnit report a strict XML parser loads, the name keeping its other characters; the text report prints it escaped.
    /// </summary>
    [Test]
    public void JUnitReportOfAControlCharacterNameIsWellFormed()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("Windows names cannot hold U+0001");
        string folder = TestPaths.NewTempFolder("cli-junit-ctl");
        string name = "ctl\u0001name]]>&<.vhd";
        File.Copy(TestPaths.Gunzip(Path.Combine(TestPaths.TestData, "vhd", "dyn-10M.vhd.gz")), Path.Combine(folder, name));
        var r = CliRunner.Run("check", folder, "--format", "junit");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var xml = new XmlDocument();
        Assert.DoesNotThrow(() => xml.LoadXml(r.Stdout[..(r.Stdout.LastIndexOf("</testsuites>", StringComparison.Ordinal) + "</testsuites>".Length)]));
        var testcase = (XmlElement)xml.SelectSingleNode("/testsuites/testsuite/testcase")!;
        Assert.That(testcase.GetAttribute("name"), Does.EndWith("ctl\uFFFDname]]>&<.vhd"));
        // The text report escapes it for the terminal, as vdisk ls does (a name could hold an escape sequence).
        var text = CliRunner.Run("check", folder);
        Assert.That(text.ExitCode, Is.EqualTo(0), text.ToString());
        Assert.That(text.Stdout, Does.Contain("ctl\\x01name]]>&<.vhd"));
        Assert.That(text.Stdout.Contains('\u0001'), Is.False, "no raw control character (a char search: a culture-aware string search ignores U+0001)");
    }

    /// <summary>
    /// An escape sequence in a name (here ESC [ 3 1 m and the C1 CSI, U+009B) is printed as \xNN by every command, on
    /// stdout (vdisk info's path line) and on stderr (a failure naming the file), so a hostile name cannot drive the
    /// terminal; line feeds still end lines.
    /// </summary>
    [Test]
    public void ControlCharactersNeverReachTheTerminal()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("Windows names cannot hold ESC");
        string folder = TestPaths.NewTempFolder("cli-escape");
        string image = Path.Combine(folder, "esc\u001b[31mred\u009b.vhd");
        File.Copy(TestPaths.Gunzip(Path.Combine(TestPaths.TestData, "vhd", "dyn-10M.vhd.gz")), image);
        var info = CliRunner.Run("info", image);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.ToString());
        Assert.That(info.Stdout, Does.Contain("esc\\x1B[31mred\\x9B.vhd"));
        Assert.That(info.Stdout.IndexOfAny(['\u001b', '\u009b']), Is.EqualTo(-1));
        Assert.That(info.Stdout.Split('\n').Length, Is.GreaterThan(5), "lines are kept");
        var missing = CliRunner.Run("info", image + ".missing");
        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        string said = missing.Stdout + missing.Stderr; // info prints its failure report on stdout, the open's line on stderr
        Assert.That(said, Does.Contain("esc\\x1B[31mred\\x9B.vhd.missing"));
        Assert.That(said.IndexOfAny(['\u001b', '\u009b']), Is.EqualTo(-1));
        var compare = CliRunner.Run("compare", image, image + ".missing");
        Assert.That(compare.Stderr, Does.Contain("esc\\x1B[31mred\\x9B.vhd.missing"));
        Assert.That(compare.Stderr.IndexOfAny(['\u001b', '\u009b']), Is.EqualTo(-1));
    }

    [Test]
    public void TextReportToOutputFile()
    {
        string output = Path.Combine(TestPaths.NewTempFolder("cli-out"), "report.txt");
        var r = CliRunner.Run("check", _folder, "--output", output);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stdout.Trim(), Is.EqualTo("5 images: 3 ok, 2 failed"));
        string text = File.ReadAllText(output);
        Assert.That(text, Does.Contain("FAILED"));
        Assert.That(text.TrimEnd(), Does.EndWith("5 images: 3 ok, 2 failed"));
    }

    [Test]
    public void ResultsDoNotDependOnJobs()
    {
        var one = CliRunner.Run("check", _folder, "--format", "json", "--jobs", "1").Json();
        var four = CliRunner.Run("check", _folder, "--format", "json", "--jobs", "4").Json();
        static IEnumerable<string> Key(JsonElement d) => d.GetProperty("results").EnumerateArray()
            .Select(x => x.GetProperty("path").GetString() + "=" + x.GetProperty("code"));
        Assert.That(Key(four), Is.EqualTo(Key(one)));
    }

    [Test]
    public void DeepReadsEveryByte()
    {
        string iso = _expectedCode.First(kv => kv.Key.EndsWith("b-good.iso", StringComparison.Ordinal)).Key;
        var r = CliRunner.Run("check", iso, "--deep", "--hash", "--format", "json");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var deep = r.Json().GetProperty("results")[0].GetProperty("deep");
        Assert.That(deep.GetProperty("bytesRead").GetInt64(), Is.EqualTo(new FileInfo(iso).Length));
        Assert.That(deep.GetProperty("sha256").GetString(), Is.EqualTo(CliImages.FileSha256(iso)));
        Assert.That(deep.GetProperty("problems").GetArrayLength(), Is.Zero);
        Assert.That(r.Stderr, Does.Not.Contain("\r"), "no progress bar when CI is set");
    }

    [Test]
    public void MissingFileIsAFailureWithCode2()
    {
        string missing = Path.Combine(_folder, "gone.vhdx");
        var r = CliRunner.Run("check", missing, "--format", "json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var x = r.Json().GetProperty("results")[0];
        Assert.That(x.GetProperty("code").GetUInt32(), Is.EqualTo(2));
        Assert.That(x.GetProperty("name").GetString(), Is.EqualTo("ERROR_FILE_NOT_FOUND"));
    }

    [Test]
    public void CorruptGzipIsAnInputError()
    {
        string folder = TestPaths.NewTempFolder("cli-badgz");
        string gz = Path.Combine(folder, "broken.iso.gz");
        File.WriteAllBytes(gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
        var r = CliRunner.Run("check", gz, "--format", "json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var x = r.Json().GetProperty("results")[0];
        Assert.That(x.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(x.GetProperty("code").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(x.GetProperty("inputError").GetString(), Does.Contain("gzip"));
    }

    [Test]
    public void GzipOverTheCapIsRefused()
    {
        string gz = _expectedOrder.First(p => p.EndsWith(".gz", StringComparison.Ordinal));
        var r = CliRunner.RunWith(null, new Dictionary<string, string> { ["VDISK_GZIP_MAX_BYTES"] = "40000" }, "check", gz, "--format", "json");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var x = r.Json().GetProperty("results")[0];
        Assert.That(x.GetProperty("inputError").GetString(), Does.Contain("exceeds 40,000 bytes"));
    }

    [Test]
    public void TempCopiesOfGzipImagesAreDeleted()
    {
        string tmp = TestPaths.NewTempFolder("cli-tmp");
        var r = CliRunner.RunWith(null, new Dictionary<string, string> { ["TMPDIR"] = tmp }, "check", _folder);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(Directory.EnumerateFileSystemEntries(tmp, "*", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public void InternalErrorIsReportedWithNullCodeAndExit3()
    {
        // VDISK_TEST_FAULT makes the open of one file throw an unexpected exception (a stand-in for a library bug).
        var env = new Dictionary<string, string> { ["VDISK_TEST_FAULT"] = "b-good.iso" };
        var r = CliRunner.RunWith(null, env, "check", _folder, "--format", "json");
        Assert.That(r.ExitCode, Is.EqualTo(3), r.ToString());
        var doc = r.Json();
        var schema = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "check-result.schema.json"))).RootElement;
        Assert.That(MiniSchema.Validate(schema, doc), Is.Empty);
        var x = doc.GetProperty("results").EnumerateArray().Single(e => e.GetProperty("path").GetString()!.EndsWith("b-good.iso", StringComparison.Ordinal));
        Assert.That(x.GetProperty("status").GetString(), Is.EqualTo("error"));
        Assert.That(x.GetProperty("code").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(x.GetProperty("internalError").GetString(), Is.EqualTo("System.InvalidOperationException: injected fault (VDISK_TEST_FAULT)"));
        Assert.That(doc.GetProperty("summary").GetProperty("internalErrors").GetInt32(), Is.EqualTo(1));

        var junit = CliRunner.RunWith(null, env, "check", _folder, "--format", "junit");
        Assert.That(junit.ExitCode, Is.EqualTo(3));
        var xml = new XmlDocument();
        xml.LoadXml(junit.Stdout);
        Assert.That(xml.SelectNodes("//testcase/error[@type='InternalError']")!.Count, Is.EqualTo(1));
        Assert.That(((XmlElement)xml.SelectSingleNode("/testsuites")!).GetAttribute("errors"), Is.EqualTo("1"));

        var text = CliRunner.RunWith(null, env, "check", _folder);
        Assert.That(text.ExitCode, Is.EqualTo(3));
        Assert.That(text.Stdout.TrimEnd(), Does.EndWith("5 images: 2 ok, 2 failed, 1 internal error"));
    }

    [Test]
    public void ManyImagesInOneProcess()
    {
        // 400 hard links to one ISO: one process, every handle disposed, stable order.
        string folder = TestPaths.NewTempFolder("cli-many");
        string source = _expectedOrder.First(p => p.EndsWith("b-good.iso", StringComparison.Ordinal));
        for (int i = 0; i < 400; i++) File.Copy(source, Path.Combine(folder, $"img{i:D4}.iso"));
        var r = CliRunner.Run("check", folder, "--format", "json", "--jobs", "8");
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        var results = r.Json().GetProperty("results").EnumerateArray().Select(x => Path.GetFileName(x.GetProperty("path").GetString())).ToList();
        Assert.That(results, Is.EqualTo(Enumerable.Range(0, 400).Select(i => $"img{i:D4}.iso")));
    }
}
