using static VirtualDiskManaged.Tests.Create.CreateTools;

namespace VirtualDiskManaged.Tests.Create;

/// <summary>
/// Images made here, then written through the handle Create returns (its stream is writable once the write path is
/// in; until then these tests ignore themselves): the result equals a raw mirror for qemu-img compare, passes
/// qemu-img check, and 7-Zip and vhdiinfo still read it; a child written over a parent written here reads as both.
/// </summary>
public sealed class CreateThenWriteTests : CreateTestBase
{
    private static Stream WritableStream(VirtualDiskHandle h)
    {
        var s = h.OpenStream();
        if (!s.CanWrite)
        {
            s.Dispose();
            Assert.Ignore("the handle's stream is read-only here (the write path is not merged into this build)");
        }
        return s;
    }

    [TestCase(VirtualDiskFormat.Vhd, VirtualDiskCreateType.Dynamic)]
    [TestCase(VirtualDiskFormat.Vhd, VirtualDiskCreateType.Fixed)]
    [TestCase(VirtualDiskFormat.Vhdx, VirtualDiskCreateType.Dynamic)]
    [TestCase(VirtualDiskFormat.Vhdx, VirtualDiskCreateType.Fixed)]
    public void WritesIntoANewImage(VirtualDiskFormat format, VirtualDiskCreateType type)
    {
        string path = At("w" + (format == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx"));
        string raw = ZeroRaw(Folder, 40 * MiB);
        var data = new byte[3 * 1024 * 1024 + 4096];
        new Random(3).NextBytes(data);
        using (var h = VirtualDisk.Create(path, new() { Format = format, Type = type, Size = 40 * MiB }))
        using (var s = WritableStream(h))
        {
            s.Position = 5 * MiB + 512;
            s.Write(data);
            s.Position = 39 * MiB;
            s.Write(data, 0, (int)MiB);
            s.Flush();
        }
        using (var fs = new FileStream(raw, FileMode.Open, FileAccess.Write))
        {
            fs.Position = 5 * MiB + 512;
            fs.Write(data);
            fs.Position = 39 * MiB;
            fs.Write(data, 0, (int)MiB);
        }
        var (rc, output) = QemuCompare(raw, "raw", path, QemuFormat(format));
        Assert.That(rc, Is.EqualTo(0), output);
        if (format == VirtualDiskFormat.Vhdx) Assert.That(Run("qemu-img", "check", "-f", "vhdx", path).ExitCode, Is.EqualTo(0));
        SevenZipList(path);
        Assert.That(VhdiInfo(path)["Media size"], Does.Contain($"({40 * MiB} bytes)"));
    }

    [TestCase(VirtualDiskFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx)]
    public void WritesIntoANewChild(VirtualDiskFormat format)
    {
        string ext = format == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx";
        string parent = At("p" + ext), child = At("c" + ext);
        using (var h = VirtualDisk.Create(parent, new() { Format = format, Size = 40 * MiB }))
        using (var s = WritableStream(h))
            s.Write([1, 2, 3, 4]);
        using (var h = VirtualDisk.Create(child, new() { Format = format, Type = VirtualDiskCreateType.Differencing, ParentPath = parent }))
        using (var s = WritableStream(h))
        {
            s.Position = 2;
            s.WriteByte(9);
        }
        using var r = VirtualDisk.Open(child);
        var b = new byte[4];
        r.Read(0, b);
        Assert.That(b, Is.EqualTo(new byte[] { 1, 2, 9, 4 }));
    }
}
