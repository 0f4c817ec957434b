using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// The natural TryOpen calls compile and give the diagnostic (issue 12, item 5). This file is the compile-level test:
/// before the fix, <c>TryOpen(path, null, out var h, out var f)</c> was CS0121 (ambiguous) and the 3-argument form
/// did not exist; callers that spell out the out types keep their overloads.
/// </summary>
[TestFixture]
public sealed class TryOpenOverloadTests
{
    private string _folder = "";
    private string _missing = "";

    [OneTimeSetUp]
    public void Make()
    {
        _folder = TestPaths.NewTempFolder("tryopen");
        _missing = Path.Combine(_folder, "missing.vhdx");
    }

    [Test]
    public void ThreeArgumentsOutVarGivesTheDiagnostic()
    {
        if (VirtualDisk.TryOpen(_missing, out var handle, out var failure))
        {
            handle.Dispose();
            Assert.Fail("opened a missing file");
            return;
        }
        VirtualDiskDiagnostic diagnostic = failure; // [NotNullWhen(false)]: no null warning after a false result
        Assert.That(diagnostic.Code, Is.EqualTo(VirtualDiskError.FileNotFound));
    }

    [Test]
    public void NullOptionsOutVarGivesTheDiagnostic()
    {
        bool ok = VirtualDisk.TryOpen(_missing, null, out var handle, out var failure);
        Assert.That(ok, Is.False);
        Assert.That(handle, Is.Null);
        Assert.That(failure, Is.TypeOf<VirtualDiskDiagnostic>());
        Assert.That(failure!.Code, Is.EqualTo(VirtualDiskError.FileNotFound));
    }

    [Test]
    public void OptionsOutVarGivesTheDiagnostic()
    {
        var options = new VirtualDiskOpenOptions { Strict = true };
        Assert.That(VirtualDisk.TryOpen(_missing, options, out var handle, out var failure), Is.False);
        Assert.That(handle, Is.Null);
        Assert.That(failure!.Reason, Is.Not.EqualTo(default(VirtualDiskErrorReason)));
        Assert.That(failure.FilePath, Is.EqualTo(_missing));
    }

    [Test]
    public void SpelledOutTypesKeepTheirOverloads()
    {
        Assert.That(VirtualDisk.TryOpen(_missing, null, out VirtualDiskHandle? h1, out VirtualDiskError error), Is.False);
        Assert.That(h1, Is.Null);
        Assert.That(error, Is.EqualTo(VirtualDiskError.FileNotFound));
        Assert.That(VirtualDisk.TryOpen(_missing, null, out VirtualDiskHandle? h2, out VirtualDiskDiagnostic? failure), Is.False);
        Assert.That(h2, Is.Null);
        Assert.That(failure!.Code, Is.EqualTo(VirtualDiskError.FileNotFound));
        Assert.That(VirtualDisk.TryOpen(_missing, out VirtualDiskHandle? h3, out VirtualDiskDiagnostic? f3), Is.False);
        Assert.That(h3, Is.Null);
        Assert.That(f3!.Code, Is.EqualTo(VirtualDiskError.FileNotFound));
    }

    [Test]
    public void OutVarOpensARealImage()
    {
        string image = TestPaths.TestDataImage("vhd/dyn-10M.vhd.gz");
        if (!VirtualDisk.TryOpen(image, out var handle, out var failure))
        {
            Assert.Fail(failure.ToString());
            return;
        }
        using (handle)
        {
            Assert.That(failure, Is.Null);
            Assert.That(handle.VirtualSize, Is.GreaterThan(0));
        }
    }
}
