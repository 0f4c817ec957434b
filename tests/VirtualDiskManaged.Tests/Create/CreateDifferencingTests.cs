using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Vhdx;
using static VirtualDiskManaged.Tests.Create.CreateTools;

namespace VirtualDiskManaged.Tests.Create;

/// <summary>
/// Differencing children over parents made by qemu-img, by the tests' own writers and by this library: the child
/// reads as the parent, the independent tools see a differencing disk with the parent's identity, and the chain still
/// opens after its folder is moved (relative locators).
/// </summary>
public sealed class CreateDifferencingTests : CreateTestBase
{
    private const long Size = 24 * MiB;

    private static string Ext(VirtualDiskFormat f) => f == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx";

    /// <summary>A parent made by qemu-img, with a pattern written by qemu-io.</summary>
    private string QemuParent(VirtualDiskFormat format)
    {
        Require("qemu-img");
        Require("qemu-io");
        string qf = QemuFormat(format);
        string parent = At("qemu-parent" + Ext(format));
        // force_size keeps the VHD's size exact (otherwise qemu rounds it up to a CHS size).
        var (rc, output) = format == VirtualDiskFormat.Vhd
            ? Run("qemu-img", "create", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", parent, Size.ToString())
            : Run("qemu-img", "create", "-f", "vhdx", "-o", "subformat=dynamic", parent, Size.ToString());
        Assert.That(rc, Is.EqualTo(0), output);
        (rc, output) = Run("qemu-io", "-f", qf, "-c", "write -P 0x5a 1M 3M", "-c", "write -P 0xa5 20M 64k", parent);
        Assert.That(rc, Is.EqualTo(0), output);
        return parent;
    }

    private static byte[] Content(string path)
    {
        using var h = VirtualDisk.Open(path);
        var bytes = new byte[h.VirtualSize];
        h.Read(0, bytes);
        return bytes;
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void OverQemuParent(VirtualDiskFormat format)
    {
        string parent = QemuParent(format);
        string child = At("child" + Ext(format));
        using (var h = VirtualDisk.Create(child, new() { Format = format, Type = VirtualDiskCreateType.Differencing, ParentPath = parent }))
        {
            Assert.That(h.Subtype, Is.EqualTo(VirtualDiskProviderSubtype.Differencing));
            Assert.That(h.VirtualSize, Is.EqualTo(Size));
            Assert.That(h.Info.Chain, Has.Count.EqualTo(2));
        }
        Assert.That(Content(child), Is.EqualTo(Content(parent)));
        // qemu-io wrote the pattern; the child must show it.
        var bytes = Content(child);
        Assert.That(bytes[1 << 20], Is.EqualTo(0x5a));
        Assert.That(bytes[20 << 20], Is.EqualTo(0xa5));
        JudgeChild(child, parent, format);
    }

    [Test]
    public void OverTestWriterVhdParent()
    {
        var writer = VhdWriter.NewDynamic(Size).Fill(5 * MiB, 4096, 0x33);
        string parent = At("w-parent.vhd");
        File.WriteAllBytes(parent, writer.Build().Bytes);
        string child = At("w-child.vhd");
        using (VirtualDisk.Create(child, new() { Format = VirtualDiskFormat.Vhd, Type = VirtualDiskCreateType.Differencing, ParentPath = parent })) { }
        Assert.That(Content(child), Is.EqualTo(writer.ExpectedContent()));
        JudgeChild(child, parent, VirtualDiskFormat.Vhd);
    }

    [TestCase(512)]
    [TestCase(4096)]
    public void OverTestWriterVhdxParent(int sector)
    {
        var writer = new VhdxWriter(Size, blockSize: 2 << 20, logicalSectorSize: sector).Fill(3 * MiB, 8192, 0x44);
        string parent = At("w-parent.vhdx");
        writer.Save(parent);
        string child = At("w-child.vhdx");
        using (var h = VirtualDisk.Create(child, new() { Type = VirtualDiskCreateType.Differencing, ParentPath = parent }))
        {
            Assert.That(h.LogicalSectorSize, Is.EqualTo(sector));
            Assert.That(h.PhysicalSectorSize, Is.EqualTo(writer.PhysicalSectorSize));
            Assert.That(VirtDisk.GetVirtualDiskInformation(h, GetVirtualDiskInfoVersion.Size, out var info), Is.EqualTo(0u));
            Assert.That(info.BlockSize, Is.EqualTo(2u << 20), "a differencing disk takes its parent's block size");
            // MS-VHDX §2.6.1.2: the Virtual Disk ID item is IsVirtualDisk, copied to the child.
            Assert.That(h.TopLayer.VirtualDiskId, Is.EqualTo(writer.VirtualDiskId));
        }
        using (var h = VirtualDisk.Open(child))
        {
            var bytes = new byte[h.VirtualSize];
            h.Read(0, bytes);
            Assert.That(bytes.AsSpan((int)(3 * MiB), 8192).ToArray(), Is.All.EqualTo((byte)0x44));
            Assert.That(bytes.AsSpan(0, (int)(3 * MiB)).ContainsAnyExcept((byte)0), Is.False);
        }
        JudgeChild(child, parent, VirtualDiskFormat.Vhdx);
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void ChainOfThreeMadeHereSurvivesAFolderMove(VirtualDiskFormat format)
    {
        string sub = At("chain");
        Directory.CreateDirectory(Path.Combine(sub, "base"));
        string root = Path.Combine(sub, "base", "root" + Ext(format));
        string mid = Path.Combine(sub, "mid" + Ext(format));
        string leaf = Path.Combine(sub, "leaf" + Ext(format));
        using (VirtualDisk.Create(root, new() { Format = format, Size = Size })) { }
        using (VirtualDisk.Create(mid, new() { Format = format, Type = VirtualDiskCreateType.Differencing, ParentPath = root })) { }
        using (var h = VirtualDisk.Create(leaf, new() { Format = format, Type = VirtualDiskCreateType.Differencing, ParentPath = mid }))
            Assert.That(h.Info.Chain, Has.Count.EqualTo(3));
        JudgeChild(mid, root, format, parentInSameFolder: false);
        JudgeChild(leaf, mid, format, parentInSameFolder: false);

        string moved = At("moved");
        Directory.Move(sub, moved);
        using (var h = VirtualDisk.Open(Path.Combine(moved, "leaf" + Ext(format))))
        {
            Assert.That(h.Info.Chain, Has.Count.EqualTo(3));
            Assert.That(h.Info.Chain[2].Path, Is.EqualTo(Path.Combine(moved, "base", "root" + Ext(format))));
            Assert.That(ReadsAsZeros(h), Is.True);
        }
    }

    [Test]
    public void VhdLocatorsAreWindowsForms()
    {
        string parent = At("p.vhd"), child = At("c.vhd");
        using (VirtualDisk.Create(parent, new() { Format = VirtualDiskFormat.Vhd, Size = Size })) { }
        using (var h = VirtualDisk.Create(child, new() { Format = VirtualDiskFormat.Vhd, Type = VirtualDiskCreateType.Differencing, ParentPath = parent }))
        {
            var locators = h.Info.Top.ParentLocators;
            Assert.That(locators, Has.Some.Contains(@".\p.vhd"), string.Join("; ", locators));
            Assert.That(locators, Has.Some.Contains(parent), string.Join("; ", locators));
        }
        Assert.That(SevenZipList(child)["Parent"], Does.StartWith("p.vhd"));
    }

    [Test]
    public void VhdxQemuCannotOpenADifferencingChild()
    {
        // qemu-img creates no differencing VHDX and its driver refuses to open one (HasParent ⇒ ENOTSUP in 7.2).
        Require("qemu-img");
        string parent = At("p.vhdx"), child = At("c.vhdx");
        using (VirtualDisk.Create(parent, new() { Size = Size })) { }
        using (VirtualDisk.Create(child, new() { Type = VirtualDiskCreateType.Differencing, ParentPath = parent })) { }
        var (rc, output) = Run("qemu-img", "info", "-f", "vhdx", child);
        Assert.That(rc, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain("Operation not supported"));
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void OverAFixedQemuParentThroughTheWin32Layer(VirtualDiskFormat format)
    {
        Require("qemu-img");
        Require("qemu-io");
        string qf = QemuFormat(format);
        string parent = At("fixed-parent" + Ext(format));
        var (rc, output) = format == VirtualDiskFormat.Vhd
            ? Run("qemu-img", "create", "-f", "vpc", "-o", "subformat=fixed,force_size=on", parent, Size.ToString())
            : Run("qemu-img", "create", "-f", "vhdx", "-o", "subformat=fixed,block_state_zero=off", parent, Size.ToString());
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(Run("qemu-io", "-f", qf, "-c", "write -P 0x6b 7M 1M", parent).ExitCode, Is.EqualTo(0));
        string child = At("c" + Ext(format));
        var storage = format == VirtualDiskFormat.Vhd ? VirtualStorageType.Vhd : VirtualStorageType.Vhdx;
        // Version 1 for VHD, version 2 with the parent's storage type for VHDX.
        var p = format == VirtualDiskFormat.Vhd
            ? new CreateVirtualDiskParameters { Version = CreateVirtualDiskVersion.Version1, ParentPath = parent }
            : new CreateVirtualDiskParameters { ParentPath = parent, ParentVirtualStorageType = storage };
        var mask = format == VirtualDiskFormat.Vhd ? VirtualDiskAccessMask.All : VirtualDiskAccessMask.None;
        Assert.That(VirtDisk.CreateVirtualDisk(storage, child, mask, CreateVirtualDiskFlags.None, p, out var h, out var failure), Is.EqualTo(0u), failure?.Message);
        using (h)
        {
            Assert.That(h!.Subtype, Is.EqualTo(VirtualDiskProviderSubtype.Differencing));
            Assert.That(VirtDisk.GetVirtualDiskInformation(h, GetVirtualDiskInfoVersion.Size, out var info), Is.EqualTo(0u));
            Assert.That(info.BlockSize, Is.EqualTo(format == VirtualDiskFormat.Vhd ? 2u << 20 : (uint)h.Info.Chain[1].BlockSize));
        }
        Assert.That(Content(child), Is.EqualTo(Content(parent)));
        Assert.That(Content(child)[7 << 20], Is.EqualTo(0x6b));
        JudgeChild(child, parent, format);
    }

    [Test]
    public void DoNotCopyMetadataGivesANewVirtualDiskId()
    {
        string parent = At("p.vhdx"), child = At("c.vhdx");
        Guid parentId;
        using (var h = VirtualDisk.Create(parent, new() { Size = Size })) parentId = h.TopLayer.VirtualDiskId!.Value;
        var p = new CreateVirtualDiskParameters { ParentPath = parent };
        Assert.That(VirtDisk.CreateVirtualDisk(VirtualStorageType.Vhdx, child, 0, CreateVirtualDiskFlags.DoNotCopyMetadataFromParent, p, out var c), Is.EqualTo(0u));
        using (c) Assert.That(c!.TopLayer.VirtualDiskId, Is.Not.EqualTo(parentId));
    }

    /// <summary>vhdiinfo and 7-Zip see a differencing disk whose parent is <paramref name="parent"/>.</summary>
    private static void JudgeChild(string child, string parent, VirtualDiskFormat format, bool parentInSameFolder = true)
    {
        var vhdi = VhdiInfo(child);
        var parentInfo = VhdiInfo(parent);
        Assert.That(vhdi["Disk type"], Is.EqualTo("Differential"));
        Assert.That(vhdi["Media size"], Is.EqualTo(parentInfo["Media size"]));
        if (format == VirtualDiskFormat.Vhd)
            Assert.That(vhdi["Parent identifier"], Is.EqualTo(parentInfo["Identifier"]));
        if (parentInSameFolder)
        {
            var seven = SevenZipList(child);
            Assert.That(seven["Method"], Does.StartWith("Differencing"));
            Assert.That(seven["Volumes"], Is.Not.Empty, "7-Zip found and opened the parent");
        }
        // Off Windows, 7-Zip takes a relative locator's backslashes literally ("Missing volume : base\\root.vhd"), so
        // chains spanning folders are judged by vhdiinfo and the library only.
        if (format == VirtualDiskFormat.Vhd) Assert.That(QemuInfo(child, "vpc").GetProperty("virtual-size").GetInt64(), Is.EqualTo(Size));
    }
}
