using System.Text.RegularExpressions;
using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Vhdx;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// Messages read as sentences and name the file once (issue 12, item 7): <see cref="VirtualDiskDiagnostic.Message"/>
/// is the reason's sentence, the detail, the path in the image, the offset, the paths tried and the cause, never the
/// file (FilePath is shown beside it); ToString() and the exception's message add the file once. Counts agree with
/// their nouns ("1 byte"), and the info types print something useful.
/// </summary>
[TestFixture]
public sealed class DiagnosticMessageTests
{
    private string _folder = "";

    [OneTimeSetUp]
    public void Make() => _folder = TestPaths.NewTempFolder("msg");

    private static int Occurrences(string text, string part) => text.Split(part).Length - 1;

    [Test]
    public void MessageDoesNotNameTheFileAndToStringAndTheExceptionNameItOnce()
    {
        string missing = Path.Combine(_folder, "child.avhdx");
        Assert.That(VirtualDisk.TryOpen(missing, out _, out var failure), Is.False);
        Assert.That(failure!.FilePath, Is.EqualTo(missing));
        Assert.That(failure.Message, Does.Not.Contain(missing));
        Assert.That(failure.Message, Does.Not.Contain("File:"));
        Assert.That(failure.Message, Does.StartWith(VirtualDiskErrors.MessageOf(failure.Reason)));
        Assert.That(Occurrences(failure.ToString(), missing), Is.EqualTo(1), failure.ToString());
        Assert.That(failure.ToString(), Does.EndWith(" File: " + missing + "."));
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(missing))!;
        Assert.That(Occurrences(e.Message, missing), Is.EqualTo(1), e.Message);
        Assert.That(e.Message, Is.EqualTo(failure.Message + " File: " + missing + "."));
    }

    [Test]
    public void EverySentenceEndsWithAFullStopAndTheOffsetIsItsOwnSentence()
    {
        // A VHD whose footer checksum is wrong: reason, detail and offset (VHD spec "Checksum").
        var image = VhdWriter.NewDynamic(8 << 20).Build();
        var bytes = image.Bytes.ToArray();
        bytes[bytes.Length - 512 + 64] ^= 0xFF; // the footer's checksum field (offset 64 of the footer)
        bytes[64] ^= 0xFF;        // and the copy's
        string path = VhdxTestSupport.Save(bytes, _folder, "bad-sum.vhd");
        Assert.That(VirtualDisk.TryOpen(path, out _, out var failure), Is.False);
        string m = failure!.Message;
        Assert.That(m, Does.Not.Contain(".."));
        Assert.That(m, Does.Not.Contain(". ("));
        Assert.That(m, Does.EndWith("."));
        if (failure.Offset is long o) Assert.That(m, Does.Contain($" At byte offset {o}."));
        Assert.That(m, Does.Not.Contain(path));
    }

    [Test]
    public void ParentNotFoundListsThePathsTriedInOneSentence()
    {
        var parent = new VhdxWriter(4 * VhdxWriter.MiB);
        var child = new VhdxWriter(4 * VhdxWriter.MiB) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "gone.vhdx", AbsolutePath: "/nonexistent/gone.vhdx") };
        string path = VhdxTestSupport.Save(child, _folder, "orphan.vhdx");
        Assert.That(VirtualDisk.TryOpen(path, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentNotFound));
        Assert.That(failure.PathsTried, Is.Not.Empty);
        Assert.That(failure.Message, Is.EqualTo(VirtualDiskErrors.MessageOf(VirtualDiskErrorReason.ParentNotFound)
            + " Paths tried: " + string.Join("; ", failure.PathsTried) + "."));
        Assert.That(failure.Message, Does.Not.Contain("Parent of"));
        Assert.That(Occurrences(failure.ToString(), path), Is.EqualTo(1), failure.ToString());
    }

    [Test]
    public void CountsAgreeWithTheirNouns()
    {
        // ECMA-119 §6.1: an ISO is a whole number of 2,048-byte sectors; one byte over is "1 byte", not "1 bytes".
        string iso = Files.Iso(_folder, "plus1.iso", length: 36864 + 1);
        var failure = Files.Failure(iso)!;
        Assert.That(failure.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoSizeNotMultipleOf2048));
        Assert.That(failure.Message, Does.Contain("leaves 1 byte over"));
        Assert.That(Regex.IsMatch(failure.Message, @"\b1 (bytes|entries|blocks)\b"), Is.False, failure.Message);
        string iso3 = Files.Iso(_folder, "plus3.iso", length: 36864 + 3);
        Assert.That(Files.Failure(iso3)!.Message, Does.Contain("leaves 3 bytes over"));
    }

    [Test]
    public void InfoTypesPrintTheirContents()
    {
        var parent = new VhdxWriter(16 * VhdxWriter.MiB).Fill(0, 4096, 1);
        VhdxTestSupport.Save(parent, _folder, "p.vhdx");
        var child = new VhdxWriter(16 * VhdxWriter.MiB) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "p.vhdx") }.Fill(0, 512, 2);
        string path = VhdxTestSupport.Save(child, _folder, "c.vhdx");
        using var disk = VirtualDisk.Open(path);
        var top = disk.Info.Top;
        string text = top.ToString();
        Assert.That(text, Does.StartWith("Vhdx Differencing, virtual 16777216 bytes, file " + new FileInfo(path).Length + " bytes, block 1048576, sectors 512/4096"));
        Assert.That(text, Does.Contain("id " + top.Identifier));
        Assert.That(text, Does.Contain("parent " + parent.DataWriteGuid));
        Assert.That(text, Does.EndWith(": " + path));
        string chain = disk.Info.ToString();
        Assert.That(chain, Does.StartWith(text));
        Assert.That(chain, Does.Contain("; parents: " + Path.Combine(_folder, "p.vhdx")));

        Assert.That(VirtDisk.GetVirtualDiskInformation(disk, GetVirtualDiskInfoVersion.Size, out var size), Is.Zero);
        Assert.That(size.ToString(), Does.StartWith("Size: virtual 16777216 bytes, physical "));
        Assert.That(size.ToString(), Does.EndWith(", block 1048576, sector 512"));
        Assert.That(VirtDisk.GetVirtualDiskInformation(disk, GetVirtualDiskInfoVersion.ProviderSubtype, out var subtype), Is.Zero);
        Assert.That(subtype.ToString(), Is.EqualTo("ProviderSubtype: Differencing"));
        Assert.That(VirtDisk.GetVirtualDiskInformation(disk, GetVirtualDiskInfoVersion.ParentIdentifier, out var pid), Is.Zero);
        Assert.That(pid.ToString(), Is.EqualTo("ParentIdentifier: " + parent.DataWriteGuid));
    }
}
