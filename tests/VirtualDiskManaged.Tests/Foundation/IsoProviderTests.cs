using System.Text;
using R = VirtualDiskManaged.VirtualDiskErrorReason;
using G = VirtualDiskManaged.GetVirtualDiskInfoVersion;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// docs/open-path.md §5 (ISO content rules) and the ISO handle: the stream is the file, GetVirtualDiskInformation per version.
/// Images are crafted from ECMA-119 / ECMA-167 layouts.
/// </summary>
public sealed class IsoProviderTests
{
    private const uint FileCorrupt = 1392;
    private string _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Files.Folder();

    // ---- identifiers at bytes 1-5 of the descriptor at 32,768 ----

    [TestCase("CD001")]
    [TestCase("BEA01")]
    [TestCase("NSR02")]
    [TestCase("NSR03")]
    [TestCase("TEA01")]
    [TestCase("BOOT2")]
    [TestCase("CDW02")]
    public void EveryRecognisedIdentifierOpens(string id)
    {
        foreach (byte type in new byte[] { 0, 1, 2, 255 })
        {
            string iso = Files.Iso(_folder, $"{id}-{type}.iso", identifier: id, type: type);
            using var handle = VirtualDisk.Open(iso);
            Assert.That(handle.Info.Top.VolumeDescriptorIdentifier, Is.EqualTo(id));
        }
    }

    [Test]
    public void HighSierraCdromAtBytes9To13Opens()
    {
        using var handle = VirtualDisk.Open(Files.HighSierra(_folder));
        Assert.That(handle.Info.Top.VolumeDescriptorIdentifier, Is.EqualTo("CDROM"));
    }

    [TestCase("cd001", TestName = "IsoId lowercase cd001")]
    [TestCase("CD002", TestName = "IsoId CD002")]
    [TestCase("NSR01", TestName = "IsoId NSR01")]
    [TestCase("NSR04", TestName = "IsoId NSR04")]
    [TestCase("BEA02", TestName = "IsoId BEA02")]
    [TestCase("CDROM", TestName = "IsoId CDROM at 1-5 (High Sierra puts it at 9-13)")]
    [TestCase("CDW01", TestName = "IsoId CDW01")]
    [TestCase("CD00", TestName = "IsoId truncated CD00")]
    [TestCase("     ", TestName = "IsoId spaces")]
    public void OtherIdentifiersAre1392(string id)
    {
        var failure = Files.Failure(Files.Iso(_folder, identifier: id));
        Assert.That(failure!.ErrorCode, Is.EqualTo(FileCorrupt));
        Assert.That(failure.Reason, Is.EqualTo(R.IsoNoVolumeDescriptor));
    }

    [TestCase(0, TestName = "IsoIdOffset 0")]
    [TestCase(2, TestName = "IsoIdOffset 2")]
    [TestCase(9, TestName = "IsoIdOffset CD001 at 9 (only CDROM counts there)")]
    [TestCase(2048 + 1, TestName = "IsoIdOffset in the second descriptor only")]
    [TestCase(-2048 + 1, TestName = "IsoIdOffset in the sector before")]
    public void IdentifierAtTheWrongPlaceIs1392(int offsetFromDescriptor)
    {
        string path = Path.Combine(_folder, "moved.iso");
        var bytes = new byte[18 * Files.Sector];
        "CD001"u8.CopyTo(bytes.AsSpan(Files.DescriptorOffset + offsetFromDescriptor));
        File.WriteAllBytes(path, bytes);
        Assert.That(Files.Failure(path)!.Reason, Is.EqualTo(R.IsoNoVolumeDescriptor));
    }

    [Test]
    public void CdromAtBytes1To5OfAHighSierraShapedDescriptorIsNotEnough()
    {
        string path = Path.Combine(_folder, "hs-wrong.iso");
        var bytes = new byte[18 * Files.Sector];
        "CDROM"u8.CopyTo(bytes.AsSpan(Files.DescriptorOffset + 8));  // one byte early
        File.WriteAllBytes(path, bytes);
        Assert.That(Files.Failure(path)!.Reason, Is.EqualTo(R.IsoNoVolumeDescriptor));
    }

    // ---- sizes ----

    [TestCase(34816L, R.None, TestName = "IsoSize 34816 exactly (minimum) opens")]
    [TestCase(36864L, R.None, TestName = "IsoSize 36864 opens")]
    [TestCase(1L << 20, R.None, TestName = "IsoSize 1 MiB opens")]
    [TestCase(34815L, R.IsoSizeNotMultipleOf2048, TestName = "IsoSize 34815")]
    [TestCase(34817L, R.IsoSizeNotMultipleOf2048, TestName = "IsoSize 34817")]
    [TestCase(36864L + 100, R.IsoSizeNotMultipleOf2048, TestName = "IsoSize plus 100")]
    [TestCase(36864L - 1, R.IsoSizeNotMultipleOf2048, TestName = "IsoSize minus 1")]
    [TestCase(36864L + 512, R.IsoSizeNotMultipleOf2048, TestName = "IsoSize plus 512")]
    [TestCase(32768L, R.IsoTooSmall, TestName = "IsoSize 32768")]
    [TestCase(2048L, R.IsoTooSmall, TestName = "IsoSize 2048")]
    [TestCase(0L, R.IsoTooSmall, TestName = "IsoSize 0")]
    [TestCase(14L, R.IsoSizeNotMultipleOf2048, TestName = "IsoSize 14")]
    public void Sizes(long length, R reason)
    {
        string iso = Files.Iso(_folder, length: length);
        var failure = Files.Failure(iso);
        Assert.That(failure?.Reason ?? R.None, Is.EqualTo(reason));
        if (reason != R.None) Assert.That(failure!.ErrorCode, Is.EqualTo(FileCorrupt));
    }

    [Test]
    public void SizeIsCheckedBeforeTheDescriptor()
    {
        // A valid descriptor does not save a file whose size breaks the rules, and no descriptor in a file of the
        // wrong size is reported as the size problem.
        Assert.That(Files.Failure(Files.Iso(_folder, "a.iso", length: 36864 + 2))!.Reason, Is.EqualTo(R.IsoSizeNotMultipleOf2048));
        Assert.That(Files.Failure(Files.Iso(_folder, "b.iso", length: 36864 + 2, identifier: null))!.Reason, Is.EqualTo(R.IsoSizeNotMultipleOf2048));
        Assert.That(Files.Failure(Files.Iso(_folder, "c.iso", length: 32768, identifier: null))!.Reason, Is.EqualTo(R.IsoTooSmall));
    }

    [Test]
    public void FailuresCarryTheFileAndTheOffsetOfTheDescriptor()
    {
        string iso = Files.Iso(_folder, identifier: null);
        var failure = Files.Failure(iso);
        Assert.That(failure!.FilePath, Is.EqualTo(Path.GetFullPath(iso)));
        Assert.That(failure.Offset, Is.EqualTo(32768));
        // The message does not repeat the file (callers show FilePath beside it); ToString names it once.
        Assert.That(failure.Message, Does.Not.Contain(Path.GetFullPath(iso)));
        Assert.That(failure.ToString().Split(Path.GetFullPath(iso)).Length - 1, Is.EqualTo(1));
    }

    // ---- the handle and its stream ----

    [Test]
    public void TheStreamIsTheFileByteForByte()
    {
        string iso = Files.Iso(_folder, length: 64 * Files.Sector);
        var bytes = File.ReadAllBytes(iso);
        for (int i = 40000; i < bytes.Length; i++) bytes[i] = (byte)(i % 251);
        File.WriteAllBytes(iso, bytes);
        using var handle = VirtualDisk.Open(iso);
        Assert.That(handle.VirtualSize, Is.EqualTo(bytes.Length));
        using var stream = handle.OpenStream();
        Assert.That(stream.Length, Is.EqualTo(bytes.Length));
        Assert.That(stream.CanWrite, Is.False);
        Assert.That(stream.CanSeek, Is.True);
        Assert.That(stream.CanRead, Is.True);
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.That(copy.ToArray(), Is.EqualTo(bytes));
    }

    [Test]
    public void HandleProperties()
    {
        string iso = Files.Iso(_folder);
        using var handle = VirtualDisk.Open(iso);
        Assert.That(handle.StorageType, Is.EqualTo(new VirtualStorageType(VirtualStorageDeviceId.Iso, VirtualStorageType.VendorMicrosoft)));
        Assert.That(handle.Format, Is.EqualTo(VirtualDiskFormat.Iso));
        Assert.That(handle.Subtype, Is.EqualTo(VirtualDiskProviderSubtype.None));
        Assert.That(handle.LogicalSectorSize, Is.EqualTo(2048));
        Assert.That(handle.PhysicalSectorSize, Is.EqualTo(2048));
        Assert.That(handle.Warnings, Is.Empty);
        Assert.That(handle.Path, Is.EqualTo(Path.GetFullPath(iso)));
        Assert.That(handle.Info.Chain, Has.Count.EqualTo(1));
        Assert.That(handle.Info.Top.FileSize, Is.EqualTo(new FileInfo(iso).Length));
    }

    [Test]
    public void OpeningNeverWritesTheFile()
    {
        string iso = Files.Iso(_folder);
        var before = File.GetLastWriteTimeUtc(iso);
        string hash = Files.Sha256(iso);
        File.SetLastWriteTimeUtc(iso, before.AddDays(-3));
        before = File.GetLastWriteTimeUtc(iso);
        using (var handle = VirtualDisk.Open(iso))
        using (var s = handle.OpenStream())
            s.CopyTo(Stream.Null);
        Assert.That(Files.Sha256(iso), Is.EqualTo(hash));
        Assert.That(File.GetLastWriteTimeUtc(iso), Is.EqualTo(before));
    }

    // ---- GetVirtualDiskInformation on an ISO ----

    [Test]
    public void InformationSize()
    {
        string iso = Files.Iso(_folder, length: 20 * Files.Sector);
        using var handle = VirtualDisk.Open(iso);
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, G.Size, out var info), Is.EqualTo(0u));
        Assert.That(info.Version, Is.EqualTo(G.Size));
        Assert.That(info.VirtualSize, Is.EqualTo(20UL * 2048));
        Assert.That(info.PhysicalSize, Is.EqualTo(20UL * 2048));
        Assert.That(info.BlockSize, Is.EqualTo(0u));
        Assert.That(info.SectorSize, Is.EqualTo(2048u));
    }

    [Test]
    public void InformationVirtualStorageType()
    {
        using var handle = VirtualDisk.Open(Files.Iso(_folder));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, G.VirtualStorageType, out var info), Is.EqualTo(0u));
        Assert.That(info.VirtualStorageType.DeviceId, Is.EqualTo(1u));
        Assert.That(info.VirtualStorageType.VendorId, Is.EqualTo(Guid.Parse("EC984AEC-A0F9-47E9-901F-71415A66345B")));
    }

    [TestCase(G.ProviderSubtype)]
    [TestCase(G.Identifier)]
    [TestCase(G.ParentLocation)]
    [TestCase(G.ParentIdentifier)]
    [TestCase(G.ParentTimestamp)]
    [TestCase(G.Is4kAligned)]
    [TestCase(G.VhdPhysicalSectorSize)]
    [TestCase(G.VirtualDiskId)]
    public void VhdOnlyInformationIsInvalidTypeOnAnIso(G version)
    {
        // Decision (documented on VirtDisk.GetVirtualDiskInformation): PROVIDER_SUBTYPE too is ERROR_VHD_INVALID_TYPE,
        // because 2/3/4 describe VHD layouts and Windows' answer for an ISO is undocumented.
        using var handle = VirtualDisk.Open(Files.Iso(_folder));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, version, out var info), Is.EqualTo(0xC03A001Bu));
        Assert.That(info.Version, Is.EqualTo(version));
    }

    [TestCase(G.PhysicalDisk)]
    [TestCase(G.SmallestSafeVirtualSize)]
    [TestCase(G.Fragmentation)]
    [TestCase(G.IsLoaded)]
    [TestCase(G.ChangeTrackingState)]
    public void LiveSystemInformationIsNotSupported(G version)
    {
        using var handle = VirtualDisk.Open(Files.Iso(_folder));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, version, out _), Is.EqualTo(50u));
    }

    [TestCase(0u)]
    [TestCase(16u)]
    [TestCase(uint.MaxValue)]
    public void UnknownInformationVersionIs87(uint version)
    {
        using var handle = VirtualDisk.Open(Files.Iso(_folder));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, (G)version, out _), Is.EqualTo(87u));
    }

    [Test]
    public void DescribeWalksTheDescriptorSet()
    {
        string path = Path.Combine(_folder, "label.iso");
        var bytes = new byte[24 * Files.Sector];
        void Descriptor(int sector, byte type, string id)
        {
            int o = sector * Files.Sector;
            bytes[o] = type;
            Encoding.ASCII.GetBytes(id).CopyTo(bytes, o + 1);
            bytes[o + 6] = 1;
        }
        Descriptor(16, 0, "CD001");
        Encoding.ASCII.GetBytes("EL TORITO SPECIFICATION").CopyTo(bytes, 16 * Files.Sector + 7);
        Descriptor(17, 1, "CD001");
        Encoding.ASCII.GetBytes("MY_LABEL".PadRight(32)).CopyTo(bytes, 17 * Files.Sector + 40);
        Descriptor(18, 255, "CD001");
        Descriptor(19, 0, "BEA01");
        Descriptor(20, 0, "NSR03");
        Descriptor(21, 0, "TEA01");
        File.WriteAllBytes(path, bytes);
        using var handle = VirtualDisk.Open(path);
        var top = handle.Info.Top;
        Assert.That(top.Format, Is.EqualTo(VirtualDiskFormat.Iso));
        Assert.That(top.VolumeLabel, Is.EqualTo("MY_LABEL"));
        Assert.That(top.HasElTorito, Is.True);
        Assert.That(top.HasUdf, Is.True);
        Assert.That(top.VolumeDescriptorIdentifier, Is.EqualTo("CD001"));
    }
}
