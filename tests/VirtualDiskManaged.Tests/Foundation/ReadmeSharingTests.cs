using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// What README.md says next to the .NET sample (issue 12, item 8): a second default <see cref="VirtualDisk.Open"/> of
/// the same file in one process fails with 32 (ERROR_SHARING_VIOLATION: a version-1 ATTACH_RO open conflicts with an
/// open ATTACH_RO handle, Windows' rule), and read-only version-2 parameters share. The sample code is the README's.
/// </summary>
[TestFixture]
[NonParallelizable] // in-process handle table
public sealed class ReadmeSharingTests
{
    private string _image = "";

    [OneTimeSetUp]
    public void Make()
    {
        string folder = TestPaths.NewTempFolder("readme-share");
        _image = Path.Combine(folder, "disk.vhd");
        File.Copy(TestPaths.TestDataImage("vhd/dyn-10M.vhd.gz"), _image);
    }

    [Test]
    public void ASecondDefaultOpenFailsWith32()
    {
        using var first = VirtualDisk.Open(_image);
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(_image).Dispose())!;
        Assert.That(e.ErrorCode, Is.EqualTo(32u));
        Assert.That(e.Error, Is.EqualTo(VirtualDiskError.SharingViolation));
    }

    [Test]
    public void ReadOnlyVersion2OpensShare()
    {
        // README: "var shared = new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) };"
        var shared = new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) };
        using var a = VirtualDisk.Open(_image, shared);
        using var b = VirtualDisk.Open(_image, shared);
        var x = new byte[4096];
        var y = new byte[4096];
        a.Read(0, x);
        b.Read(0, y);
        Assert.That(x, Is.EqualTo(y));
        // ... and beside a default (ATTACH_RO) handle too: read-only version-2 opens conflict only with writers.
        using var c = VirtualDisk.Open(_image);
        Assert.That(VirtualDisk.TryOpen(_image, shared, out var d, out var failure), Is.True, () => failure!.ToString());
        d!.Dispose();
    }
}
