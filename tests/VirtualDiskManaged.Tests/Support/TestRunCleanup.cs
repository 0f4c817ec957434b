using System.Diagnostics.CodeAnalysis;
using NUnit.Framework.Interfaces;
using VirtualDiskManaged.Tests.Support;

[assembly: FixtureTempCleanup]

// No namespace on purpose: NUnit runs a [SetUpFixture] only around the tests of its own namespace and below, so the
// run-wide clean-up must sit in the global namespace to run for every test (a whole run or any filtered one).

/// <summary>Deletes the run's temp folder (vdm-tests-PID) after all tests.</summary>
[SetUpFixture]
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "A SetUpFixture covers only its own namespace; this one must cover every test.")]
public sealed class TestRunCleanup
{
    /// <summary>Removes extracted images and every temp folder of the run.</summary>
    [OneTimeTearDown]
    public void Cleanup()
    {
        if (TestPaths.RunTempFolderCreated) TestPaths.DeleteQuietly(TestPaths.RunTempFolder);
    }
}

/// <summary>
/// Before each test: the folders that earlier fixtures made (<see cref="TestPaths.NewTempFolder"/>,
/// <see cref="TestPaths.Gunzip"/>) are deleted, so each fixture's big files go as soon as it is done.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "Beside TestRunCleanup.")]
public sealed class FixtureTempCleanupAttribute : Attribute, ITestAction
{
    /// <inheritdoc />
    public ActionTargets Targets => ActionTargets.Test;

    /// <inheritdoc />
    public void BeforeTest(ITest test) => TestPaths.EnterFixture(test.ClassName ?? "");

    /// <inheritdoc />
    public void AfterTest(ITest test) { }
}
