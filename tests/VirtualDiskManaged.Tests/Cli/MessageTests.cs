using System.Text.RegularExpressions;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// The CLI's wording: the file of a failure is printed once, fields that do not apply are not printed, warnings look
/// like warnings (the strict-mode code beside them, not as the result), plurals agree.
/// </summary>
[TestFixture]
public sealed class MessageTests
{
    private string _folder = "";

    [OneTimeSetUp]
    public void Make() => _folder = TestPaths.NewTempFolder("cli-msg");

    [OneTimeTearDown]
    public void Clean()
    {
        if (_folder.Length > 0 && Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    [Test]
    public void TheFileOfAFailureIsPrintedOnce()
    {
        // An ISO whose size is not a multiple of 2048 (ECMA-119 §6.1.2: logical sectors of 2048 bytes).
        string iso = CliImages.Iso(_folder, "odd.iso");
        using (var f = File.OpenWrite(iso)) f.SetLength(f.Length + 100);
        var open = CliRunner.Run("open", iso);
        Assert.That(open.ExitCode, Is.EqualTo(1), open.ToString());
        Assert.That(Count(open.Stdout, iso), Is.EqualTo(1), open.Stdout);
        Assert.That(open.Stdout, Does.Contain("file:    " + iso));
        Assert.That(open.Stdout, Does.Not.Contain("File: "));

        var check = CliRunner.Run("check", iso);
        Assert.That(Count(check.Stdout, iso), Is.EqualTo(1), check.Stdout);
        var json = CliRunner.Run("check", iso, "--format", "json").Json().GetProperty("results")[0];
        Assert.That(json.GetProperty("message").GetString(), Does.Not.Contain(iso));
        Assert.That(json.GetProperty("file").GetString(), Is.EqualTo(iso));

        var hash = CliRunner.Run("hash", iso);
        Assert.That(Count(hash.Stderr, iso), Is.EqualTo(1), hash.Stderr);
        var info = CliRunner.Run("info", iso);
        Assert.That(Count(info.Stdout, iso), Is.EqualTo(1), info.Stdout);
    }

    [Test]
    public void IsoInfoPrintsOnlyWhatApplies()
    {
        string iso = CliImages.Iso(_folder, "plain.iso");
        var info = CliRunner.Run("info", iso);
        Assert.That(info.ExitCode, Is.Zero, info.ToString());
        Assert.That(info.Stdout, Does.Not.Contain("log replayed"));
        Assert.That(info.Stdout, Does.Not.Contain("4K aligned"));
        Assert.That(info.Stdout, Does.Not.Contain("subtype"));
        Assert.That(info.Stdout, Does.Not.Contain("none"));
        Assert.That(info.Stdout, Does.Contain("chain:           1 file\n"));
        var open = CliRunner.Run("open", iso);
        Assert.That(open.Stdout, Does.Contain("format:  iso\n"));
    }

    [Test]
    public void VhdInfoPrintsOnlyWhatApplies()
    {
        string vhd = TestPaths.TestDataImage("vhd/fixed-3M.vhd.gz");
        var info = CliRunner.Run("info", vhd);
        Assert.That(info.ExitCode, Is.Zero, info.ToString());
        Assert.That(info.Stdout, Does.Not.Contain("log replayed"));
        Assert.That(info.Stdout, Does.Not.Contain("4K aligned"));
        Assert.That(info.Stdout, Does.Contain("format:          vhd\n"));
    }

    [Test]
    public void VhdxInfoShowsTheLogAndAlignment()
    {
        string vhdx = TestPaths.TestDataImage("vhdx/fixed-bs1M.vhdx.gz");
        var info = CliRunner.Run("info", vhdx);
        Assert.That(info.ExitCode, Is.Zero, info.ToString());
        Assert.That(info.Stdout, Does.Contain("log replayed:    no"));
        Assert.That(info.Stdout, Does.Contain("4K aligned:"));
    }

    [Test]
    public void LogReplayedIsShownAsAWarningWithTheStrictCodeApart()
    {
        // MS-VHDX §2.3.3: a non-empty log is replayed (here in memory); the open succeeds with a warning.
        string vhdx = Path.Combine(TestPaths.TestData, "vhdx-log", "pending-bat.vhdx.gz");
        foreach (var args in new[] { new[] { "open", vhdx }, ["info", vhdx], ["check", vhdx] })
        {
            var r = CliRunner.Run(args);
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            string line = r.Stdout.Split('\n').Single(l => l.Contains("VhdxLogReplayed", StringComparison.Ordinal)).Trim();
            Assert.That(line, Does.StartWith("warning: VhdxLogReplayed: "), args[0]);
            Assert.That(line, Does.EndWith("(strict mode: code 5 (0x00000005) ERROR_ACCESS_DENIED)"), args[0]);
            Assert.That(r.Stdout, Does.Not.Match(@"(?m)^code:\s+5\b"), "the open's result is success, not code 5");
        }
    }
}
