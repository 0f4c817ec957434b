using System.Buffers.Binary;
using System.Text;
using VirtualDiskManaged.Create;
using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.Tests.Create;

/// <summary>
/// The VHDX parent locator's volume_path (MS-VHDX §2.6.2.6.3: "\\?\Volume{GUID}\" and the path below the volume's
/// mount point), on any host: the join of the two names Windows' GetVolumePathName and GetVolumeNameForVolumeMountPoint
/// return, and the locator item's bytes with and without it, decoded here from the layout of §2.6.2.6.1–2 (a 20-byte
/// header, 12-byte entries, UTF-16 LE keys and values at offsets from the item's start). Only the two Windows calls
/// themselves need a Windows host.
/// </summary>
[TestFixture]
public sealed class VolumePathTests
{
    private const string Volume = @"\\?\Volume{3d2a6c1e-0b1f-4d0e-9a7c-5f1e2d3c4b5a}\";

    [TestCase(@"C:\vms\base.vhdx", @"C:\", Volume + @"vms\base.vhdx")]
    [TestCase(@"c:\VMs\Base.vhdx", @"C:\", Volume + @"VMs\Base.vhdx")]
    [TestCase(@"C:\mnt\data\chain\base.vhdx", @"C:\mnt\data\", Volume + @"chain\base.vhdx")]
    [TestCase(@"D:\base.vhdx", @"C:\", null)]
    [TestCase(@"C:\", @"C:\", null)]
    [TestCase(@"C:\vms\base.vhdx", @"C:", null)]
    public void JoinsTheVolumeNameAndThePathBelowTheMountPoint(string path, string mountPoint, string? expected) =>
        Assert.That(WindowsNative.JoinVolumeGuidPath(path, mountPoint, Volume), Is.EqualTo(expected));

    [Test]
    public void RefusesAVolumeNameThatIsNotAVolumeGuidPath()
    {
        Assert.That(WindowsNative.JoinVolumeGuidPath(@"C:\a.vhdx", @"C:\", @"C:\"), Is.Null);
        Assert.That(WindowsNative.JoinVolumeGuidPath(@"C:\a.vhdx", @"C:\", Volume.TrimEnd('\\')), Is.Null);
    }

    [Test]
    public void OffWindowsNoVolumePathIsFound()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("On Windows the volume has a GUID path.");
        Assert.That(WindowsNative.TryGetVolumeGuidPath(Path.GetFullPath("base.vhdx")), Is.Null);
    }

    [Test]
    public void TheLocatorHoldsVolumePathBetweenTheRelativeAndTheAbsolutePath()
    {
        var linkage = Guid.NewGuid();
        var with = Pairs(new VhdxLocatorValues(linkage, @".\base.vhdx", Volume + @"vms\base.vhdx", @"\\?\C:\vms\base.vhdx"));
        Assert.That(with.Select(p => p.Key), Is.EqualTo(new[] { "parent_linkage", "relative_path", "volume_path", "absolute_win32_path" }));
        Assert.That(with[0].Value, Is.EqualTo("{" + linkage.ToString().ToLowerInvariant() + "}"));
        Assert.That(with[2].Value, Is.EqualTo(Volume + @"vms\base.vhdx"));
        var without = Pairs(new VhdxLocatorValues(linkage, @".\base.vhdx", null, @"\\?\C:\vms\base.vhdx"));
        Assert.That(without.Select(p => p.Key), Is.EqualTo(new[] { "parent_linkage", "relative_path", "absolute_win32_path" }));
    }

    /// <summary>Writes a differencing disk's metadata region and decodes its parent locator item (MS-VHDX §2.6.1, §2.6.2.6).</summary>
    private static List<(string Key, string Value)> Pairs(VhdxLocatorValues locator)
    {
        var region = new byte[1 << 20];
        int used = VhdxMetadataWriter.Write(region, 32u << 20, false, true, 1L << 30, 512, 4096, Guid.NewGuid(), locator);
        Assert.That(used, Is.GreaterThan(65536));
        var parentLocatorItem = new Guid("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
        int entries = BinaryPrimitives.ReadUInt16LittleEndian(region.AsSpan(10));
        for (int i = 0; i < entries; i++)
        {
            var e = region.AsSpan(32 + i * 32, 32);
            if (new Guid(e[..16]) != parentLocatorItem) continue;
            var item = region.AsSpan((int)BinaryPrimitives.ReadUInt32LittleEndian(e[16..]), (int)BinaryPrimitives.ReadUInt32LittleEndian(e[20..]));
            Assert.That(new Guid(item[..16]), Is.EqualTo(new Guid("B04AEFB7-D19E-4A81-B789-25B8E9445913")), "LocatorType: the VHDX parent locator");
            int count = BinaryPrimitives.ReadUInt16LittleEndian(item[18..]);
            var pairs = new List<(string, string)>();
            for (int k = 0; k < count; k++)
            {
                var kv = item.Slice(20 + k * 12, 12);
                pairs.Add((Text(item, kv, 0, 8), Text(item, kv, 4, 10)));
            }
            return pairs;
        }
        Assert.Fail("No parent locator item");
        return [];
    }

    /// <summary>A key (offset at 0, length at 8) or value (offset at 4, length at 10) of a §2.6.2.6.2 entry.</summary>
    private static string Text(ReadOnlySpan<byte> item, ReadOnlySpan<byte> entry, int offsetAt, int lengthAt) =>
        Encoding.Unicode.GetString(item.Slice((int)BinaryPrimitives.ReadUInt32LittleEndian(entry[offsetAt..]), BinaryPrimitives.ReadUInt16LittleEndian(entry[lengthAt..])));
}
