using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>
/// testdata/vhdx: images made by qemu-img/qemu-io (make.sh); size, block size, type and sector size must equal what
/// qemu-img info and vhdiinfo reported, and the content hash what `qemu-img convert -O raw` produced.
/// </summary>
public sealed class VhdxQemuImageTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.TestData, "vhdx", "expected.json")));
        foreach (var image in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            var info = image.GetProperty("qemu_img_info");
            var vhdi = image.GetProperty("vhdiinfo");
            yield return new TestCaseData(image.GetProperty("file").GetString(), info.GetProperty("virtual-size").GetInt64(),
                    info.GetProperty("cluster-size").GetInt64(), vhdi.GetProperty("Disk type").GetString(),
                    vhdi.GetProperty("Bytes per sector").GetString(), image.GetProperty("raw_sha256").GetString())
                .SetName($"QemuImage({image.GetProperty("file").GetString()})");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesQemuAndLibvhdi(string file, long virtualSize, long clusterSize, string diskType, string bytesPerSector, string sha256)
    {
        string path = TestPaths.TestDataImage(file);
        using var disk = VirtualDisk.Open(path);
        Assert.That(disk.VirtualSize, Is.EqualTo(virtualSize));
        Assert.That(disk.Info.Top.BlockSize, Is.EqualTo((uint)clusterSize));
        Assert.That(disk.Subtype, Is.EqualTo(diskType == "Fixed" ? VirtualDiskProviderSubtype.Fixed : VirtualDiskProviderSubtype.Dynamic));
        Assert.That($"{disk.LogicalSectorSize} bytes", Is.EqualTo(bytesPerSector));
        Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(sha256));
        Assert.That(disk.Info.Top.Creator, Does.StartWith("QEMU v"), "the file type identifier's creator string");
    }
}
