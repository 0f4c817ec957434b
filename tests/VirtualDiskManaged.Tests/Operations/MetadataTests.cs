using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Vhdx;
using VirtualDiskManaged.Tests.Write;

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

    private static readonly Guid ItemA = Guid.Parse("b2b2b2b2-0000-4000-8000-00000000000a"), ItemB = Guid.Parse("b2b2b2b2-0000-4000-8000-00000000000b");

    private static byte[] Pattern(int length, byte seed)
    {
        var data = new byte[length];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(seed + i * 7);
        return data;
    }

    private static byte[]? Item(string image, Guid id)
    {
        using var disk = VirtualDisk.Open(image, new VirtualDiskOpenOptions { Strict = true });
        Assert.That(disk.LogReplayed, Is.False, "the change left the log clean");
        return VirtualDiskOperations.GetMetadata(disk, id);
    }

    /// <summary>Set, replace (a longer value moves), delete: qemu-img check passes, qemu-img reads the same content, vhdiinfo and 7-Zip still open it.</summary>
    [Test]
    public void SetGetDeleteRoundTrips()
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * OpsImages.MiB, "s.vhdx");
        string raw = OpsImages.QemuRaw(image, "vhdx", Folder);
        string identifier = CreateTools.VhdiInfo(image)["Identifier"];
        VirtualDiskOperations.SetMetadata(image, ItemA, "first"u8);
        VirtualDiskOperations.SetMetadata(image, ItemB, Pattern(70_000, 3));
        Assert.That(Item(image, ItemA), Is.EqualTo("first"u8.ToArray()));
        Assert.That(Item(image, ItemB), Is.EqualTo(Pattern(70_000, 3)));
        VirtualDiskOperations.SetMetadata(image, ItemA, Pattern(5000, 9));
        Assert.That(Item(image, ItemA), Is.EqualTo(Pattern(5000, 9)));
        VirtualDiskOperations.SetMetadata(image, ItemB, "b"u8);
        Assert.That(Item(image, ItemB), Is.EqualTo("b"u8.ToArray()));
        using (var disk = VirtualDisk.Open(image))
            Assert.That(VirtualDiskOperations.EnumerateMetadata(disk).Where(i => i.IsUser).Select(i => (i.ItemId, i.Length)), Is.EqualTo(new[] { (ItemA, 5000u), (ItemB, 1u) }));
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        Assert.That(CreateTools.QemuCompare(raw, "raw", image, "vhdx").ExitCode, Is.EqualTo(0));
        Assert.That(CreateTools.VhdiInfo(image)["Identifier"], Is.EqualTo(identifier), "DataWriteGuid unchanged: children stay linked");
        CreateTools.Require("7zz");
        var (rc, test) = CreateTools.Run("7zz", "t", image);
        Assert.That(rc, Is.EqualTo(0), test);

        VirtualDiskOperations.DeleteMetadata(image, ItemA);
        VirtualDiskOperations.DeleteMetadata(image, ItemB);
        Assert.That(Item(image, ItemA), Is.Null);
        using (var disk = VirtualDisk.Open(image))
            Assert.That(VirtualDiskOperations.EnumerateMetadata(disk).Where(i => i.IsUser), Is.Empty);
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
        Assert.That(CreateTools.QemuCompare(raw, "raw", image, "vhdx").ExitCode, Is.EqualTo(0));
        // The deleted item's bytes do not linger in the file.
        Assert.That(File.ReadAllBytes(image).AsSpan().IndexOf(Pattern(5000, 9)), Is.EqualTo(-1));
    }

    [Test]
    public void Refusals()
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * OpsImages.MiB, "r.vhdx");
        byte[] before = File.ReadAllBytes(image);
        VirtualDiskDiagnostic Refused(Func<(bool, VirtualDiskDiagnostic?)> call)
        {
            var (ok, f) = call();
            Assert.That(ok, Is.False);
            return f!;
        }
        var system = Refused(() => (VirtualDiskOperations.TrySetMetadata(image, FileParameters, "x"u8, out var f), f));
        Assert.That((system.Reason, system.Code), Is.EqualTo((VirtualDiskErrorReason.MetadataItemInvalid, VirtualDiskError.InvalidParameter)));
        Assert.That(Refused(() => (VirtualDiskOperations.TryDeleteMetadata(image, VirtualDiskSize, out var f), f)).Reason, Is.EqualTo(VirtualDiskErrorReason.MetadataItemInvalid));
        Assert.That(Refused(() => (VirtualDiskOperations.TrySetMetadata(image, Guid.Empty, "x"u8, out var f), f)).Reason, Is.EqualTo(VirtualDiskErrorReason.MetadataItemInvalid));
        Assert.That(Refused(() => (VirtualDiskOperations.TrySetMetadata(image, ItemA, new byte[(1 << 20) + 1], out var f), f)).Reason, Is.EqualTo(VirtualDiskErrorReason.MetadataItemInvalid));
        // An empty item (offset 0, MS-VHDX §2.6.1.2) is refused: libvhdi would no longer open the file.
        Assert.That(Refused(() => (VirtualDiskOperations.TrySetMetadata(image, ItemA, ReadOnlySpan<byte>.Empty, out var f), f)).Reason, Is.EqualTo(VirtualDiskErrorReason.MetadataItemInvalid));
        var missing = Refused(() => (VirtualDiskOperations.TryDeleteMetadata(image, ItemA, out var f), f));
        Assert.That((missing.Reason, missing.Code), Is.EqualTo((VirtualDiskErrorReason.MetadataItemNotFound, VirtualDiskError.NotFound)));
        // A 1 MiB item is within the item limit but not within the region's 960 KiB after the table (qemu's region is 1 MiB).
        var full = Refused(() => (VirtualDiskOperations.TrySetMetadata(image, ItemA, new byte[1 << 20], out var f), f));
        Assert.That((full.Reason, full.Code), Is.EqualTo((VirtualDiskErrorReason.MetadataNoRoom, VirtualDiskError.VhdMetadataFull)));
        Assert.That(File.ReadAllBytes(image), Is.EqualTo(before));

        string vhd = OpsImages.Qemu(Folder, "vpc", "dynamic", 16 * OpsImages.MiB, "r.vhd");
        Assert.That(Refused(() => (VirtualDiskOperations.TrySetMetadata(vhd, ItemA, "x"u8, out var f), f)).Reason, Is.EqualTo(VirtualDiskErrorReason.OperationNotSupported));
        string dirty = Path.Combine(Folder, "dirty.vhdx");
        File.Copy(Support.TestPaths.TestDataImage("vhdx-log/pending-bat.vhdx.gz"), dirty);
        Assert.That(Refused(() => (VirtualDiskOperations.TrySetMetadata(dirty, ItemA, "x"u8, out var f), f)).Reason, Is.EqualTo(VirtualDiskErrorReason.SetPendingLog));
    }

    /// <summary>MS-VHDX §2.6.1.2: at most 1,024 user items; the spec writer lays out a table that already holds them.</summary>
    [Test]
    public void FullUserTableRefused()
    {
        var writer = new VhdxWriter(8 * OpsImages.MiB);
        for (int i = 0; i < 1024; i++) writer.UserItems.Add((new Guid(i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), [(byte)i]));
        string image = VhdxTestSupport.Save(writer, Folder, "full.vhdx");
        Assert.That(VirtualDiskOperations.TrySetMetadata(image, ItemA, "x"u8, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.MetadataNoRoom));
        // Replacing one of them is still possible, and deleting one makes room for a new one.
        var first = new Guid(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        VirtualDiskOperations.SetMetadata(image, first, "replaced"u8);
        VirtualDiskOperations.DeleteMetadata(image, new Guid(5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
        VirtualDiskOperations.SetMetadata(image, ItemA, "new"u8);
        Assert.That((Item(image, first), Item(image, ItemA)), Is.EqualTo(("replaced"u8.ToArray(), "new"u8.ToArray())));
        OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", image), "qemu-img check");
    }

    /// <summary>
    /// Crash cuts of a replace and of a delete (every write and flush recorded; the file rebuilt with every flushed write and
    /// random subsets of the unflushed ones, torn into 512-byte sectors): every state opens, with the old or the new item.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void CrashCutsLeaveTheOldOrTheNewItem(bool delete)
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * OpsImages.MiB, "c.vhdx");
        VirtualDiskOperations.SetMetadata(image, ItemA, Pattern(9000, 1));
        byte[] original = File.ReadAllBytes(image);
        FaultInjectingStore? recorder = null;
        VirtualDiskOperations.WrapStoreForTests = s => recorder = new FaultInjectingStore(s);
        try
        {
            if (delete) VirtualDiskOperations.DeleteMetadata(image, ItemA);
            else VirtualDiskOperations.SetMetadata(image, ItemA, Pattern(20_000, 2));
        }
        finally { VirtualDiskOperations.WrapStoreForTests = null; }
        var ops = recorder!.Ops;
        byte[]? newValue = delete ? null : Pattern(20_000, 2);
        var random = new Random(3);
        int olds = 0, news = 0;
        for (int cut = 0; cut <= ops.Count; cut++)
        {
            for (int round = 0; round < 8; round++)
            {
                byte[] state = round == 0 ? FaultInjectingStore.Prefix(original, ops, cut) : FaultInjectingStore.Crash(original, ops, cut, random);
                string path = Path.Combine(Folder, "cut.vhdx");
                File.WriteAllBytes(path, state);
                Assert.That(VirtualDisk.TryOpen(path, null, out var disk, out VirtualDiskDiagnostic? failure), Is.True, $"cut {cut} round {round}: {failure}");
                using (disk)
                {
                    var value = VirtualDiskOperations.GetMetadata(disk!, ItemA);
                    bool isOld = value is not null && value.AsSpan().SequenceEqual(Pattern(9000, 1));
                    bool isNew = newValue is null ? value is null : value is not null && value.AsSpan().SequenceEqual(newValue);
                    Assert.That(isOld || isNew, $"cut {cut} round {round}: item of {value?.Length} bytes is neither old nor new");
                    if (isOld) olds++; else news++;
                }
            }
        }
        Assert.That(olds, Is.GreaterThan(0));
        Assert.That(news, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"{(delete ? "delete" : "replace")}: {ops.Count} ops; old {olds}, new {news}");
    }

    [Test]
    public void Cli()
    {
        string image = OpsImages.Qemu(Folder, "vhdx", "dynamic", 16 * OpsImages.MiB, "cli.vhdx");
        string data = Path.Combine(Folder, "item.bin");
        File.WriteAllBytes(data, Pattern(3000, 5));
        var set = CliRunner.Run("metadata", image, "--set", ItemA.ToString(), "--file", data, "--json");
        Assert.That(set.ExitCode, Is.EqualTo(0), set.ToString());
        Assert.That(set.Json().GetProperty("length").GetInt32(), Is.EqualTo(3000));
        var list = CliRunner.Run("metadata", image, "--json");
        Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
        var items = list.Json().GetProperty("items").EnumerateArray().ToList();
        Assert.That(items.Count(i => i.GetProperty("isUser").GetBoolean()), Is.EqualTo(1));
        Assert.That(items, Has.Count.EqualTo(6), "five system items (qemu) and the user item");
        var get = CliRunner.Run("metadata", image, "--get", ItemA.ToString());
        Assert.That((get.ExitCode, get.StdoutBytes), Is.EqualTo((0, Pattern(3000, 5))));
        Assert.That(CliRunner.Run("info", image).Stdout, Does.Contain("user metadata:   1 item"));
        // A .gz input is expanded for reading; changing it is a usage error.
        string gz = image + ".gz";
        using (var output = File.Create(gz))
        using (var zip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        using (var input = File.OpenRead(image)) input.CopyTo(zip);
        var fromGz = CliRunner.Run("metadata", gz, "--get", ItemA.ToString());
        Assert.That((fromGz.ExitCode, fromGz.StdoutBytes), Is.EqualTo((0, Pattern(3000, 5))), fromGz.ToString());
        Assert.That(CliRunner.Run("metadata", gz, "--delete", ItemA.ToString()).ExitCode, Is.EqualTo(2));
        Assert.That(CliRunner.Run("metadata", image, "--delete", ItemA.ToString()).ExitCode, Is.EqualTo(0));
        var again = CliRunner.Run("metadata", image, "--delete", ItemA.ToString());
        Assert.That(again.ExitCode, Is.EqualTo(1));
        Assert.That(again.Stderr, Does.Contain("ERROR_NOT_FOUND"));
        Assert.That(CliRunner.Run("metadata", image, "--set", ItemA.ToString()).ExitCode, Is.EqualTo(2), "--set needs --file");
        Assert.That(CliRunner.Run("metadata", image, "--get", "nope").ExitCode, Is.EqualTo(2));
        Assert.That(CliRunner.Run("metadata", image, "--get", ItemA.ToString(), "--delete", ItemA.ToString()).ExitCode, Is.EqualTo(2));
        Assert.That(CliRunner.Run("metadata", image, "--set", FileParameters.ToString(), "--file", data).ExitCode, Is.EqualTo(1));
    }
}
