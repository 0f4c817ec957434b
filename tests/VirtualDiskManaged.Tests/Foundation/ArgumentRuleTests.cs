using M = VirtualDiskManaged.VirtualDiskAccessMask;
using F = VirtualDiskManaged.OpenVirtualDiskFlags;
using R = VirtualDiskManaged.VirtualDiskErrorReason;
using System.Runtime.Versioning;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// docs/open-path.md §3 (rule sets), §4 steps 1–7 and 8 (arguments and the host file), §5 (ISO parameter rules).
/// A rule that passes is shown by the open reaching a later step: a missing .vhd file gives 2 (step 8), so any other
/// code means an earlier argument rule fired.
/// </summary>
public sealed class ArgumentRuleTests
{
    private const uint InvalidParameter = 87, FileNotFound = 2, PathNotFound = 3, AccessDenied = 5, ProviderNotFound = 0xC03A0014;

    private static readonly VirtualStorageType Auto = VirtualStorageType.Auto;
    private string _folder = null!;
    private string _missingVhd = null!;
    private string _iso = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Files.Folder();
        _missingVhd = Path.Combine(_folder, "missing.vhd");
        _iso = Files.Iso(_folder);
    }

    // ---- step 1: null storage type / null path ----

    [Test]
    public void NullStorageTypeIs87() =>
        Assert.That(Files.Code(null, _iso, Files.DefaultAccess), Is.EqualTo(InvalidParameter));

    [Test]
    public void NullPathIs87() =>
        Assert.That(Files.Code(Auto, null, Files.DefaultAccess), Is.EqualTo(InvalidParameter));

    [Test]
    public void NullPathThroughTheNetLayerIs87WithReason()
    {
        var failure = Files.Failure(null);
        Assert.That(failure!.ErrorCode, Is.EqualTo(InvalidParameter));
        Assert.That(failure.Reason, Is.EqualTo(R.NullPath));
    }

    [Test]
    public void OpenWithNullPathThrowsArgumentNull() =>
        Assert.Throws<ArgumentNullException>(() => VirtualDisk.Open(null!));

    // ---- step 2: mask & ~ALL ----

    [TestCase(0x1u)]
    [TestCase(0x8000u)]
    [TestCase(0x400000u)]
    [TestCase(0x80000000u)]
    [TestCase(0xFFFFFFu)]
    [TestCase(0xFFFFFFFFu)]
    [TestCase(0x3F0001u)]
    public void MaskOutsideAllIs87(uint mask)
    {
        Assert.That(Files.Code(Auto, _missingVhd, (M)mask), Is.EqualTo(InvalidParameter));
        Assert.That(Files.Failure(_missingVhd, Files.Options((M)mask))!.Reason, Is.EqualTo(R.AccessMaskInvalid));
    }

    [TestCase(0u)]
    [TestCase(0x10000u)]
    [TestCase(0x20000u)]
    [TestCase(0x40000u)]
    [TestCase(0x80000u)]
    [TestCase(0x100000u)]
    [TestCase(0x200000u)]
    [TestCase(0xD0000u)]
    [TestCase(0x320000u)]
    [TestCase(0x3F0000u)]
    public void MaskInsideAllPassesStep2(uint mask) =>
        Assert.That(Files.Code(Auto, _missingVhd, (M)mask), Is.EqualTo(FileNotFound));

    // ---- step 3: flags per rule set (§3) ----

    private static readonly uint[] AllTwelveFlags = [0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800];

    [Test]
    public void DocumentedAllowsOnlyNoParentsAndBlankFile([ValueSource(nameof(AllTwelveFlags))] uint flag)
    {
        uint expected = flag is 0x1 or 0x2 ? FileNotFound : InvalidParameter;
        Assert.That(Files.Code(Auto, _missingVhd, Files.DefaultAccess, (F)flag), Is.EqualTo(expected));
        if (expected == InvalidParameter)
            Assert.That(Files.Failure(_missingVhd, Files.Options(flags: (F)flag))!.Reason, Is.EqualTo(R.FlagsNotAllowed));
    }

    [Test]
    public void CurrentAllowsAllTwelveFlags([ValueSource(nameof(AllTwelveFlags))] uint flag) =>
        Assert.That(Files.Code(Auto, _missingVhd, Files.DefaultAccess, (F)flag, rules: OpenRuleSet.Current), Is.EqualTo(FileNotFound));

    [Test]
    public void CurrentAllowsAllTwelveFlagsAtOnce() =>
        Assert.That(Files.Code(Auto, _missingVhd, Files.DefaultAccess, (F)0xFFF, rules: OpenRuleSet.Current), Is.EqualTo(FileNotFound));

    [TestCase(0x1000u)]
    [TestCase(0x80000000u)]
    [TestCase(0xFFFFFFFFu)]
    public void UndefinedFlagsAre87InBothRuleSets(uint flags)
    {
        Assert.That(Files.Code(Auto, _missingVhd, Files.DefaultAccess, (F)flags), Is.EqualTo(InvalidParameter));
        Assert.That(Files.Code(Auto, _missingVhd, Files.DefaultAccess, (F)flags, rules: OpenRuleSet.Current), Is.EqualTo(InvalidParameter));
    }

    [Test]
    public void DocumentedIsTheDefaultRuleSet()
    {
        // BOOT_DRIVE is allowed only by Current: the overload without a rule set and the default options must refuse it.
        uint code = VirtDisk.OpenVirtualDisk(Auto, _missingVhd, Files.DefaultAccess, F.BootDrive, null, out var handle);
        Assert.That(code, Is.EqualTo(InvalidParameter));
        Assert.That(handle, Is.Null);
        Assert.That(new VirtualDiskOpenOptions().Rules, Is.EqualTo(OpenRuleSet.Documented));
        Assert.That(Files.Failure(_missingVhd, new VirtualDiskOpenOptions { Flags = F.BootDrive })!.ErrorCode, Is.EqualTo(InvalidParameter));
    }

    // ---- step 4: parameter versions per rule set ----

    [TestCase(0u, OpenRuleSet.Documented, InvalidParameter)]
    [TestCase(0u, OpenRuleSet.Current, InvalidParameter)]
    [TestCase(1u, OpenRuleSet.Documented, FileNotFound)]
    [TestCase(1u, OpenRuleSet.Current, FileNotFound)]
    [TestCase(2u, OpenRuleSet.Documented, FileNotFound)]
    [TestCase(2u, OpenRuleSet.Current, FileNotFound)]
    [TestCase(3u, OpenRuleSet.Documented, InvalidParameter)]
    [TestCase(3u, OpenRuleSet.Current, FileNotFound)]
    [TestCase(4u, OpenRuleSet.Current, InvalidParameter)]
    [TestCase(0xFFFFFFFFu, OpenRuleSet.Current, InvalidParameter)]
    public void ParameterVersions(uint version, OpenRuleSet rules, uint expected)
    {
        var p = new OpenVirtualDiskParameters { Version = (OpenVirtualDiskVersion)version };
        var mask = version == 1 ? Files.DefaultAccess : M.None;
        Assert.That(Files.Code(Auto, _missingVhd, mask, parameters: p, rules: rules), Is.EqualTo(expected));
        if (expected == InvalidParameter)
            Assert.That(Files.Failure(_missingVhd, Files.Options(mask, parameters: p, rules: rules))!.Reason, Is.EqualTo(R.ParametersVersionNotAllowed));
    }

    [Test]
    public void NullParametersMeanVersion1() =>
        Assert.That(Files.Code(Auto, _missingVhd, M.AttachRW | M.MetaOps), Is.EqualTo(FileNotFound));

    [TestCase(0u)]
    [TestCase(1u)]
    [TestCase(1000u)]
    [TestCase(uint.MaxValue)]
    public void Version1FieldsAreNotCheckedBeforeTheFile(uint depth) =>
        Assert.That(Files.Code(Auto, _missingVhd, M.All, parameters: OpenVirtualDiskParameters.V1(depth)), Is.EqualTo(FileNotFound));

    // ---- step 5: V2/V3 need mask NONE ----

    private static readonly uint[] EveryAllBit = [0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0xD0000, 0x3F0000];

    [Test]
    public void Version2WithAnyMaskIs87([ValueSource(nameof(EveryAllBit))] uint mask)
    {
        Assert.That(Files.Code(Auto, _missingVhd, (M)mask, parameters: OpenVirtualDiskParameters.V2()), Is.EqualTo(InvalidParameter));
        Assert.That(Files.Failure(_missingVhd, Files.Options((M)mask, parameters: OpenVirtualDiskParameters.V2()))!.Reason,
            Is.EqualTo(R.AccessMaskMustBeNoneForVersion));
    }

    [Test]
    public void Version3WithAnyMaskIs87([ValueSource(nameof(EveryAllBit))] uint mask) =>
        Assert.That(Files.Code(Auto, _missingVhd, (M)mask, parameters: OpenVirtualDiskParameters.V3(), rules: OpenRuleSet.Current), Is.EqualTo(InvalidParameter));

    [TestCase(true, false)]
    [TestCase(false, false)]
    [TestCase(true, true)]
    [TestCase(false, true)]
    public void Version2And3WithNoneReachTheFile(bool readOnly, bool getInfoOnly)
    {
        Assert.That(Files.Code(Auto, _missingVhd, M.None, parameters: OpenVirtualDiskParameters.V2(readOnly, getInfoOnly)), Is.EqualTo(FileNotFound));
        Assert.That(Files.Code(Auto, _missingVhd, M.None, parameters: OpenVirtualDiskParameters.V3(readOnly, getInfoOnly), rules: OpenRuleSet.Current), Is.EqualTo(FileNotFound));
    }

    // ---- step 6: vendor and device id ----

    [TestCase("EC984AEC-A0F9-47E9-901F-71415A66345B", FileNotFound)]
    [TestCase("00000000-0000-0000-0000-000000000000", FileNotFound)]
    [TestCase("EC984AEC-A0F9-47E9-901F-71415A66345C", ProviderNotFound)]
    [TestCase("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", ProviderNotFound)]
    [TestCase("12345678-1234-1234-1234-123456789ABC", ProviderNotFound)]
    public void Vendor(string vendor, uint expected)
    {
        foreach (uint device in new uint[] { 0, 2 })
            Assert.That(Files.Code(new VirtualStorageType(device, Guid.Parse(vendor)), _missingVhd, Files.DefaultAccess), Is.EqualTo(expected), $"device {device}");
    }

    [TestCase(0u, FileNotFound)]
    [TestCase(1u, FileNotFound)]
    [TestCase(2u, FileNotFound)]
    [TestCase(3u, FileNotFound)]
    [TestCase(4u, ProviderNotFound)]
    [TestCase(5u, ProviderNotFound)]
    [TestCase(100u, ProviderNotFound)]
    [TestCase(uint.MaxValue, ProviderNotFound)]
    public void DeviceId(uint device, uint expected)
    {
        // ATTACH_RO only: the ISO rules (device 1) accept it, so every device id reaches its own step.
        foreach (var vendor in new[] { VirtualStorageType.VendorMicrosoft, Guid.Empty })
            Assert.That(Files.Code(new VirtualStorageType(device, vendor), _missingVhd, M.AttachRO), Is.EqualTo(expected));
    }

    [Test]
    public void VhdSetHasItsOwnReason() =>
        Assert.That(Files.Failure(_missingVhd, Files.Options(type: VirtualStorageType.VhdSet))!.Reason, Is.EqualTo(R.VhdSetNotSupported));

    // ---- step 7 / §5: ISO parameter rules ----

    public static IEnumerable<TestCaseData> IsoMasks()
    {
        yield return new TestCaseData(0x0u, 0u).SetName("IsoMask NONE");
        yield return new TestCaseData(0x10000u, 0u).SetName("IsoMask ATTACH_RO");
        yield return new TestCaseData(0x40000u, 0u).SetName("IsoMask DETACH");
        yield return new TestCaseData(0x80000u, 0u).SetName("IsoMask GET_INFO");
        yield return new TestCaseData(0xD0000u, 0u).SetName("IsoMask READ");
        yield return new TestCaseData(0x90000u, 0u).SetName("IsoMask ATTACH_RO|GET_INFO");
        yield return new TestCaseData(0x20000u, InvalidParameter).SetName("IsoMask ATTACH_RW");
        yield return new TestCaseData(0x100000u, InvalidParameter).SetName("IsoMask CREATE");
        yield return new TestCaseData(0x200000u, InvalidParameter).SetName("IsoMask METAOPS");
        yield return new TestCaseData(0x320000u, InvalidParameter).SetName("IsoMask WRITABLE");
        yield return new TestCaseData(0x3F0000u, InvalidParameter).SetName("IsoMask ALL");
        yield return new TestCaseData(0x90000u | 0x200000u, InvalidParameter).SetName("IsoMask READ bits + METAOPS");
    }

    [TestCaseSource(nameof(IsoMasks))]
    public void IsoAccess(uint mask, uint expected)
    {
        // By extension and by explicit device id alike.
        Assert.That(Files.Code(Auto, _iso, (M)mask), Is.EqualTo(expected));
        Assert.That(Files.Code(VirtualStorageType.Iso, _iso, (M)mask), Is.EqualTo(expected));
        if (expected != 0) Assert.That(Files.Failure(_iso, Files.Options((M)mask))!.Reason, Is.EqualTo(R.IsoAccessNotAllowed));
    }

    [TestCase(0x1u, OpenRuleSet.Documented)]
    [TestCase(0x2u, OpenRuleSet.Documented)]
    [TestCase(0x1u, OpenRuleSet.Current)]
    [TestCase(0x2u, OpenRuleSet.Current)]
    [TestCase(0x4u, OpenRuleSet.Current)]
    public void IsoForbiddenFlagsAre87(uint flag, OpenRuleSet rules)
    {
        Assert.That(Files.Code(Auto, _iso, Files.DefaultAccess, (F)flag, rules: rules), Is.EqualTo(InvalidParameter));
        Assert.That(Files.Failure(_iso, Files.Options(flags: (F)flag, rules: rules))!.Reason, Is.EqualTo(R.IsoFlagsNotAllowed));
    }

    [Test]
    public void IsoAcceptsTheOtherCurrentFlags([Values(0x8u, 0x10u, 0x20u, 0x40u, 0x80u, 0x100u, 0x200u, 0x400u, 0x800u)] uint flag) =>
        Assert.That(Files.Code(Auto, _iso, Files.DefaultAccess, (F)flag, rules: OpenRuleSet.Current), Is.EqualTo(0u));

    [Test]
    public void IsoAcceptsNullAndVersion1WithAnyRWDepth([Values(0u, 1u, 2u, 1000u)] uint depth)
    {
        Assert.That(Files.Code(Auto, _iso, Files.DefaultAccess), Is.EqualTo(0u));
        Assert.That(Files.Code(Auto, _iso, Files.DefaultAccess, parameters: OpenVirtualDiskParameters.V1(depth)), Is.EqualTo(0u));
    }

    [TestCase(2u, OpenRuleSet.Documented)]
    [TestCase(3u, OpenRuleSet.Current)]
    public void IsoRefusesVersion2And3(uint version, OpenRuleSet rules)
    {
        foreach (bool readOnly in new[] { true, false })
        {
            var p = new OpenVirtualDiskParameters { Version = (OpenVirtualDiskVersion)version, ReadOnly = readOnly };
            Assert.That(Files.Code(Auto, _iso, M.None, parameters: p, rules: rules), Is.EqualTo(InvalidParameter));
            Assert.That(Files.Failure(_iso, Files.Options(M.None, parameters: p, rules: rules))!.Reason, Is.EqualTo(R.IsoParametersVersionNotAllowed));
        }
    }

    // ---- step 8: the host file ----

    [Test]
    public void EmptyPathIs3()
    {
        Assert.That(Files.Code(Auto, "", Files.DefaultAccess), Is.EqualTo(PathNotFound));
        Assert.That(Files.Failure("")!.Reason, Is.EqualTo(R.EmptyPath));
    }

    [Test]
    public void MissingFileIs2()
    {
        foreach (var name in new[] { "missing.vhd", "missing.iso", "missing.vhdx", "missing.img", "missing" })
        {
            var failure = Files.Failure(Path.Combine(_folder, name));
            Assert.That(failure!.ErrorCode, Is.EqualTo(FileNotFound), name);
            Assert.That(failure.Reason, Is.EqualTo(R.FileNotFound), name);
        }
    }

    [Test]
    public void MissingFolderIs3()
    {
        foreach (var name in new[] { "nofolder/x.vhd", "nofolder/deeper/x.iso", "nofolder/x.img" })
        {
            var failure = Files.Failure(Path.Combine(_folder, name));
            Assert.That(failure!.ErrorCode, Is.EqualTo(PathNotFound), name);
            Assert.That(failure.Reason, Is.EqualTo(R.PathNotFound), name);
        }
    }

    [Test]
    public void AFileUsedAsAFolderIs3()
    {
        // "a.iso/x.vhd": a component of the path is a regular file (ENOTDIR): the folder does not exist.
        Assert.That(Files.Code(Auto, Path.Combine(_iso, "x.vhd"), Files.DefaultAccess), Is.EqualTo(PathNotFound));
    }

    [Test]
    public void RelativePathsAreResolvedAgainstTheWorkingDirectory()
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, _iso);
        Assert.That(Files.Code(Auto, relative, Files.DefaultAccess), Is.EqualTo(0u));
    }

    [Test]
    public void DirectoryIs5()
    {
        foreach (var name in new[] { "dir.iso", "dir.vhd", "dir" })
        {
            string dir = Path.Combine(_folder, name);
            Directory.CreateDirectory(dir);
            var failure = Files.Failure(dir);
            Assert.That(failure!.ErrorCode, Is.EqualTo(AccessDenied), name);
            Assert.That(failure.Reason, Is.EqualTo(R.PathIsDirectory), name);
        }
    }

    [Test]
    public void DeviceFileIs5()
    {
        if (!File.Exists("/dev/null")) Assert.Ignore("no /dev/null on this system");
        var failure = Files.Failure("/dev/null");
        Assert.That(failure!.ErrorCode, Is.EqualTo(AccessDenied));
        Assert.That(failure.Reason, Is.EqualTo(R.NotARegularFile));
        Assert.That(Files.Code(VirtualStorageType.Iso, "/dev/zero", M.AttachRO), Is.EqualTo(AccessDenied));
    }

    [Test]
    public void SymbolicLinkToADeviceIs5AndToAnImageOpens()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("Unix device files");
        string toDevice = Path.Combine(_folder, "dev.iso");
        File.CreateSymbolicLink(toDevice, "/dev/zero");
        Assert.That(Files.Code(Auto, toDevice, Files.DefaultAccess), Is.EqualTo(AccessDenied));
        string toIso = Path.Combine(_folder, "link.iso");
        File.CreateSymbolicLink(toIso, _iso);
        Assert.That(Files.Code(Auto, toIso, Files.DefaultAccess), Is.EqualTo(0u));
    }

    [Test]
    public void FifoIs5AndDoesNotHang()
    {
        if (!TestPaths.HasTool("mkfifo")) Assert.Ignore("mkfifo is not installed");
        string fifo = Path.Combine(_folder, "pipe.iso");
        Assert.That(Files.Run("mkfifo", $"\"{fifo}\"", out var output), Is.EqualTo(0), output);
        // A reader opening a FIFO blocks until a writer comes; the open must refuse the FIFO before opening it.
        var open = Task.Run(() => Files.Failure(fifo));
        if (!open.Wait(TimeSpan.FromSeconds(60)))
        {
            // Unblock the stuck open (O_RDWR on a FIFO never blocks on Linux) so the test run can go on.
            using (File.OpenHandle(fifo, FileMode.Open, FileAccess.ReadWrite)) { }
            Assert.Fail("Opening a FIFO blocked: the open must refuse non-regular files before opening them");
        }
        Assert.That(open.Result!.ErrorCode, Is.EqualTo(AccessDenied));
        Assert.That(open.Result.Reason, Is.EqualTo(R.NotARegularFile));
    }

    [Test]
    [UnsupportedOSPlatform("windows")]
    public void NoPermissionIs5()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("POSIX permission bits");
        string iso = Files.Iso(_folder, "locked.iso");
        File.SetUnixFileMode(iso, UnixFileMode.None); // chmod 000
        // Root ignores permission bits; Files.AsUnprivileged opens as uid 65534 (see there) in that case.
        var failure = Files.AsUnprivileged(() => Files.Failure(iso));
        Assert.That(failure!.ErrorCode, Is.EqualTo(AccessDenied));
        Assert.That(failure.Reason, Is.EqualTo(R.PermissionDenied));
        // The same file with read permission opens for the same user: the failure was the permission.
        File.SetUnixFileMode(iso, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.That(Files.AsUnprivileged(() => Files.Failure(iso)), Is.Null);
    }

    [Test]
    [UnsupportedOSPlatform("windows")]
    public void FolderWithoutSearchPermissionIs5()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("POSIX permission bits");
        string dir = Path.Combine(_folder, "closed");
        Directory.CreateDirectory(dir);
        string iso = Files.Iso(dir, "inside.iso");
        File.SetUnixFileMode(dir, UnixFileMode.None);
        try
        {
            var failure = Files.AsUnprivileged(() => Files.Failure(iso));
            Assert.That(failure!.ErrorCode, Is.EqualTo(AccessDenied), failure.ToString());
            Assert.That(failure.Reason, Is.EqualTo(R.PermissionDenied));
        }
        finally
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
