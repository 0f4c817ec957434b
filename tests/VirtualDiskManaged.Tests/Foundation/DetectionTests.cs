using VirtualDiskManaged.Host;
using VirtualDiskManaged.OpenPath;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// docs/open-path.md §6: UNKNOWN device id → extension first (case-insensitive); the extension's provider reports its own
/// error for other content, with a ContentIs… reason; other extensions → content; an explicit device id never sniffs.
/// Files here are crafted just far enough to be *detected*; assertions hold whether or not the VHD/VHDX providers
/// exist (a crafted "conectix" block is not a valid VHD either way).
/// </summary>
public sealed class DetectionTests
{
    private const uint FooterMissing = 0xC03A0001, FormatUnknown = 0xC03A0004, ProviderNotFound = 0xC03A0014, FileCorrupt = 1392;
    private string _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Files.Folder();

    // ---- by extension ----

    [TestCase("a.iso", VirtualStorageDeviceId.Iso)]
    [TestCase("a.ISO", VirtualStorageDeviceId.Iso)]
    [TestCase("a.Iso", VirtualStorageDeviceId.Iso)]
    [TestCase("a.vhd", VirtualStorageDeviceId.Vhd)]
    [TestCase("a.VHD", VirtualStorageDeviceId.Vhd)]
    [TestCase("a.avhd", VirtualStorageDeviceId.Vhd)]
    [TestCase("a.AVHD", VirtualStorageDeviceId.Vhd)]
    [TestCase("a.vhdx", VirtualStorageDeviceId.Vhdx)]
    [TestCase("a.VhDx", VirtualStorageDeviceId.Vhdx)]
    [TestCase("a.avhdx", VirtualStorageDeviceId.Vhdx)]
    [TestCase("dir.iso/a.vhdx", VirtualStorageDeviceId.Vhdx)]
    [TestCase("a.img", VirtualStorageDeviceId.Unknown)]
    [TestCase("a.bin", VirtualStorageDeviceId.Unknown)]
    [TestCase("a.udf", VirtualStorageDeviceId.Unknown)]
    [TestCase("a.vhds", VirtualStorageDeviceId.Unknown)]
    [TestCase("a.iso.gz", VirtualStorageDeviceId.Unknown)]
    [TestCase("a.vhd.bak", VirtualStorageDeviceId.Unknown)]
    [TestCase("a.isox", VirtualStorageDeviceId.Unknown)]
    [TestCase("a", VirtualStorageDeviceId.Unknown)]
    [TestCase("iso", VirtualStorageDeviceId.Unknown)]
    [TestCase("dir.vhd/a", VirtualStorageDeviceId.Unknown)]
    public void Extension(string name, uint expected) => Assert.That(ProviderSelector.FromExtension(name), Is.EqualTo(expected));

    [TestCase(1u)]
    [TestCase(2u)]
    [TestCase(3u)]
    public void AnExplicitDeviceIdWinsOverTheExtension(uint device) =>
        Assert.That(ProviderSelector.FromTypeOrExtension(device, "a.img"), Is.EqualTo(device));

    // ---- by content (ProviderSelector.Sniff) ----

    private uint Sniff(string path)
    {
        Assert.That(HostFile.TryOpen(path, exclusive: false, out var file), Is.Null);
        using (file) return ProviderSelector.Sniff(file!);
    }

    [Test]
    public void SniffVhdxAtZero() => Assert.That(Sniff(Files.VhdxLike(_folder, "a.img")), Is.EqualTo(VirtualStorageDeviceId.Vhdx));

    [Test]
    public void SniffVhdFooterInTheLast512() => Assert.That(Sniff(Files.VhdLike(_folder, "a.img")), Is.EqualTo(VirtualStorageDeviceId.Vhd));

    [Test]
    public void SniffVhdFooterInTheLast511() => Assert.That(Sniff(Files.VhdLike(_folder, "a.img", footer: 511)), Is.EqualTo(VirtualStorageDeviceId.Vhd));

    [Test]
    public void SniffVhdCopyAtZero() => Assert.That(Sniff(Files.VhdLike(_folder, "a.img", atStart: true)), Is.EqualTo(VirtualStorageDeviceId.Vhd));

    [Test]
    public void SniffVhdFooterElsewhereIsNothing() =>
        Assert.That(Sniff(Files.VhdLike(_folder, "a.img", footer: 1024)), Is.EqualTo(VirtualStorageDeviceId.Unknown));

    [Test]
    public void SniffVhdxSignatureAnywhereButZeroIsNothing()
    {
        string path = Path.Combine(_folder, "a.img");
        var bytes = new byte[64 * 1024];
        "vhdxfile"u8.CopyTo(bytes.AsSpan(512));
        File.WriteAllBytes(path, bytes);
        Assert.That(Sniff(path), Is.EqualTo(VirtualStorageDeviceId.Unknown));
    }

    [TestCase("CD001")]
    [TestCase("BEA01")]
    [TestCase("NSR02")]
    [TestCase("NSR03")]
    [TestCase("TEA01")]
    [TestCase("BOOT2")]
    [TestCase("CDW02")]
    public void SniffIsoDescriptors(string id) => Assert.That(Sniff(Files.Iso(_folder, "a.img", identifier: id)), Is.EqualTo(VirtualStorageDeviceId.Iso));

    [Test]
    public void SniffHighSierra() => Assert.That(Sniff(Files.HighSierra(_folder, "a.img")), Is.EqualTo(VirtualStorageDeviceId.Iso));

    [Test]
    public void SniffNothing()
    {
        Assert.That(Sniff(Files.Noise(_folder, "a.img")), Is.EqualTo(VirtualStorageDeviceId.Unknown));
        Assert.That(Sniff(Files.Noise(_folder, "empty.img", 0)), Is.EqualTo(VirtualStorageDeviceId.Unknown));
        Assert.That(Sniff(Files.Noise(_folder, "tiny.img", 7)), Is.EqualTo(VirtualStorageDeviceId.Unknown));
        // An ISO descriptor in a file that breaks the ISO size rules is not an ISO.
        Assert.That(Sniff(Files.Iso(_folder, "short.img", length: 36864 + 1)), Is.EqualTo(VirtualStorageDeviceId.Unknown));
    }

    [Test]
    public void SniffOrderVhdxBeforeVhdBeforeIso()
    {
        // vhdxfile at 0 and conectix at the end: VHDX.
        string both = Files.VhdxLike(_folder, "both.img");
        var bytes = File.ReadAllBytes(both);
        "conectix"u8.CopyTo(bytes.AsSpan(bytes.Length - 512));
        File.WriteAllBytes(both, bytes);
        Assert.That(Sniff(both), Is.EqualTo(VirtualStorageDeviceId.Vhdx));
        // An ISO descriptor and a conectix footer: VHD.
        string iso = Files.Iso(_folder, "isovhd.img");
        bytes = File.ReadAllBytes(iso);
        "conectix"u8.CopyTo(bytes.AsSpan(bytes.Length - 512));
        File.WriteAllBytes(iso, bytes);
        Assert.That(Sniff(iso), Is.EqualTo(VirtualStorageDeviceId.Vhd));
    }

    // ---- whole opens with UNKNOWN device id ----

    [TestCase("disc.img")]
    [TestCase("disc.bin")]
    [TestCase("disc.udf")]
    [TestCase("disc")]
    [TestCase("disc.ISO")]
    public void IsoContentOpensUnderAnyNameButVhdOrVhdx(string name)
    {
        string iso = Files.Iso(_folder, name);
        using var handle = VirtualDisk.Open(iso);
        Assert.That(handle.StorageType, Is.EqualTo(VirtualStorageType.Iso));
        Assert.That(handle.VirtualSize, Is.EqualTo(new FileInfo(iso).Length));
    }

    [Test]
    public void UnrecognisedContentIsProviderNotFound()
    {
        foreach (var name in new[] { "noise.img", "noise", "noise.vhds" })
        {
            var failure = Files.Failure(Files.Noise(_folder, name));
            Assert.That(failure!.ErrorCode, Is.EqualTo(ProviderNotFound), name);
            Assert.That(failure.Reason, Is.EqualTo(R.FormatNotRecognized), name);
        }
        Assert.That(Files.Failure(Files.Noise(_folder, "empty.img", 0))!.ErrorCode, Is.EqualTo(ProviderNotFound));
    }

    [Test]
    public void VhdContentUnderAnOtherExtensionGoesToTheVhdProvider()
    {
        // Not a valid VHD, but detected as one: the failure is the VHD provider's (0xC03A00xx), never
        // "no provider" (0xC03A0014) nor the ISO provider's 1392.
        var failure = Files.Failure(Files.VhdLike(_folder, "disk.img"));
        Assert.That(failure, Is.Not.Null);
        Assert.That(failure!.ErrorCode, Is.InRange(0xC03A0001u, 0xC03A0013u));
        Assert.That(failure.Reason, Is.Not.EqualTo(R.FormatNotRecognized));
        Assert.That(failure.Reason.ToString(), Does.Not.StartWith("Iso").And.Not.StartWith("Vhdx"));
    }

    [Test]
    public void VhdxContentUnderAnOtherExtensionGoesToTheVhdxProvider()
    {
        var failure = Files.Failure(Files.VhdxLike(_folder, "disk.img"));
        Assert.That(failure, Is.Not.Null);
        Assert.That(failure!.ErrorCode, Is.Not.EqualTo(ProviderNotFound).And.Not.EqualTo(0xC03A0001u));
        Assert.That(failure.Reason, Is.Not.EqualTo(R.FormatNotRecognized).And.Not.EqualTo(R.VhdFooterMissing));
    }

    // ---- the extension's provider fails; the reason says what the content is ----

    [Test]
    public void IsoNamedVhdFailsAsAVhdWithContentIsIso()
    {
        var failure = Files.Failure(Files.Iso(_folder, "disc.vhd"));
        Assert.That(failure!.ErrorCode, Is.EqualTo(FooterMissing));
        Assert.That(failure.Reason, Is.EqualTo(R.ContentIsIso));
        Assert.That(Files.Code(VirtualStorageType.Auto, Files.Iso(_folder, "disc.avhd"), Files.DefaultAccess), Is.EqualTo(FooterMissing));
    }

    [Test]
    public void IsoNamedVhdxFailsAsAVhdxWithContentIsIso()
    {
        var failure = Files.Failure(Files.Iso(_folder, "disc.vhdx"));
        Assert.That(failure!.ErrorCode, Is.EqualTo(FormatUnknown));
        Assert.That(failure.Reason, Is.EqualTo(R.ContentIsIso));
    }

    [Test]
    public void VhdxNamedVhdFailsAsAVhdWithContentIsVhdx()
    {
        var failure = Files.Failure(Files.VhdxLike(_folder, "disk.vhd"));
        Assert.That(failure!.ErrorCode, Is.EqualTo(FooterMissing));
        Assert.That(failure.Reason, Is.EqualTo(R.ContentIsVhdx));
    }

    [Test]
    public void VhdNamedVhdxFailsAsAVhdxWithContentIsVhd()
    {
        var failure = Files.Failure(Files.VhdLike(_folder, "disk.vhdx"));
        Assert.That(failure!.ErrorCode, Is.EqualTo(FormatUnknown));
        Assert.That(failure.Reason, Is.EqualTo(R.ContentIsVhd));
    }

    [Test]
    public void VhdOrVhdxNamedIsoFailsAsAnIso()
    {
        var vhd = Files.Failure(Files.VhdLike(_folder, "disk.iso"));
        Assert.That(vhd!.ErrorCode, Is.EqualTo(FileCorrupt));
        Assert.That(vhd.Reason, Is.EqualTo(R.ContentIsVhd));
        var vhdx = Files.Failure(Files.VhdxLike(_folder, "disk.iso"));
        Assert.That(vhdx!.ErrorCode, Is.EqualTo(FileCorrupt));
        Assert.That(vhdx.Reason, Is.EqualTo(R.ContentIsVhdx));
    }

    [Test]
    public void UnrecognisedContentUnderAKnownExtensionKeepsTheProvidersReason()
    {
        Assert.That(Files.Failure(Files.Noise(_folder, "noise.vhd"))!.Reason, Is.EqualTo(R.VhdFooterMissing));
        Assert.That(Files.Failure(Files.Noise(_folder, "noise.vhdx"))!.Reason, Is.EqualTo(R.VhdxFileIdentifierMissing));
        var iso = Files.Failure(Files.Noise(_folder, "noise.iso", 36864));
        Assert.That(iso!.ErrorCode, Is.EqualTo(FileCorrupt));
        Assert.That(iso.Reason, Is.EqualTo(R.IsoNoVolumeDescriptor));
    }

    // ---- an explicit device id never sniffs ----

    [Test]
    public void ExplicitDeviceIdNeverSniffs()
    {
        string iso = Files.Iso(_folder, "disc.iso");
        var asVhd = Files.Failure(iso, Files.Options(type: VirtualStorageType.Vhd));
        Assert.That(asVhd!.ErrorCode, Is.EqualTo(FooterMissing));
        Assert.That(asVhd.Reason, Is.EqualTo(R.VhdFooterMissing));
        var asVhdx = Files.Failure(iso, Files.Options(type: VirtualStorageType.Vhdx));
        Assert.That(asVhdx!.ErrorCode, Is.EqualTo(FormatUnknown));
        Assert.That(asVhdx.Reason, Is.EqualTo(R.VhdxFileIdentifierMissing));

        string vhdx = Files.VhdxLike(_folder, "disk.vhdx");
        var vhdxAsVhd = Files.Failure(vhdx, Files.Options(type: VirtualStorageType.Vhd));
        Assert.That(vhdxAsVhd!.ErrorCode, Is.EqualTo(FooterMissing));
        Assert.That(vhdxAsVhd.Reason, Is.EqualTo(R.VhdFooterMissing));

        var vhdAsIso = Files.Failure(Files.VhdLike(_folder, "disk.vhd"), Files.Options(type: VirtualStorageType.Iso));
        Assert.That(vhdAsIso!.ErrorCode, Is.EqualTo(FileCorrupt));
        Assert.That(vhdAsIso.Reason, Is.Not.EqualTo(R.ContentIsVhd));

        // Noise with an explicit device id: that provider's error, never "no provider".
        Assert.That(Files.Failure(Files.Noise(_folder, "noise.img", 36864), Files.Options(type: VirtualStorageType.Iso))!.ErrorCode, Is.EqualTo(FileCorrupt));
    }

    [Test]
    public void ExplicitIsoDeviceIdOpensAnIsoUnderAnyName()
    {
        using var handle = VirtualDisk.Open(Files.Iso(_folder, "disc.vhd"), Files.Options(type: VirtualStorageType.Iso));
        Assert.That(handle.StorageType.DeviceId, Is.EqualTo(VirtualStorageDeviceId.Iso));
    }
}
