using System.Reflection;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// Test runs leave nothing in the temp folder (issue 12, item 2): the run-wide clean-up is set up for every test, and
/// the folders of a fixture are deleted as soon as the next fixture starts. (.ci/run checks that no vdm-tests-PID
/// folder is left after dotnet test.)
/// </summary>
[TestFixture]
public sealed class TempCleanupTests
{
    [Test]
    public void RunCleanupFixtureCoversEveryTestNamespace()
    {
        // NUnit sets up a [SetUpFixture] only for the tests in its namespace (and below); the global namespace covers all.
        var assembly = typeof(TempCleanupTests).Assembly;
        var cleanup = assembly.GetTypes().Single(t => t.Name == "TestRunCleanup");
        Assert.That(cleanup.GetCustomAttribute<SetUpFixtureAttribute>(), Is.Not.Null);
        string? ns = cleanup.Namespace;
        var fixtureNamespaces = assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttributes().Any(a => a is TestAttribute or TestCaseAttribute or TestCaseSourceAttribute)))
            .Select(t => t.Namespace ?? "").Distinct().ToList();
        Assert.That(fixtureNamespaces, Is.Not.Empty);
        foreach (string f in fixtureNamespaces)
            Assert.That(ns is null || f == ns || f.StartsWith(ns + ".", StringComparison.Ordinal), Is.True,
                $"TestRunCleanup (namespace {ns}) is not set up for the tests in {f}");
    }

    [Test]
    public void FoldersOfAFixtureAreDeletedWhenAnotherFixtureStarts()
    {
        string me = TestPaths.CurrentOwner();
        Assert.That(me, Is.EqualTo(typeof(TempCleanupTests).FullName));
        string folder = TestPaths.NewTempFolder("cleanup-probe");
        File.WriteAllBytes(Path.Combine(folder, "big.bin"), new byte[4096]);
        string image = TestPaths.TestDataImage("vhd/dyn-10M.vhd.gz");
        Assert.That(File.Exists(image), Is.True);
        Assert.That(TestPaths.OwnedFolders().Where(o => o.Owner == me).Select(o => o.Path), Does.Contain(folder).And.Contain(Path.GetDirectoryName(image)));
        try
        {
            TestPaths.EnterFixture("VirtualDiskManaged.Tests.SomeLaterFixture");
            Assert.That(Directory.Exists(folder), Is.False, "the fixture's own folder");
            Assert.That(File.Exists(image), Is.False, "the fixture's extracted image");
            Assert.That(TestPaths.OwnedFolders().Where(o => o.Owner == me), Is.Empty);
        }
        finally
        {
            TestPaths.EnterFixture(me);
        }
        // The extraction cache forgot the deleted copy: asking again extracts it again.
        string again = TestPaths.TestDataImage("vhd/dyn-10M.vhd.gz");
        Assert.That(File.Exists(again), Is.True);
    }

    [Test]
    public void AnExtractionAskedForByALaterFixtureIsKeptForIt()
    {
        string me = TestPaths.CurrentOwner();
        string image = TestPaths.TestDataImage("vhd/dyn-10M.vhd.gz");
        Assert.That(TestPaths.OwnedFolders().Single(o => o.Path == Path.GetDirectoryName(image)).Owner, Is.EqualTo(me));
        Assert.That(TestPaths.RunTempFolder, Does.StartWith(Path.GetTempPath().TrimEnd(Path.DirectorySeparatorChar)));
        Assert.That(Path.GetFileName(TestPaths.RunTempFolder), Is.EqualTo("vdm-tests-" + Environment.ProcessId));
    }
}
