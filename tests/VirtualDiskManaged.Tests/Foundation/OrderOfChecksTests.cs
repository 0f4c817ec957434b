using VirtualDiskManaged.Host;
using M = VirtualDiskManaged.VirtualDiskAccessMask;
using F = VirtualDiskManaged.OpenVirtualDiskFlags;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// docs/open-path.md §4: first failure wins. Each case breaks two rules at once (an earlier step i and a later step j) and
/// expects the reason of step i. Reasons, not only codes, are compared, because many steps share code 87.
/// </summary>
[NonParallelizable] // the host-check cases use the process-wide HostChecks.ProbeOverride seam
public sealed class OrderOfChecksTests
{
    private static readonly Guid BadVendor = Guid.Parse("12345678-1234-1234-1234-123456789ABC");
    private static readonly VirtualStorageType Auto = VirtualStorageType.Auto;
    private string _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Files.Folder();

    [TearDown]
    public void TearDown() => HostChecks.ProbeOverride = null;

    private string Missing(string name) => Path.Combine(_folder, name);

    private static R Reason(VirtualStorageType? type, string? path, M access, F flags = 0, OpenVirtualDiskParameters? p = null,
        OpenRuleSet rules = OpenRuleSet.Documented)
    {
        // The Win32 layer has no reason; the .NET layer takes a non-null type, so null-type cases check the code only.
        if (type is null)
        {
            Assert.That(Files.Code(type, path, access, flags, p, rules), Is.EqualTo(87u));
            return R.NullStorageType;
        }
        var failure = Files.Failure(path, Files.Options(access, flags, p, rules, type));
        Assert.That(failure, Is.Not.Null, "the open must fail");
        Assert.That(Files.Code(type, path, access, flags, p, rules), Is.EqualTo(failure!.ErrorCode), "both layers give the same code");
        return failure.Reason;
    }

    // ---- step 1 before everything ----

    [Test]
    public void NullTypeBeforeBadMask() =>
        Assert.That(Files.Code(null, Missing("x.vhd"), (M)0xFFFFFFFF, (F)0xFFFFFFFF, new() { Version = 0 }), Is.EqualTo(87u));

    [Test]
    public void NullPathBeforeBadMaskFlagsVersionAndVendor()
    {
        var failure = Files.Failure(null, Files.Options((M)0xFFFFFFFF, (F)0xFFFFFFFF, new() { Version = 0 }, type: new(99, BadVendor)));
        Assert.That(failure!.Reason, Is.EqualTo(R.NullPath));
    }

    // ---- step 2 before 3..8 ----

    [Test]
    public void BadMaskBeforeBadFlags() => Assert.That(Reason(Auto, Missing("x.vhd"), (M)1, (F)0x1000), Is.EqualTo(R.AccessMaskInvalid));

    [Test]
    public void BadMaskBeforeBadVersion() =>
        Assert.That(Reason(Auto, Missing("x.vhd"), (M)1, p: new() { Version = 0 }), Is.EqualTo(R.AccessMaskInvalid));

    [Test]
    public void BadMaskBeforeVendor() => Assert.That(Reason(new(2, BadVendor), Missing("x.vhd"), (M)1), Is.EqualTo(R.AccessMaskInvalid));

    [Test]
    public void BadMaskOnAMissingFileIs87Not2() => Assert.That(Reason(Auto, Missing("x.vhd"), (M)0xFFFFFF), Is.EqualTo(R.AccessMaskInvalid));

    [Test]
    public void BadMaskOnAnEmptyPathIs87Not3() => Assert.That(Reason(Auto, "", (M)0xFFFFFF), Is.EqualTo(R.AccessMaskInvalid));

    // ---- step 3 before 4..8 ----

    [Test]
    public void BadFlagsBeforeBadVersion() =>
        Assert.That(Reason(Auto, Missing("x.vhd"), M.None, F.BootDrive, new() { Version = 0 }), Is.EqualTo(R.FlagsNotAllowed));

    [Test]
    public void BadFlagsBeforeV2MaskRule() =>
        Assert.That(Reason(Auto, Missing("x.vhd"), M.AttachRO, F.CachedIO, OpenVirtualDiskParameters.V2()), Is.EqualTo(R.FlagsNotAllowed));

    [Test]
    public void BadFlagsBeforeVendor() => Assert.That(Reason(new(2, BadVendor), Missing("x.vhd"), M.AttachRO, (F)0x1000, rules: OpenRuleSet.Current), Is.EqualTo(R.FlagsNotAllowed));

    [Test]
    public void BadFlagsOnAMissingFileIs87Not2() => Assert.That(Reason(Auto, Missing("x.vhd"), M.AttachRO, F.CachedIO), Is.EqualTo(R.FlagsNotAllowed));

    // ---- step 4 before 5..8 ----

    [Test]
    public void BadVersionBeforeV2MaskRule() =>
        Assert.That(Reason(Auto, Missing("x.vhd"), M.AttachRO, p: new() { Version = OpenVirtualDiskVersion.Version3 }), Is.EqualTo(R.ParametersVersionNotAllowed));

    [Test]
    public void BadVersionBeforeVendor() =>
        Assert.That(Reason(new(9, BadVendor), Missing("x.vhd"), M.None, p: new() { Version = 0 }), Is.EqualTo(R.ParametersVersionNotAllowed));

    [Test]
    public void BadVersionOnAMissingFileIs87Not2() =>
        Assert.That(Reason(Auto, Missing("x.vhd"), M.None, p: new() { Version = (OpenVirtualDiskVersion)7 }), Is.EqualTo(R.ParametersVersionNotAllowed));

    // ---- step 5 before 6..8 ----

    [Test]
    public void V2MaskRuleBeforeVendor() =>
        Assert.That(Reason(new(2, BadVendor), Missing("x.vhd"), M.GetInfo, p: OpenVirtualDiskParameters.V2()), Is.EqualTo(R.AccessMaskMustBeNoneForVersion));

    [Test]
    public void V2MaskRuleBeforeVhdSet() =>
        Assert.That(Reason(VirtualStorageType.VhdSet, Missing("x.vhdx"), M.Detach, p: OpenVirtualDiskParameters.V2()), Is.EqualTo(R.AccessMaskMustBeNoneForVersion));

    [Test]
    public void V2WithAMaskOnAMissingFileIs87Not2() =>
        Assert.That(Reason(Auto, Missing("x.vhd"), M.AttachRO, p: OpenVirtualDiskParameters.V2()), Is.EqualTo(R.AccessMaskMustBeNoneForVersion));

    [Test]
    public void V2MaskRuleBeforeIsoVersionRule() =>
        Assert.That(Reason(Auto, Missing("x.iso"), M.AttachRO, p: OpenVirtualDiskParameters.V2()), Is.EqualTo(R.AccessMaskMustBeNoneForVersion));

    // ---- step 6 before 7..8 ----

    [Test]
    public void VendorBeforeDeviceId() => Assert.That(Reason(new(99, BadVendor), Missing("x.vhd"), M.AttachRO), Is.EqualTo(R.VendorNotSupported));

    [Test]
    public void VendorBeforeIsoRules() => Assert.That(Reason(new(1, BadVendor), Missing("x.iso"), M.AttachRW), Is.EqualTo(R.VendorNotSupported));

    [Test]
    public void VendorBeforeMissingFile() => Assert.That(Reason(new(0, BadVendor), Missing("x.vhd"), M.AttachRO), Is.EqualTo(R.VendorNotSupported));

    [Test]
    public void VendorBeforeEmptyPath() => Assert.That(Reason(new(0, BadVendor), "", M.AttachRO), Is.EqualTo(R.VendorNotSupported));

    [Test]
    public void DeviceIdBeforeMissingFile() => Assert.That(Reason(new(5, Guid.Empty), Missing("x.iso"), M.AttachRW), Is.EqualTo(R.DeviceIdNotSupported));

    [Test]
    public void VhdSetBeforeMissingFile() => Assert.That(Reason(VirtualStorageType.VhdSet, Missing("x.vhds"), M.AttachRO), Is.EqualTo(R.VhdSetNotSupported));

    // ---- step 7 (ISO rules, provider known) before 8..13 ----

    [Test]
    public void IsoRulesBeforeMissingFile()
    {
        Assert.That(Reason(Auto, Missing("x.iso"), M.AttachRW), Is.EqualTo(R.IsoAccessNotAllowed));
        Assert.That(Reason(Auto, Missing("X.ISO"), M.None, p: OpenVirtualDiskParameters.V2()), Is.EqualTo(R.IsoParametersVersionNotAllowed));
        Assert.That(Reason(Auto, Missing("x.iso"), M.AttachRO, F.NoParents), Is.EqualTo(R.IsoFlagsNotAllowed));
    }

    [Test]
    public void IsoRulesBeforeMissingFolder() => Assert.That(Reason(Auto, Missing("nofolder/x.iso"), M.MetaOps), Is.EqualTo(R.IsoAccessNotAllowed));

    [Test]
    public void IsoRulesOfAnExplicitDeviceIdBeforeEmptyPath() =>
        Assert.That(Reason(VirtualStorageType.Iso, "", M.AttachRW), Is.EqualTo(R.IsoAccessNotAllowed));

    [Test]
    public void IsoRulesOfAnExplicitDeviceIdApplyWhateverTheExtension() =>
        Assert.That(Reason(VirtualStorageType.Iso, Missing("x.vhd"), M.Create), Is.EqualTo(R.IsoAccessNotAllowed));

    [Test]
    public void IsoRulesBeforeDirectory()
    {
        string dir = Path.Combine(_folder, "dir.iso");
        Directory.CreateDirectory(dir);
        Assert.That(Reason(Auto, dir, M.AttachRW), Is.EqualTo(R.IsoAccessNotAllowed));
    }

    [Test]
    public void IsoRulesBeforeHostChecks()
    {
        string iso = Files.Iso(_folder);
        HostChecks.ProbeOverride = _ => new HostFileTraits(Compressed: true, Encrypted: true, OnLoopbackShare: true);
        Assert.That(Reason(Auto, iso, M.AttachRW), Is.EqualTo(R.IsoAccessNotAllowed));
    }

    [Test]
    public void IsoRulesBeforeContent()
    {
        string bad = Files.Noise(_folder, "bad.iso", 1000);
        Assert.That(Reason(Auto, bad, M.AttachRW), Is.EqualTo(R.IsoAccessNotAllowed));
    }

    [Test]
    public void IsoRulesOrderAmongThemselvesVersionThenAccessThenFlags()
    {
        // §5 lists parameters, access, flags; all three broken → the parameters' reason.
        Assert.That(Reason(Auto, Missing("x.iso"), M.None, F.NoParents, OpenVirtualDiskParameters.V2()), Is.EqualTo(R.IsoParametersVersionNotAllowed));
        Assert.That(Reason(Auto, Missing("x.iso"), M.AttachRW, F.NoParents), Is.EqualTo(R.IsoAccessNotAllowed));
    }

    // ---- step 8 internal order, and before 9..13 ----

    [Test]
    public void MissingFileBeforeHostChecks()
    {
        HostChecks.ProbeOverride = _ => new HostFileTraits(true, true, true);
        Assert.That(Reason(Auto, Missing("x.vhd"), M.AttachRO), Is.EqualTo(R.FileNotFound));
    }

    [Test]
    public void DirectoryBeforeHostChecksAndDetection()
    {
        HostChecks.ProbeOverride = _ => new HostFileTraits(true, true, true);
        string dir = Path.Combine(_folder, "dir.img");
        Directory.CreateDirectory(dir);
        Assert.That(Reason(Auto, dir, M.AttachRO), Is.EqualTo(R.PathIsDirectory));
    }

    [Test]
    public void MissingFileBeforeContentDetectionAndItsIsoRules() =>
        Assert.That(Reason(Auto, Missing("x.img"), M.AttachRW), Is.EqualTo(R.FileNotFound));

    // ---- step 9 before 10..13, and its own order 665 / 618 / 6002 ----

    [Test]
    public void LoopbackBeforeCompressedBeforeEncrypted()
    {
        string iso = Files.Iso(_folder);
        HostChecks.ProbeOverride = _ => new HostFileTraits(true, true, true);
        Assert.That(Reason(Auto, iso, M.AttachRO), Is.EqualTo(R.LoopbackShare));
        HostChecks.ProbeOverride = _ => new HostFileTraits(true, true, false);
        Assert.That(Reason(Auto, iso, M.AttachRO), Is.EqualTo(R.HostFileCompressed));
        HostChecks.ProbeOverride = _ => new HostFileTraits(false, true, false);
        Assert.That(Reason(Auto, iso, M.AttachRO), Is.EqualTo(R.HostFileEncrypted));
    }

    [Test]
    public void HostChecksBeforeContentDetection()
    {
        string noise = Files.Noise(_folder, "noise.img");
        HostChecks.ProbeOverride = _ => new HostFileTraits(true, false, false);
        Assert.That(Reason(Auto, noise, M.AttachRO), Is.EqualTo(R.HostFileCompressed));
    }

    [Test]
    public void HostChecksBeforeTheIsoRulesOfDetectedContent()
    {
        string iso = Files.Iso(_folder, "disc.img");
        HostChecks.ProbeOverride = _ => new HostFileTraits(false, true, false);
        Assert.That(Reason(Auto, iso, M.AttachRW), Is.EqualTo(R.HostFileEncrypted));
    }

    [Test]
    public void HostChecksBeforeParsing()
    {
        string bad = Files.Noise(_folder, "bad.iso", 1000);
        HostChecks.ProbeOverride = _ => new HostFileTraits(false, false, true);
        Assert.That(Reason(Auto, bad, M.AttachRO), Is.EqualTo(R.LoopbackShare));
    }

    // ---- step 10: detection, then the ISO rules of detected content; before parsing ----

    [Test]
    public void DetectedIsoGetsTheIsoRulesAfterTheFileIsTouched()
    {
        string iso = Files.Iso(_folder, "disc.img");
        Assert.That(Reason(Auto, iso, M.AttachRW), Is.EqualTo(R.IsoAccessNotAllowed));
        Assert.That(Reason(Auto, iso, M.None, p: OpenVirtualDiskParameters.V2()), Is.EqualTo(R.IsoParametersVersionNotAllowed));
    }

    [Test]
    public void UnrecognisedContentIsProviderNotFound() =>
        Assert.That(Reason(Auto, Files.Noise(_folder, "noise.bin"), M.AttachRW), Is.EqualTo(R.FormatNotRecognized));

    // ---- step 11 before 13 ----

    [Test]
    public void ParsingBeforeSharingConflicts()
    {
        string iso = Files.Iso(_folder);
        using var held = VirtualDisk.Open(iso, Files.Options(M.AttachRO));
        // The same file opened as VHD (explicit device id) fails parsing, not with 32.
        Assert.That(Reason(VirtualStorageType.Vhd, iso, M.AttachRO), Is.EqualTo(R.VhdFooterMissing));
        // And argument rules still come before the conflict.
        Assert.That(Reason(Auto, iso, M.AttachRO, F.NoParents), Is.EqualTo(R.IsoFlagsNotAllowed));
        // With nothing else wrong, the conflict is what remains.
        Assert.That(Reason(Auto, iso, M.AttachRO), Is.EqualTo(R.SharingViolation));
    }

    // ---- step 12 before 13 ----

    [Test]
    [Category("NeedsVhdProvider")]
    public void ParentChainBeforeSharingConflicts()
    {
        // A differencing VHD whose parent is missing, held open without its parents: a second open that needs the
        // chain fails on the chain (0xC03A000D), not on the conflict with the first handle.
        var parent = Vhd.VhdWriter.NewDynamic(4 << 20);
        string child = Path.Combine(_folder, "child.vhd");
        Vhd.VhdWriter.NewDifferencing(parent).Locator(Vhd.VhdWriter.W2ru, @".\gone.vhd").Save(child);
        using var held = VirtualDisk.Open(child, Files.Options(M.AttachRO, F.NoParents));
        Assert.That(Reason(Auto, child, M.AttachRO), Is.EqualTo(R.ParentNotFound));
        // With NO_PARENTS there is no chain step, and the conflict is what remains.
        Assert.That(Reason(Auto, child, M.AttachRO, F.NoParents), Is.EqualTo(R.SharingViolation));
    }
}
