using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.Create.CreateTools;

namespace VirtualDiskManaged.Tests.Create;

/// <summary>
/// Every kind (VHD/VHDX × fixed/dynamic, 512 and 4096 logical sectors for VHDX) through both API layers, judged by
/// qemu-img (info, check, compare), vhdiinfo and 7-Zip, and read back as zeros by the library.
/// </summary>
public sealed class CreateKindsTests : CreateTestBase
{
    private static readonly object[] Kinds =
    [
        new object[] { VirtualDiskFormat.Vhd, VirtualDiskCreateType.Fixed, 512 },
        new object[] { VirtualDiskFormat.Vhd, VirtualDiskCreateType.Dynamic, 512 },
        new object[] { VirtualDiskFormat.Vhdx, VirtualDiskCreateType.Fixed, 512 },
        new object[] { VirtualDiskFormat.Vhdx, VirtualDiskCreateType.Dynamic, 512 },
        new object[] { VirtualDiskFormat.Vhdx, VirtualDiskCreateType.Fixed, 4096 },
        new object[] { VirtualDiskFormat.Vhdx, VirtualDiskCreateType.Dynamic, 4096 },
    ];

    private const long Size = 40 * MiB;

    private static string Extension(VirtualDiskFormat f) => f == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx";

    [TestCaseSource(nameof(Kinds))]
    public void DotNetLayer(VirtualDiskFormat format, VirtualDiskCreateType type, int sector)
    {
        string path = At("new" + Extension(format));
        using (var h = VirtualDisk.Create(path, new VirtualDiskCreateOptions { Format = format, Type = type, Size = Size, LogicalSectorSize = sector }))
        {
            Assert.That(h.VirtualSize, Is.EqualTo(Size));
            Assert.That(h.Subtype, Is.EqualTo(type == VirtualDiskCreateType.Fixed ? VirtualDiskProviderSubtype.Fixed : VirtualDiskProviderSubtype.Dynamic));
            Assert.That(h.LogicalSectorSize, Is.EqualTo(sector));
            Assert.That(h.Warnings, Is.Empty);
            Assert.That(ReadsAsZeros(h), Is.True);
        }
        Judge(path, format, type, sector);
    }

    [TestCaseSource(nameof(Kinds))]
    public void Win32Layer(VirtualDiskFormat format, VirtualDiskCreateType type, int sector)
    {
        string path = At("new" + Extension(format));
        var storage = format == VirtualDiskFormat.Vhd ? VirtualStorageType.Vhd : VirtualStorageType.Vhdx;
        var flags = type == VirtualDiskCreateType.Fixed ? CreateVirtualDiskFlags.FullPhysicalAllocation : CreateVirtualDiskFlags.None;
        var p = new CreateVirtualDiskParameters { Version = CreateVirtualDiskVersion.Version2, MaximumSize = (ulong)Size, SectorSizeInBytes = (uint)sector };
        uint rc = VirtDisk.CreateVirtualDisk(storage, path, VirtualDiskAccessMask.None, flags, p, out var h);
        Assert.That(rc, Is.EqualTo(0u));
        using (h)
        {
            Assert.That(h!.VirtualSize, Is.EqualTo(Size));
            Assert.That(VirtDisk.GetVirtualDiskInformation(h, GetVirtualDiskInfoVersion.Size, out var info), Is.EqualTo(0u));
            Assert.That(info.VirtualSize, Is.EqualTo((ulong)Size));
            Assert.That(info.SectorSize, Is.EqualTo((uint)sector));
        }
        Judge(path, format, type, sector);
    }

    [Test]
    public void Version1WithCreateMaskAndExtensionDetection()
    {
        string path = At("v1.vhd");
        var p = new CreateVirtualDiskParameters { Version = CreateVirtualDiskVersion.Version1, MaximumSize = (ulong)Size };
        uint rc = VirtDisk.CreateVirtualDisk(VirtualStorageType.Auto, path, VirtualDiskAccessMask.All, CreateVirtualDiskFlags.None, p, out var h);
        Assert.That(rc, Is.EqualTo(0u));
        using (h) Assert.That(h!.Format, Is.EqualTo(VirtualDiskFormat.Vhd));
        Judge(path, VirtualDiskFormat.Vhd, VirtualDiskCreateType.Dynamic, 512);
    }

    [Test]
    public void UniqueIdIsRecorded()
    {
        var id = Guid.NewGuid();
        string vhd = At("id.vhd"), vhdx = At("id.vhdx");
        using (VirtualDisk.Create(vhd, new() { Format = VirtualDiskFormat.Vhd, Size = Size, UniqueId = id })) { }
        using (VirtualDisk.Create(vhdx, new() { Format = VirtualDiskFormat.Vhdx, Size = Size, UniqueId = id })) { }
        Assert.That(VhdiInfo(vhd)["Identifier"], Is.EqualTo(id.ToString()));
        // MS-VHDX §2.6.2.3: the Virtual Disk ID item holds the disk's identity (7-Zip prints it as raw bytes).
        Assert.That(SevenZipList(vhdx)["ID"].ToUpperInvariant(), Is.EqualTo(Convert.ToHexString(id.ToByteArray())));
    }

    [Test]
    public void PhysicalSectorSizeDefaultsAndChoices()
    {
        string a = At("a.vhdx"), b = At("b.vhdx");
        using (var h = VirtualDisk.Create(a, new() { Size = Size })) Assert.That(h.PhysicalSectorSize, Is.EqualTo(4096)); // Windows' default
        using (var h = VirtualDisk.Create(b, new() { Size = Size, PhysicalSectorSize = 512 })) Assert.That(h.PhysicalSectorSize, Is.EqualTo(512));
        Assert.That(SevenZipList(a)["Comment"], Is.Not.Null);
    }

    [TestCase(VirtualDiskFormat.Vhd, 512u * 1024)]
    [TestCase(VirtualDiskFormat.Vhd, 2u * 1024 * 1024)]
    [TestCase(VirtualDiskFormat.Vhdx, 1u * 1024 * 1024)]
    [TestCase(VirtualDiskFormat.Vhdx, 256u * 1024 * 1024)]
    public void BlockSizes(VirtualDiskFormat format, uint blockSize)
    {
        string path = At("b" + Extension(format));
        using (var h = VirtualDisk.Create(path, new() { Format = format, Size = Size, BlockSize = blockSize }))
            Assert.That(VirtDisk.GetVirtualDiskInformation(h, GetVirtualDiskInfoVersion.Size, out var info) == 0 && info.BlockSize == blockSize);
        var qemu = QemuInfo(path, QemuFormat(format));
        Assert.That(qemu.GetProperty("cluster-size").GetInt64(), Is.EqualTo(blockSize));
        Assert.That(qemu.GetProperty("virtual-size").GetInt64(), Is.EqualTo(Size));
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void FixedDisksAreAllocatedUnlessSparse(VirtualDiskFormat format)
    {
        string full = At("full" + Extension(format)), sparse = At("sparse" + Extension(format));
        using (VirtualDisk.Create(full, new() { Format = format, Type = VirtualDiskCreateType.Fixed, Size = Size })) { }
        using (VirtualDisk.Create(sparse, new() { Format = format, Type = VirtualDiskCreateType.Fixed, Size = Size, Sparse = true })) { }
        // qemu-img's actual-size is the host file's allocated bytes (st_blocks).
        long allocatedFull = QemuInfo(full, QemuFormat(format)).GetProperty("actual-size").GetInt64();
        long allocatedSparse = QemuInfo(sparse, QemuFormat(format)).GetProperty("actual-size").GetInt64();
        Assert.That(allocatedFull, Is.GreaterThanOrEqualTo(Size), "FULL_PHYSICAL_ALLOCATION reserves every byte");
        Assert.That(allocatedSparse, Is.LessThan(MiB), "SPARSE_FILE leaves the data as a hole");
        Assert.That(new FileInfo(sparse).Length, Is.EqualTo(new FileInfo(full).Length));
        Judge(sparse, format, VirtualDiskCreateType.Fixed, 512);
    }

    [Test]
    public void DynamicCreationWritesOnlyMetadata()
    {
        string vhd = At("big.vhd"), vhdx = At("big.vhdx");
        using (VirtualDisk.Create(vhd, new() { Format = VirtualDiskFormat.Vhd, Size = 100 * GiB })) { }
        using (VirtualDisk.Create(vhdx, new() { Format = VirtualDiskFormat.Vhdx, Size = 100 * GiB })) { }
        // VHD: footer copy, header, a 51,200-entry BAT padded, the footer on a 4 KiB boundary. VHDX: 4 MiB of regions.
        Assert.That(new FileInfo(vhd).Length, Is.EqualTo(ImageLength(1536 + 51200 * 4)));
        Assert.That(new FileInfo(vhdx).Length, Is.EqualTo(4 * MiB));
        static long ImageLength(long batEnd) => (batEnd + 512 + 4095) / 4096 * 4096;
    }

    /// <summary>What every independent tool must say about a new empty image.</summary>
    internal static void Judge(string path, VirtualDiskFormat format, VirtualDiskCreateType type, int sector)
    {
        string qf = QemuFormat(format);
        if (sector == 4096)
        {
            // qemu 7.2's VHDX driver supports 512-byte logical sectors only: it refuses any 4096-sector VHDX (Windows-made
            // ones too) with ENOTSUP. vhdiinfo, 7-Zip and the library judge these.
            Require("qemu-img");
            var (qrc, qout) = Run("qemu-img", "info", "-f", qf, path);
            Assert.That(qrc, Is.Not.EqualTo(0));
            Assert.That(qout, Does.Contain("Operation not supported"));
        }
        else JudgeByQemu(path, format, type, qf);
        var vhdi = VhdiInfo(path);
        Assert.That(vhdi["Disk type"], Is.EqualTo(type == VirtualDiskCreateType.Fixed ? "Fixed" : "Dynamic"));
        Assert.That(vhdi["Media size"], Does.Contain($"({Size} bytes)"));
        Assert.That(vhdi["Bytes per sector"], Is.EqualTo($"{sector} bytes"));
        var seven = SevenZipList(path);
        Assert.That(seven["Type"], Is.EqualTo(format == VirtualDiskFormat.Vhd ? "VHD" : "VHDX"));
        Assert.That(seven["Creator Application"], Is.EqualTo(format == VirtualDiskFormat.Vhd ? "win 10.0" : "VirtualDiskManaged 0.1.0"));
        Assert.That(TempLeftovers(Path.GetDirectoryName(path)!), Is.Empty);
    }

    private static void JudgeByQemu(string path, VirtualDiskFormat format, VirtualDiskCreateType type, string qf)
    {
        var info = QemuInfo(path, qf);
        Assert.That(info.GetProperty("format").GetString(), Is.EqualTo(qf));
        Assert.That(info.GetProperty("virtual-size").GetInt64(), Is.EqualTo(Size), "qemu sizes the disk by Current Size (creator \"win \")");
        if (format == VirtualDiskFormat.Vhdx || type == VirtualDiskCreateType.Dynamic)
            Assert.That(info.GetProperty("cluster-size").GetInt64(), Is.EqualTo(format == VirtualDiskFormat.Vhd ? 2 * MiB : 32 * MiB));
        if (format == VirtualDiskFormat.Vhdx)
        {
            var (rc, output) = Run("qemu-img", "check", "-f", "vhdx", path);
            Assert.That(rc, Is.EqualTo(0), output);
        }
        var (cmp, cmpOut) = QemuCompare(ZeroRaw(Path.GetDirectoryName(path)!, Size), "raw", path, qf);
        Assert.That(cmp, Is.EqualTo(0), cmpOut);
    }
}
