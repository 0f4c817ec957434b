using System.Text.RegularExpressions;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>--version, --help on every command, and usage errors (exit status 2).</summary>
[TestFixture]
public sealed class CliBasicsTests
{
    [Test]
    public void VersionPrintsTheAssemblyVersion()
    {
        var r = CliRunner.Run("--version");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        string expected = typeof(VirtualDisk).Assembly.GetName().Version!.ToString(3);
        Assert.That(r.Stdout.Trim(), Is.EqualTo("vdisk " + expected));
    }

    [Test]
    public void MainHelpListsEveryCommand()
    {
        var r = CliRunner.Run("--help");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        foreach (string c in new[] { "check", "info", "open", "hash", "cat" })
            Assert.That(r.Stdout, Does.Match(@"(?m)^\s+" + c + @"\s"), c);
    }

    [TestCase("check")]
    [TestCase("info")]
    [TestCase("open")]
    [TestCase("hash")]
    [TestCase("cat")]
    public void EveryCommandHasHelp(string command)
    {
        var r = CliRunner.Run(command, "--help");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout, Does.StartWith("Usage: vdisk " + command));
        var h = CliRunner.Run(command, "-h");
        Assert.That(h.Stdout, Is.EqualTo(r.Stdout));
    }

    [Test]
    public void OpenHelpListsEveryOptionOnItsOwnLine()
    {
        var r = CliRunner.Run("open", "--help");
        foreach (string o in new[] { "--type", "--vendor", "--access", "--flags", "--params", "--rw-depth", "--get-info-only", "--read-only", "--rules", "--strict", "--json" })
            Assert.That(r.Stdout, Does.Match(@"(?m)^\s+" + o + @"\s"), o);
    }

    [TestCase("", TestName = "No arguments")]
    [TestCase("frobnicate", TestName = "Unknown command")]
    [TestCase("check", TestName = "check without a path")]
    [TestCase("check x.vhd --bogus", TestName = "Unknown option")]
    [TestCase("check x.vhd --format xml", TestName = "Bad --format")]
    [TestCase("check x.vhd --profile aws", TestName = "Bad --profile")]
    [TestCase("check x.vhd --jobs 0", TestName = "--jobs 0")]
    [TestCase("check x.vhd --jobs", TestName = "--jobs without a value")]
    [TestCase("check x.vhd --rules newest", TestName = "Bad --rules")]
    [TestCase("open", TestName = "open without a path")]
    [TestCase("open a.vhd b.vhd", TestName = "open with two paths")]
    [TestCase("open a.vhd --access ATTACH_EVERYTHING", TestName = "Unknown access name")]
    [TestCase("open a.vhd --flags NO_PARENTS|", TestName = "Empty flag item")]
    [TestCase("open a.vhd --type floppy", TestName = "Bad --type")]
    [TestCase("open a.vhd --vendor acme", TestName = "Bad --vendor")]
    [TestCase("open a.vhd --params two", TestName = "Bad --params")]
    [TestCase("open a.vhd --params 2 --rw-depth 3", TestName = "--rw-depth with version 2")]
    [TestCase("open a.vhd --read-only", TestName = "--read-only without version 2")]
    [TestCase("open a.vhd --json --json", TestName = "Repeated switch")]
    [TestCase("hash a.vhd --algorithm md5", TestName = "Bad --algorithm")]
    [TestCase("cat a.vhd --offset -1", TestName = "Negative --offset")]
    public void UsageErrorsExitWith2(string commandLine)
    {
        var r = CliRunner.Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.StartWith("vdisk"), "the error is on stderr");
        Assert.That(r.Stdout, Is.Empty.Or.Contain("Usage"));
    }

    [Test]
    public void CheckOfAFolderWithoutImagesIsAUsageError()
    {
        string folder = Support.TestPaths.NewTempFolder("cli-empty");
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "no images here");
        var r = CliRunner.Run("check", folder);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("no images found"));
    }

    [Test]
    public void VersionMatchesTheHelpOfTheInstalledShape()
    {
        // --version output is one line "vdisk X.Y.Z" (CI scripts parse it).
        var r = CliRunner.Run("--version");
        Assert.That(Regex.IsMatch(r.Stdout, @"^vdisk \d+\.\d+\.\d+\S*\r?\n$"), Is.True, r.Stdout);
    }
}
