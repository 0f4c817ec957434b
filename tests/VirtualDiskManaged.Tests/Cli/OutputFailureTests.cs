using System.Diagnostics;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// Output that cannot be written (a full device, a closed stdout, a folder as --output) is one line
/// "vdisk: cannot write OUTPUT: reason" and exit status 4 in every command, never a stack trace, never 3; a broken
/// pipe (the reader went away) stays quiet. The built CLI runs under sh so its stdout can be redirected or closed.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win", Reason = "uses /dev/full and sh redirections")]
public sealed class OutputFailureTests
{
    private string _folder = "";
    private string _iso = "";

    [OneTimeSetUp]
    public void Make()
    {
        if (!File.Exists("/dev/full")) Assert.Ignore("no /dev/full on this system");
        _folder = TestPaths.NewTempFolder("cli-out");
        _iso = CliImages.Iso(_folder, "out.iso");
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (_folder.Length > 0 && Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    /// <summary>Runs <c>dotnet vdisk.dll ARGS REDIRECTION</c> under sh; the arguments are passed as sh's positionals.</summary>
    private static CliResult Shell(string redirection, params string[] args) =>
        CliRunner.RunProcess("sh", ["-c", "dotnet \"$@\" " + redirection, "sh", CliRunner.VdiskDll, .. args]);

    private static void AssertCannotWrite(CliResult r, string target, string reason)
    {
        Assert.That(r.ExitCode, Is.EqualTo(4), r.ToString());
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.ToString());
        Assert.That(lines[0], Is.EqualTo($"vdisk: cannot write {target}: {reason}"));
        Assert.That(r.Stderr, Does.Not.Contain("   at "), "no stack trace");
    }

    private IEnumerable<string[]> Commands() =>
    [
        ["check", _iso], ["check", _iso, "--format", "json"], ["check", _iso, "--format", "junit"],
        ["info", _iso], ["info", _iso, "--json"], ["open", _iso], ["open", _iso, "--json"], ["hash", _iso], ["cat", _iso],
        ["--help"], ["check", "--help"], ["--version"],
    ];

    [Test]
    public void StdoutOnAFullDevice()
    {
        foreach (var args in Commands())
            AssertCannotWrite(Shell("> /dev/full", args), "stdout", "no space left on device");
    }

    [Test]
    public void StdoutClosed()
    {
        foreach (var args in Commands())
            AssertCannotWrite(Shell(">&-", args), "stdout", "stdout is closed or not writable");
    }

    [TestCase("text")]
    [TestCase("json")]
    [TestCase("junit")]
    public void OutputOnAFullDevice(string format)
    {
        var r = CliRunner.Run("check", _iso, "--format", format, "--output", "/dev/full");
        AssertCannotWrite(r, "/dev/full", "no space left on device");
    }

    [Test]
    public void OutputIsAFolder()
    {
        var r = CliRunner.Run("check", _iso, "-o", _folder);
        AssertCannotWrite(r, _folder, "is a directory");
        var tmp = CliRunner.Run("check", _iso, "--format", "json", "-o", Path.GetTempPath().TrimEnd('/'));
        AssertCannotWrite(tmp, Path.GetTempPath().TrimEnd('/'), "is a directory");
    }

    [Test]
    public void OutputInAMissingFolder()
    {
        string path = Path.Combine(_folder, "no-such-folder", "report.xml");
        AssertCannotWrite(CliRunner.Run("check", _iso, "-o", path), path, "no such directory");
    }

    [Test]
    public void OutputWithoutPermission()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root") Assert.Ignore("root may write anywhere (EACCES cannot be provoked)");
        string locked = Path.Combine(_folder, "locked");
        Directory.CreateDirectory(locked);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        string path = Path.Combine(locked, "report.txt");
        AssertCannotWrite(CliRunner.Run("check", _iso, "-o", path), path, "permission denied");
    }

    [Test]
    public void AReportFileIsReplacedWholeAndNoTempFileStays()
    {
        string report = Path.Combine(_folder, "report.json");
        File.WriteAllText(report, "old");
        var r = CliRunner.Run("check", _iso, "--format", "json", "-o", report);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(File.ReadAllText(report), Does.StartWith("{"));
        Assert.That(Directory.GetFiles(_folder, "*.tmp"), Is.Empty);
        Assert.That(Directory.GetFiles(_folder, ".report.json*"), Is.Empty);
    }

    [Test]
    public void ABrokenPipeStaysQuiet()
    {
        // cat of the whole image into head -c 1: the reader goes away after one byte.
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("dotnet \"$1\" cat \"$2\" | head -c 1 > /dev/null; echo \"status ${PIPESTATUS[0]}\"; dotnet \"$1\" check \"$2\" \"$2\" \"$2\" | head -c 1 > /dev/null; echo \"status ${PIPESTATUS[0]}\"");
        psi.ArgumentList.Add("bash");
        psi.ArgumentList.Add(CliRunner.VdiskDll);
        psi.ArgumentList.Add(_iso);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "status 0", "status 0" }), err.Result);
        Assert.That(err.Result, Is.Empty);
    }
}
