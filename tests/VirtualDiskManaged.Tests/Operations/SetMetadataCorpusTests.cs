using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Set and the metadata items on the shared corpus's images (Windows-, qemu- and other tool-made; nothing runs when the
/// corpus is absent): a new identifier on every VHD and VHDX, and on VHDX a new virtual disk id and a user item set,
/// read and deleted (an image with a pending log is refused untouched first, then repaired). The content stays what it
/// was, vhdiinfo shows the new identifier, the image opens strictly with a clean log, and qemu-img check passes (VHDX
/// with 512-byte sectors, what qemu 7.2 opens). The Windows-made VHDX files (68 MiB and 10 GiB among them) are judged
/// by qemu-img check and vhdiinfo.
/// </summary>
public sealed class SetMetadataCorpusTests : OperationsTestBase
{
    private static readonly Guid Item = Guid.Parse("3a8c1f52-96b4-4e0d-9f7a-2b61c8d4e5f0");

    public static IEnumerable<TestCaseData> Images() => CorpusOperationsTests.Images();

    [TestCaseSource(nameof(Images))]
    public void IdentifiersAndItemsChangeNothingElse(string file, string sha256, bool pendingLog)
    {
        string name = Path.GetFileName(file)[..^3];
        string image = Path.Combine(Folder, "image" + Path.GetExtension(name));
        File.Copy(TestPaths.Gunzip(Path.Combine(TestPaths.SharedCorpus!, file)), image);
        bool vhdx = image.EndsWith(".vhdx", StringComparison.Ordinal);
        if (pendingLog)
        {
            // Set writes the file in place and refuses a pending log (docs/operations.md "set"): the file is untouched.
            byte[] raw = File.ReadAllBytes(image);
            Assert.That(VirtualDiskOperations.TrySet(image, new SetOptions { Identifier = Guid.NewGuid() }, out _, out var refused), Is.False);
            Assert.That(refused!.Reason, Is.EqualTo(VirtualDiskErrorReason.SetPendingLog));
            Assert.That(File.ReadAllBytes(image).AsSpan().SequenceEqual(raw), Is.True);
            VirtualDiskOperations.Repair(image);
        }
        string before = ContentHash(image);

        var id = Guid.NewGuid();
        var vid = Guid.NewGuid();
        var changes = VirtualDiskOperations.Set(image, vhdx ? new SetOptions { Identifier = id, VirtualDiskId = vid } : new SetOptions { Identifier = id });
        Assert.That(changes, Has.Count.EqualTo(vhdx ? 2 : 1));
        if (vhdx)
        {
            VirtualDiskOperations.SetMetadata(image, Item, "corpus item"u8);
            using (var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Strict = true }))
            {
                Assert.That(VirtualDiskOperations.GetMetadata(disk, Item), Is.EqualTo("corpus item"u8.ToArray()));
                Assert.That(disk.Info.Top.VirtualDiskId, Is.EqualTo(vid));
            }
            VirtualDiskOperations.DeleteMetadata(image, Item);
        }
        using (var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Strict = true }))
        {
            Assert.That(disk.LogReplayed, Is.False, "the changes left the log clean");
            Assert.That(disk.Info.Top.Identifier, Is.EqualTo(id));
            if (vhdx) Assert.That(VirtualDiskOperations.GetMetadata(disk, Item), Is.Null);
        }
        Assert.That(ContentHash(image), Is.EqualTo(before), "the virtual content is unchanged");
        if (pendingLog) Assert.That(before, Is.EqualTo(sha256), "the replayed content is qemu's");
        var info = CreateTools.VhdiInfo(image);
        if (info.TryGetValue("Identifier", out var shown)) Assert.That(shown, Is.EqualTo(id.ToString()));
        int sector;
        using (var disk = VirtualDisk.Open(image)) sector = disk.LogicalSectorSize;
        if (vhdx && sector == 512 && TestPaths.HasTool("qemu-img"))
            OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
    }

    [TestCaseSource(typeof(ResizeCorpusTests), nameof(ResizeCorpusTests.WindowsImages))]
    public void WindowsMadeVhdx(string gz)
    {
        CreateTools.Require("qemu-img");
        string image = Path.Combine(Folder, "w.vhdx");
        File.Copy(TestPaths.Gunzip(gz), image);
        bool pending;
        using (var disk = VirtualDisk.Open(image)) pending = disk.LogReplayed;
        if (pending) VirtualDiskOperations.Repair(image);
        var id = Guid.NewGuid();
        VirtualDiskOperations.Set(image, new SetOptions { Identifier = id, VirtualDiskId = Guid.NewGuid(), PhysicalSectorSize = 4096 });
        VirtualDiskOperations.SetMetadata(image, Item, new byte[70_000]);
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        Assert.That(CreateTools.VhdiInfo(image)["Identifier"], Is.EqualTo(id.ToString()));
        using var strict = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Strict = true });
        Assert.That((strict.LogReplayed, strict.PhysicalSectorSize, VirtualDiskOperations.GetMetadata(strict, Item)?.Length), Is.EqualTo((false, 4096, (int?)70_000)));
    }

    private static string ContentHash(string image)
    {
        using var disk = VirtualDisk.Open(image);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long at = 0; at < disk.VirtualSize; at += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, disk.VirtualSize - at);
            Assert.That(disk.Read(at, buffer.AsSpan(0, n)), Is.EqualTo(n));
            hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
