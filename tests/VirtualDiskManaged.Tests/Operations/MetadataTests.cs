using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Vhdx;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Enumerate/GetMetadata (read side of the VHDX metadata-item API): the system items of a qemu-made VHDX with the
/// flags MS-VHDX §2.6.2 gives each, and user items laid out by the spec writer, shown by vdisk info.
/// </summary>
public sealed class MetadataTests : OperationsTestBase
{
    private static readonly Guid FileParameters = new("CAA16737-FA36-4D43-B3B6-33F0AA44E76B"), VirtualDiskSize = new("2FA54224-CD1B-4876-B211-5DBED83BF4B8");

    [Test]
    public void SystemItemsOfAQemuVhdx()
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * OpsImages.MiB, "m.vhdx");
        using var disk = VirtualDisk.Open(image);
        var items = VirtualDiskOperations.EnumerateMetadata(disk);
        Assert.That(items.Where(i => i.IsUser), Is.Empty);
        // MS-VHDX §2.6.2: File Parameters is required and not a virtual-disk item; Virtual Disk Size is both.
        Assert.That(items.Single(i => i.ItemId == FileParameters), Is.EqualTo(new VhdxMetadataItemInfo(FileParameters, 8, false, false, true)));
        Assert.That(items.Single(i => i.ItemId == VirtualDiskSize), Is.EqualTo(new VhdxMetadataItemInfo(VirtualDiskSize, 8, false, true, true)));
        Assert.That(BitConverter.ToUInt64(VirtualDiskOperations.GetMetadata(disk, VirtualDiskSize)!), Is.EqualTo((ulong)(16 * OpsImages.MiB)));
        Assert.That(VirtualDiskOperations.GetMetadata(disk, Guid.NewGuid()), Is.Null);
    }

    [Test]
    public void UserItems()
    {
        var id1 = Guid.Parse("a1a1a1a1-0000-4000-8000-000000000001");
        var id2 = Guid.Parse("a1a1a1a1-0000-4000-8000-000000000002");
        var writer = new VhdxWriter(8 * OpsImages.MiB);
        writer.UserItems.Add((id1, "hello"u8.ToArray()));
        writer.UserItems.Add((id2, new byte[300]));
        string image = VhdxTestSupport.Save(writer, Folder, "u.vhdx");
        using (var disk = VirtualDisk.Open(image))
        {
            var user = VirtualDiskOperations.EnumerateMetadata(disk).Where(i => i.IsUser).ToList();
            Assert.That(user.Select(i => (i.ItemId, i.Length)), Is.EqualTo(new[] { (id1, 5u), (id2, 300u) }));
            Assert.That(VirtualDiskOperations.GetMetadata(disk, id1), Is.EqualTo("hello"u8.ToArray()));
        }
        var info = CliRunner.Run("info", "--json", image);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.ToString());
        Assert.That(info.Json().GetProperty("userMetadata").GetArrayLength(), Is.EqualTo(2));
        Assert.That(CliRunner.Run("info", image).Stdout, Does.Contain("user metadata:   2 items").And.Contain(id1.ToString()));
    }
}
