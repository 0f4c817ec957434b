using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// MS-VHDX §2.2.2 across the operations that rewrite a VHDX without changing what it holds (resize, set's virtual disk
/// id, a metadata item, set-parent, compact): each gives the file a new FileWriteGuid, keeps its DataWriteGuid (so
/// children stay linked), and leaves the log clean (a strict open replays nothing); a set-parent with nothing to change
/// writes nothing.
/// </summary>
public sealed class HeaderGuidTests : OperationsTestBase
{
    private static (Guid File, Guid Data) Guids(string image)
    {
        using var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Strict = true, Flags = OpenVirtualDiskFlags.NoParents });
        Assert.That(disk.LogReplayed, Is.False, "the log is clean");
        return (disk.Info.Top.FileWriteGuid!.Value, disk.Info.Top.Identifier);
    }

    private static void Changes(string image, Action operation)
    {
        var before = Guids(image);
        operation();
        var after = Guids(image);
        Assert.That(after.File, Is.Not.EqualTo(before.File), "a new FileWriteGuid");
        Assert.That(after.Data, Is.EqualTo(before.Data), "the DataWriteGuid is kept");
    }

    [Test]
    public void OperationsChangeTheFileWriteGuidAndKeepTheDataWriteGuid()
    {
        string dynamic = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * OpsImages.MiB, "d.vhdx");
        Changes(dynamic, () => VirtualDiskOperations.Resize(dynamic, 32 * OpsImages.MiB, new ResizeOptions()));
        Changes(dynamic, () => VirtualDiskOperations.Set(dynamic, new SetOptions { VirtualDiskId = Guid.NewGuid() }));
        Changes(dynamic, () => VirtualDiskOperations.SetMetadata(dynamic, Guid.Parse("0b7c5e11-2a3d-4f60-8c9e-1d2f3a4b5c6d"), "x"u8));

        var (child, parent, _) = OpsImages.LibraryChain(Folder, VirtualDiskFormat.Vhdx, 8 * OpsImages.MiB);
        string moved = Path.Combine(Folder, "moved-parent.vhdx");
        File.Move(parent, moved);
        Changes(child, () => VirtualDiskOperations.SetParent(child, moved)); // new locator paths

        // Nothing to change (the locator already names that parent): nothing written, the FileWriteGuid kept.
        var before = Guids(child);
        VirtualDiskOperations.SetParent(child, moved);
        Assert.That(Guids(child), Is.EqualTo(before));

        var (compactable, _) = CompactImages.Dynamic(Folder, VirtualDiskFormat.Vhdx, "guids");
        Changes(compactable, () => VirtualDiskOperations.Compact(compactable));
    }
}
