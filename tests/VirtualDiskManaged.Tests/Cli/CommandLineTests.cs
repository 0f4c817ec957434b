using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// What System.CommandLine gives vdisk: generated help with the exit statuses on every command, POSIX bundling,
/// --opt=value, response files, the [suggest] completion directive; and the environment's own usage errors.
/// </summary>
[TestFixture]
public sealed class CommandLineTests
{
    private string _folder = "";
    private string _iso = "";

    [OneTimeSetUp]
    public void Make()
    {
        _folder = TestPaths.NewTempFolder("cli-parse");
        _iso = CliImages.Iso(_folder, "p.iso");
        File.Copy(_iso, Path.Combine(_folder, "q.iso"));
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (_folder.Length > 0 && Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    [TestCase("")]
    [TestCase("check")]
    [TestCase("info")]
    [TestCase("open")]
    [TestCase("hash")]
    [TestCase("cat")]
    public void HelpCarriesTheExitStatuses(string command)
    {
        var r = CliRunner.Run(command.Length == 0 ? ["--help"] : [command, "--help"]);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        string flat = string.Join(' ', r.Stdout.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
        Assert.That(flat, Does.Contain("Exit status: 0 "));
        Assert.That(flat, Does.Contain("2 usage error, 3 internal error (a bug), 4 cannot write the output."));
    }

    [TestCase("check")]
    [TestCase("hash")]
    public void HelpCommandEqualsHelpOption(string command)
    {
        var viaCommand = CliRunner.Run("help", command);
        Assert.That(viaCommand.ExitCode, Is.Zero, viaCommand.ToString());
        Assert.That(viaCommand.Stdout, Is.EqualTo(CliRunner.Run(command, "--help").Stdout));
        Assert.That(CliRunner.Run("help", "frobnicate").ExitCode, Is.EqualTo(2));
    }

    [Test]
    public void BundledShortOptionsEqualTheLongForms()
    {
        var longForm = CliRunner.Run("check", _folder, "--deep", "--jobs", "2", "--format", "json");
        var bundled = CliRunner.Run("check", _folder, "-dj2", "-fjson");
        Assert.That(bundled.ExitCode, Is.Zero, bundled.ToString());
        Assert.That(Strip(bundled), Is.EqualTo(Strip(longForm)));
        var equals = CliRunner.Run("check", _folder, "--deep=true", "--jobs=2", "--format=json");
        Assert.That(Strip(equals), Is.EqualTo(Strip(longForm)));
    }

    /// <summary>The JSON report without its timings.</summary>
    private static string Strip(CliResult r) =>
        string.Join('\n', r.Stdout.Split('\n').Where(l => !l.TrimStart().StartsWith("\"seconds\"", StringComparison.Ordinal)));

    [Test]
    public void ResponseFileSuppliesArguments()
    {
        string rsp = Path.Combine(_folder, "args.rsp");
        File.WriteAllText(rsp, $"check\n\"{_folder}\"\n--format json\n--jobs 1\n");
        var r = CliRunner.Run("@" + rsp);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Json().GetProperty("summary").GetProperty("total").GetInt32(), Is.EqualTo(2));
        var missing = CliRunner.Run("@" + Path.Combine(_folder, "nope.rsp"));
        Assert.That(missing.ExitCode, Is.EqualTo(2), missing.ToString());
    }

    [TestCase("vdisk ch", "check")]
    [TestCase("vdisk check --fo", "--format")]
    [TestCase("vdisk check --format j", "json")]
    [TestCase("vdisk check --profile ", "hyperv-gen2")]
    [TestCase("vdisk open x --flags NO_", "NO_PARENTS")]
    public void SuggestDirectiveCompletes(string line, string expected)
    {
        var r = CliRunner.Run($"[suggest:{line.Length}]", line);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Split('\n', StringSplitOptions.TrimEntries), Does.Contain(expected), r.ToString());
    }

    [TestCase("abc")]
    [TestCase("0")]
    [TestCase("-5")]
    [TestCase("12MB")]
    public void MalformedGzipCapIsAUsageError(string value)
    {
        var r = CliRunner.RunWith(null, new Dictionary<string, string> { ["VDISK_GZIP_MAX_BYTES"] = value }, "check", _iso);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.StartWith($"vdisk: VDISK_GZIP_MAX_BYTES must be a byte count").And.Contain($"not '{value}'"));
    }

    [Test]
    public void WellFormedGzipCapIsAccepted()
    {
        var r = CliRunner.RunWith(null, new Dictionary<string, string> { ["VDISK_GZIP_MAX_BYTES"] = "0x100000" }, "check", _iso);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
    }

    [Test]
    public void AFileNamedLikeAnOptionGoesAfterDoubleDash()
    {
        string odd = Path.Combine(_folder, "-odd.iso");
        File.Copy(_iso, odd, overwrite: true);
        var r = CliRunner.RunIn(_folder, "check", "--format", "json", "--", "-odd.iso");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        File.Delete(odd);
    }
}
