using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>The CLI packs as a .NET tool and runs once installed (dotnet pack → dotnet tool install --tool-path).</summary>
[TestFixture]
[Category("Slow")]
public sealed class PackageTests
{
    [Test]
    public void PacksInstallsAndRuns()
    {
        string work = TestPaths.NewTempFolder("cli-pack");
        string feed = Path.Combine(work, "feed"), tools = Path.Combine(work, "tools");
        string project = Path.Combine(TestPaths.RepoRoot, "src", "vdisk", "vdisk.csproj");
        // Pack in the configuration the tests are not built in, so the running build's outputs are left alone.
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var pack = CliRunner.RunProcess("dotnet", ["pack", project, "-c", configuration, "-o", feed, "-nologo"], timeoutSeconds: 600);
        Assert.That(pack.ExitCode, Is.Zero, pack.ToString());
        string version = typeof(VirtualDisk).Assembly.GetName().Version!.ToString(3);
        // The package id is VirtualDiskManaged.Tool (the command stays vdisk): an id nobody else can publish first.
        Assert.That(File.Exists(Path.Combine(feed, $"VirtualDiskManaged.Tool.{version}.nupkg")), Is.True, string.Join(", ", Directory.GetFiles(feed)));

        // Only the local feed: a package of the same name on a public feed must not be picked up instead.
        string config = Path.Combine(work, "nuget.config");
        File.WriteAllText(config, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><clear /></packageSources></configuration>\n");
        var install = CliRunner.RunProcess("dotnet", ["tool", "install", "--tool-path", tools, "--configfile", config, "--source", feed, "VirtualDiskManaged.Tool", "--version", version], timeoutSeconds: 600);
        Assert.That(install.ExitCode, Is.Zero, install.ToString());

        string exe = Path.Combine(tools, OperatingSystem.IsWindows() ? "vdisk.exe" : "vdisk");
        var run = CliRunner.RunProcess(exe, ["--version"]);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout.Trim(), Is.EqualTo("vdisk " + version));
        var help = CliRunner.RunProcess(exe, ["check", "--help"]);
        Assert.That(help.Stdout, Does.StartWith("Usage: vdisk check"));
    }
}
