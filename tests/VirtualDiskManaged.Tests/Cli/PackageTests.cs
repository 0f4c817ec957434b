using System.IO.Compression;
using System.Xml.Linq;
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
    /// <summary>
    /// The library's NuGet package (issue 12, item 6): packs without a warning, with the package readme, tags,
    /// repository and project URLs, the MIT licence expression, and a .snupkg holding the portable PDB (with Source
    /// Link information when the checkout has a GitHub remote: the SDK's built-in Source Link needs one).
    /// </summary>
    [Test]
    public void LibraryPackageHasReadmeTagsRepositoryAndSymbols()
    {
        string work = TestPaths.NewTempFolder("lib-pack");
        string project = Path.Combine(TestPaths.RepoRoot, "src", "VirtualDiskManaged", "VirtualDiskManaged.csproj");
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var pack = CliRunner.RunProcess("dotnet", ["pack", project, "-c", configuration, "-o", work, "-nologo"], timeoutSeconds: 600);
        Assert.That(pack.ExitCode, Is.Zero, pack.ToString());
        Assert.That(pack.Stdout + pack.Stderr, Does.Not.Contain("warning").IgnoreCase, "dotnet pack warns");
        string version = typeof(VirtualDisk).Assembly.GetName().Version!.ToString(3);
        string nupkg = Path.Combine(work, $"VirtualDiskManaged.{version}.nupkg");
        string snupkg = Path.Combine(work, $"VirtualDiskManaged.{version}.snupkg");
        Assert.That(File.Exists(nupkg) && File.Exists(snupkg), Is.True, string.Join(", ", Directory.GetFiles(work)));

        using (var package = ZipFile.OpenRead(nupkg))
        {
            var nuspecEntry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            XDocument nuspec;
            using (var stream = nuspecEntry.Open()) nuspec = XDocument.Load(stream);
            var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
            var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            var license = metadata.Elements().Single(e => e.Name.LocalName == "license");

            Assert.That(Field("id"), Is.EqualTo("VirtualDiskManaged"));
            Assert.That(Field("readme"), Is.EqualTo("README.md"));
            Assert.That(Field("tags")!.Split(' '), Does.Contain("vhd").And.Contain("vhdx").And.Contain("iso"));
            Assert.That(Field("projectUrl"), Does.StartWith("https://github.com/"));
            Assert.That((string?)repository.Attribute("type"), Is.EqualTo("git"));
            Assert.That((string?)repository.Attribute("url"), Does.StartWith("https://github.com/"));
            if (CliRunner.RunProcess("git", ["-C", TestPaths.RepoRoot, "rev-parse", "HEAD"]) is { ExitCode: 0 } head)
                Assert.That((string?)repository.Attribute("commit"), Is.EqualTo(head.Stdout.Trim()), "the commit the package was built from");
            Assert.That((string?)license.Attribute("type"), Is.EqualTo("expression"));
            Assert.That(license.Value, Is.EqualTo("MIT"));

            var readme = package.GetEntry("README.md");
            Assert.That(readme, Is.Not.Null, "the package readme");
            using var reader = new StreamReader(readme!.Open());
            string text = reader.ReadToEnd();
            Assert.That(text, Is.EqualTo(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "VirtualDiskManaged", "README.md"))));
            Assert.That(text, Does.Contain("VirtDisk.OpenVirtualDisk").And.Contain("VirtualDisk.TryOpen").And.Contain("docs/"));
            Assert.That(package.GetEntry("lib/net10.0/VirtualDiskManaged.dll"), Is.Not.Null);
            Assert.That(package.GetEntry("lib/net10.0/VirtualDiskManaged.xml"), Is.Not.Null, "the XML docs");
        }

        using (var symbols = ZipFile.OpenRead(snupkg))
        {
            var pdb = symbols.GetEntry("lib/net10.0/VirtualDiskManaged.pdb");
            Assert.That(pdb, Is.Not.Null, "the .snupkg holds the PDB");
            using var stream = new MemoryStream();
            using (var s = pdb!.Open()) s.CopyTo(stream);
            byte[] bytes = stream.ToArray();
            Assert.That(bytes.AsSpan(0, 4).SequenceEqual("BSJB"u8), Is.True, "a portable PDB (ECMA-335 metadata signature)");
            var origin = CliRunner.RunProcess("git", ["-C", TestPaths.RepoRoot, "remote", "get-url", "origin"]);
            if (origin.ExitCode == 0 && origin.Stdout.Contains("github.com", StringComparison.OrdinalIgnoreCase))
                Assert.That(System.Text.Encoding.UTF8.GetString(bytes), Does.Contain("https://raw.githubusercontent.com/"), "Source Link maps the sources to the GitHub commit");
        }
    }
}
