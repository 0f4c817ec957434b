using static VirtualDiskManaged.Tests.Create.CreateTools;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Tests.Create;

/// <summary>Every parameter rule of CreateVirtualDisk with its code (docs/create.md), checked before any file is touched.</summary>
public sealed class CreateRuleTests : CreateTestBase
{
    private static CreateVirtualDiskParameters V2(ulong size = 64 * MiB) => new() { Version = CreateVirtualDiskVersion.Version2, MaximumSize = size };

    private (uint Code, VirtualDiskDiagnostic? Failure) Call(VirtualStorageType? type, string? name, VirtualDiskAccessMask mask,
        CreateVirtualDiskFlags flags, CreateVirtualDiskParameters? p)
    {
        string? path = name is null ? null : name.Length == 0 ? "" : At(name);
        uint code = VirtDisk.CreateVirtualDisk(type, path, mask, flags, p, out var handle, out var failure);
        handle?.Dispose();
        return (code, failure);
    }

    private void Expect(R reason, uint code, VirtualStorageType? type, string? name, VirtualDiskAccessMask mask, CreateVirtualDiskFlags flags,
        CreateVirtualDiskParameters? p)
    {
        var before = Directory.GetFileSystemEntries(Folder).OrderBy(x => x).ToArray();
        var (rc, failure) = Call(type, name, mask, flags, p);
        Assert.That(failure?.Reason, Is.EqualTo(reason), failure?.Message);
        Assert.That(rc, Is.EqualTo(code));
        Assert.That(failure!.Code, Is.EqualTo(VirtualDiskErrors.CodeOf(reason)).Or.EqualTo((VirtualDiskError)code));
        Assert.That(Directory.GetFileSystemEntries(Folder).OrderBy(x => x), Is.EqualTo(before), "no file may be created or left behind");
    }

    private const uint InvalidParameter = 87, NotSupported = 50, ProviderNotFound = 0xC03A0014, InvalidSize = 0xC03A0012, FileExists = 80, PathNotFound = 3, InvalidType = 0xC03A001B;

    [Test] public void R01_NullStorageType() => Expect(R.CreateNullStorageType, InvalidParameter, null, "a.vhdx", 0, 0, V2());
    [Test] public void R02_NullPath() => Expect(R.CreateNullPath, InvalidParameter, VirtualStorageType.Vhdx, null, 0, 0, V2());
    [Test] public void R03_NullParameters() => Expect(R.CreateNullParameters, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, null);
    [Test] public void R04_Version0() => Expect(R.CreateVersionInvalid, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { Version = 0 });
    [Test] public void R04_Version5() => Expect(R.CreateVersionInvalid, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { Version = (CreateVirtualDiskVersion)5 });
    [Test] public void R04_Version3() => Expect(R.CreateVersionNotSupported, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { Version = CreateVirtualDiskVersion.Version3 });
    [Test] public void R04_Version4() => Expect(R.CreateVersionNotSupported, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { Version = CreateVirtualDiskVersion.Version4 });
    [Test] public void R05_MaskOutsideAll() => Expect(R.CreateAccessMaskInvalid, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", (VirtualDiskAccessMask)0x1, 0, V2() with { Version = CreateVirtualDiskVersion.Version1 });
    [Test] public void R06_Version2NeedsNone() => Expect(R.CreateAccessMaskMustBeNone, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", VirtualDiskAccessMask.Create, 0, V2());
    [Test] public void R07_UndefinedFlag() => Expect(R.CreateFlagsInvalid, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, (CreateVirtualDiskFlags)0x800, V2());

    [TestCase(CreateVirtualDiskFlags.CreateBackingStorage)]
    [TestCase(CreateVirtualDiskFlags.UseChangeTrackingSourceLimit)]
    [TestCase(CreateVirtualDiskFlags.PreserveParentChangeTrackingState)]
    [TestCase(CreateVirtualDiskFlags.VhdSetUseOriginalBackingStorage)]
    [TestCase(CreateVirtualDiskFlags.PmemCompatible)]
    public void R07_UnsupportedFlag(CreateVirtualDiskFlags flag) => Expect(R.CreateFlagNotSupported, NotSupported, VirtualStorageType.Vhdx, "a.vhdx", 0, flag, V2());

    [Test] public void R08_Vendor() => Expect(R.CreateVendorNotSupported, ProviderNotFound, new VirtualStorageType(3, Guid.NewGuid()), "a.vhdx", 0, 0, V2());
    [Test] public void R08_VhdSet() => Expect(R.CreateDeviceIdNotSupported, ProviderNotFound, VirtualStorageType.VhdSet, "a.vhds", 0, 0, V2());
    [Test] public void R08_DeviceId9() => Expect(R.CreateDeviceIdNotSupported, ProviderNotFound, new VirtualStorageType(9, VirtualStorageType.VendorMicrosoft), "a.vhdx", 0, 0, V2());
    [Test] public void R08_Iso() => Expect(R.CreateIsoNotSupported, NotSupported, VirtualStorageType.Iso, "a.iso", 0, 0, V2());
    [Test] public void R08_UnknownExtension() => Expect(R.CreateFormatNotDetermined, ProviderNotFound, VirtualStorageType.Auto, "a.img", 0, 0, V2());
    [Test] public void R09_ParentAndSource() => Expect(R.CreateParentAndSource, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0) with { ParentPath = At("p.vhdx"), SourcePath = At("s.vhdx") });
    [Test] public void R10_FixedDifferencing() => Expect(R.CreateFixedDifferencing, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, CreateVirtualDiskFlags.FullPhysicalAllocation, V2(0) with { ParentPath = At("p.vhdx") });
    [Test] public void R10_SparseNeedsFixed() => Expect(R.CreateSparseNeedsFixed, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, CreateVirtualDiskFlags.SparseFile, V2());
    [Test] public void R11_SizeWithParent() => Expect(R.CreateSizeWithParent, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { ParentPath = At("p.vhdx") });
    [Test] public void R12_SizeMissing() => Expect(R.CreateSizeMissing, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0));
    [Test] public void R13_NotSectorMultiple() => Expect(R.CreateSizeNotSectorMultiple, InvalidParameter, VirtualStorageType.Vhd, "a.vhd", 0, 0, V2(64 * MiB + 100));
    [Test] public void R13_NotMultipleOf4096() => Expect(R.CreateSizeNotSectorMultiple, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(64 * MiB + 512) with { SectorSizeInBytes = 4096 });
    [Test] public void R13_BelowThreeMiB() => Expect(R.CreateSizeTooSmall, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(3 * MiB - 512));
    [Test] public void R13_VhdAbove2040GiB() => Expect(R.CreateSizeTooLarge, InvalidSize, VirtualStorageType.Vhd, "a.vhd", 0, 0, V2(2040 * GiB + 512));
    [Test] public void R13_VhdxAbove64TiB() => Expect(R.CreateSizeTooLarge, InvalidSize, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(64 * TiB + 512));

    [TestCase(2u, 4096u)]
    [TestCase(2u, 1u << 20)]
    [TestCase(3u, 3u << 20)]
    [TestCase(3u, 512u * 1024)]
    [TestCase(3u, 512u << 20)]
    public void R14_BlockSize(uint device, uint block) =>
        Expect(R.CreateBlockSizeInvalid, InvalidParameter, new VirtualStorageType(device, VirtualStorageType.VendorMicrosoft), device == 2 ? "a.vhd" : "a.vhdx", 0, 0, V2() with { BlockSizeInBytes = block });

    [Test] public void R14_FixedVhdBlockSize() => Expect(R.CreateBlockSizeFixedVhd, InvalidParameter, VirtualStorageType.Vhd, "a.vhd", 0, CreateVirtualDiskFlags.FullPhysicalAllocation, V2() with { BlockSizeInBytes = 2 << 20 });
    [Test] public void R15_VhdSector4096() => Expect(R.CreateSectorSizeInvalid, InvalidParameter, VirtualStorageType.Vhd, "a.vhd", 0, 0, V2() with { SectorSizeInBytes = 4096 });
    [Test] public void R15_VhdxSector1024() => Expect(R.CreateSectorSizeInvalid, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { SectorSizeInBytes = 1024 });
    [Test] public void R15_VhdPhysical4096() => Expect(R.CreatePhysicalSectorSizeInvalid, InvalidParameter, VirtualStorageType.Vhd, "a.vhd", 0, 0, V2() with { PhysicalSectorSizeInBytes = 4096 });
    [Test] public void R15_VhdxPhysical8192() => Expect(R.CreatePhysicalSectorSizeInvalid, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { PhysicalSectorSizeInBytes = 8192 });
    [Test] public void R16_Resiliency() => Expect(R.CreateResiliencyNotSupported, NotSupported, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { ResiliencyGuid = Guid.NewGuid() });
    [Test] public void R17_OpenFlags() => Expect(R.CreateOpenFlagsInvalid, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2() with { OpenFlags = (OpenVirtualDiskFlags)0x1000 });
    [Test] public void R18_ParentType() => Expect(R.CreateParentTypeInvalid, ProviderNotFound, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0) with { ParentPath = At("p.vhdx"), ParentVirtualStorageType = VirtualStorageType.Iso });
    [Test] public void R18_SourceType() => Expect(R.CreateSourceTypeInvalid, ProviderNotFound, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0) with { SourcePath = At("s.vhdx"), SourceVirtualStorageType = VirtualStorageType.VhdSet });
    [Test] public void R19_EmptyPath() => Expect(R.CreatePathEmpty, PathNotFound, VirtualStorageType.Vhdx, "", 0, 0, V2());
    [Test] public void R20_FolderMissing() => Expect(R.CreateFolderNotFound, PathNotFound, VirtualStorageType.Vhdx, "no/such/a.vhdx", 0, 0, V2());

    [Test]
    public void R21_TargetExists()
    {
        File.WriteAllBytes(At("a.vhdx"), [1, 2, 3]);
        Expect(R.CreateTargetExists, FileExists, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2());
        Assert.That(File.ReadAllBytes(At("a.vhdx")), Is.EqualTo(new byte[] { 1, 2, 3 }), "never overwritten");
        Directory.CreateDirectory(At("d.vhdx"));
        Expect(R.CreateTargetExists, FileExists, VirtualStorageType.Vhdx, "d.vhdx", 0, 0, V2());
    }

    [Test]
    public void R22_ParentMissing()
    {
        var (rc, failure) = Call(VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0) with { ParentPath = At("p.vhdx") });
        Assert.That(failure!.Reason, Is.EqualTo(R.CreateParentOpenFailed));
        Assert.That(failure.Inner!.Reason, Is.EqualTo(R.FileNotFound));
        Assert.That(rc, Is.EqualTo(2u), "the parent's own failure code");
        Assert.That(Directory.GetFileSystemEntries(Folder), Is.Empty);
    }

    [Test]
    public void R23_ParentOfAnotherFormat()
    {
        using (VirtualDisk.Create(At("p.vhd"), new() { Format = VirtualDiskFormat.Vhd, Size = 8 * MiB })) { }
        Expect(R.CreateParentFormatMismatch, InvalidType, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0) with { ParentPath = At("p.vhd") });
    }

    [Test]
    public void R23_SectorSizeOtherThanTheParents()
    {
        using (VirtualDisk.Create(At("p.vhdx"), new() { Size = 8 * MiB })) { }
        Expect(R.CreateParentSectorSizeMismatch, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0) with { ParentPath = At("p.vhdx"), SectorSizeInBytes = 4096 });
    }

    [Test]
    public void R23_ParentHeldReadWriteElsewhere()
    {
        using var parent = VirtualDisk.Create(At("p.vhdx"), new() { Size = 8 * MiB }); // a read/write handle
        var (rc, failure) = Call(VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0) with { ParentPath = At("p.vhdx") });
        Assert.That(failure!.Reason, Is.EqualTo(R.CreateParentOpenFailed));
        Assert.That(rc, Is.EqualTo(32u), "ERROR_SHARING_VIOLATION");
        Assert.That(File.Exists(At("a.vhdx")), Is.False);
    }

    [Test]
    public void R24_PhysicalSourceWithPreventWrites()
    {
        // A device path is a physical source, read raw; this library cannot take ownership of one.
        Expect(R.CreateSourceOwnershipNotSupported, NotSupported, VirtualStorageType.Vhdx, "a.vhdx", 0, CreateVirtualDiskFlags.PreventWritesToSourceDisk, V2(0) with { SourcePath = "/dev/null" });
        // Without the flag the device is opened like any source; /dev/null is no regular file.
        uint rc;
        VirtualDiskDiagnostic? failure;
        if (!OperatingSystem.IsWindows())
        {
            (rc, failure) = Call(VirtualStorageType.Vhdx, "a.vhdx", 0, 0, V2(0) with { SourcePath = "/dev/null" });
            Assert.That(failure!.Reason, Is.EqualTo(R.CreateSourceOpenFailed));
            Assert.That(rc, Is.EqualTo(5u), "ERROR_ACCESS_DENIED, as for opening a device");
        }
        // For an image source the flag has no effect (CREATE_VIRTUAL_DISK_FLAG page).
        string src = At("img.vhdx");
        using (VirtualDisk.Create(src, new() { Size = 8 * MiB })) { }
        (rc, failure) = Call(VirtualStorageType.Vhdx, "b.vhdx", 0, CreateVirtualDiskFlags.PreventWritesToSourceDisk, V2(0) with { SourcePath = src });
        Assert.That(rc, Is.EqualTo(0u), failure?.Message);
    }

    private VirtualDiskDiagnostic? VirtualDiskTry(VirtualDiskCreateOptions options, out string path)
    {
        path = At("n" + Guid.NewGuid().ToString("N")[..6] + ".vhdx");
        VirtualDisk.TryCreate(path, options, out var h, out VirtualDiskDiagnostic? failure);
        h?.Dispose();
        return failure;
    }

    [Test]
    public void FirstRuleWins()
    {
        // Null parameters AND a null storage type: rule 1 first. Bad version AND bad mask: rule 4 first.
        Expect(R.CreateNullStorageType, InvalidParameter, null, "a.vhdx", 0, 0, null);
        Expect(R.CreateVersionInvalid, InvalidParameter, VirtualStorageType.Vhdx, "a.vhdx", (VirtualDiskAccessMask)1, 0, V2() with { Version = 0 });
        // A too-large size AND a bad block size: rule 13 before 14.
        Expect(R.CreateSizeTooLarge, InvalidSize, VirtualStorageType.Vhd, "a.vhd", 0, 0, V2(4 * TiB) with { BlockSizeInBytes = 3 });
        // Rules run before the file system is looked at: an existing target with a bad flag reports the flag.
        File.WriteAllBytes(At("e.vhdx"), [0]);
        Expect(R.CreateFlagsInvalid, InvalidParameter, VirtualStorageType.Vhdx, "e.vhdx", 0, (CreateVirtualDiskFlags)0x1000, V2());
    }

    [Test]
    public void DotNetLayerRules()
    {
        Assert.That(VirtualDiskTry(new() { Type = VirtualDiskCreateType.Differencing }, out _)!.Reason, Is.EqualTo(R.CreateTypeNeedsParent));
        Assert.That(VirtualDiskTry(new() { Size = 8 * MiB, ParentPath = At("p.vhdx") }, out _)!.Reason, Is.EqualTo(R.CreateParentNeedsDifferencing));
        Assert.That(VirtualDiskTry(new() { Format = VirtualDiskFormat.Iso, Size = 8 * MiB }, out _)!.Reason, Is.EqualTo(R.CreateFormatInvalid));
        Assert.That(VirtualDiskTry(new() { Sparse = true, Size = 8 * MiB }, out _)!.Reason, Is.EqualTo(R.CreateSparseNeedsFixed));
        Assert.That(VirtualDisk.TryCreate(At("x.vhdx"), null, out _, out VirtualDiskError e), Is.False);
        Assert.That(e, Is.EqualTo(VirtualDiskError.InvalidParameter));
        var ex = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Create(At("y.vhdx"), new() { Size = 1 }));
        Assert.That(ex!.Diagnostic.Reason, Is.EqualTo(R.CreateSizeNotSectorMultiple));
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void MinimumSizeIsAccepted(VirtualDiskFormat format)
    {
        using var h = VirtualDisk.Create(At("min" + (format == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx")), new() { Format = format, Size = 3 * MiB });
        Assert.That(h.VirtualSize, Is.EqualTo(3 * MiB));
    }
}
