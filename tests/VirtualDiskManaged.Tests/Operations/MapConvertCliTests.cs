using System.Buffers.Binary;
using System.Text.Json;
using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// vdisk map, compare and convert take .gz images (expanded as the reading commands expand them) and the open options
/// (docs/cli.md): a compressed testdata image maps as qemu-img maps its expanded copy, compares equal to it and
/// converts to an image qemu-img compare finds identical; NO_PARENTS and --strict are honoured.
/// </summary>
public sealed class MapConvertCliTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    private static string Gz(string relative) => Path.Combine(TestPaths.TestData, relative);

    [Test]
    public void MapOfAGzImageIsQemuMapOfItsContent()
    {
        CreateTools.Require("qemu-img");
        string gz = Gz("vhd/dyn-10M.vhd.gz"), plain = TestPaths.TestDataImage("vhd/dyn-10M.vhd.gz");
        var run = CliRunner.Run("map", "--json", gz);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var mine = run.Json().EnumerateArray().ToList();
        var (_, qemu) = CreateTools.Run("qemu-img", "map", "-f", "vpc", "--output=json", plain);
        var theirs = JsonDocument.Parse(qemu).RootElement.EnumerateArray().ToList();
        Assert.That(mine, Has.Count.EqualTo(theirs.Count));
        for (int i = 0; i < theirs.Count; i++)
        {
            foreach (var field in new[] { "start", "length", "depth", "present", "zero", "data", "offset" })
                Assert.That(mine[i].TryGetProperty(field, out var m) ? m.ToString() : null,
                    Is.EqualTo(theirs[i].TryGetProperty(field, out var t) ? t.ToString() : null), $"entry {i} {field}");
            Assert.That(mine[i].GetProperty("file").GetString(), Is.EqualTo(gz), "the file the user gave, not the expanded copy");
        }
    }

    [Test]
    public void MapHonoursNoParents()
    {
        var (child, _, _) = OpsImages.LibraryChain(Folder, VirtualDiskFormat.Vhdx, 16 * MiB);
        var whole = CliRunner.Run("map", "--json", child);
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.ToString());
        Assert.That(whole.Json().EnumerateArray().All(e => e.GetProperty("present").GetBoolean()), Is.True);
        Assert.That(whole.Json().EnumerateArray().Any(e => e.GetProperty("depth").GetInt32() == 1), Is.True);
        var alone = CliRunner.Run("map", "--json", "--flags", "NO_PARENTS", child);
        Assert.That(alone.ExitCode, Is.EqualTo(0), alone.ToString());
        var entries = alone.Json().EnumerateArray().ToList();
        // qemu-img map with an absent backing file: depth 1, present false (the parent was not opened).
        Assert.That(entries.Where(e => e.GetProperty("depth").GetInt32() > 0).All(e => !e.GetProperty("present").GetBoolean()), Is.True);
        Assert.That(entries.Any(e => !e.GetProperty("present").GetBoolean()), Is.True);
        Assert.That(entries.Where(e => e.GetProperty("data").GetBoolean()).All(e => e.GetProperty("depth").GetInt32() == 0), Is.True);
        Assert.That(CliRunner.Run("map", "--flags", "NO_SUCH_FLAG", child).ExitCode, Is.EqualTo(2), "an unknown flag is a usage error");
    }

    [Test]
    public void CompareGzWithItsExpandedCopy()
    {
        CreateTools.Require("qemu-img");
        string gz = Gz("vhdx/dyn-bs32M.vhdx.gz"), plain = TestPaths.TestDataImage("vhdx/dyn-bs32M.vhdx.gz");
        var run = CliRunner.Run("compare", gz, plain);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Stdout, Does.Contain("Images are identical."));
        string other = Gz("vhdx/dyn-odd-size.vhdx.gz"), otherPlain = TestPaths.TestDataImage("vhdx/dyn-odd-size.vhdx.gz");
        var (qrc, qtext) = CreateTools.Run("qemu-img", "compare", "-f", "vhdx", "-F", "vhdx", plain, otherPlain);
        var differ = CliRunner.Run("compare", gz, other);
        Assert.That(differ.ExitCode, Is.EqualTo(qrc == 0 ? 0 : 1), differ + " / qemu: " + qtext);
        if (qrc == 1) Assert.That(differ.Stdout.Trim().Split('\n')[^1], Is.EqualTo(qtext.Trim().Split('\n')[^1]));
    }

    [Test]
    public void CompareHonoursNoParents()
    {
        var (child, _, _) = OpsImages.LibraryChain(Folder, VirtualDiskFormat.Vhd, 16 * MiB);
        var same = CliRunner.Run("compare", child, child);
        Assert.That(same.ExitCode, Is.EqualTo(0), same.ToString());
        var alone = CliRunner.Run("compare", "--flags", "NO_PARENTS", child, child);
        Assert.That(alone.ExitCode, Is.EqualTo(1), alone.ToString());
        Assert.That(alone.Stderr, Does.Contain("OperationReadFailed").And.Contain("without parents"));
    }

    [Test]
    public void ConvertAGzImage()
    {
        CreateTools.Require("qemu-img");
        string gz = Gz("vhdx/dyn-bs32M.vhdx.gz"), plain = TestPaths.TestDataImage("vhdx/dyn-bs32M.vhdx.gz");
        string output = Path.Combine(Folder, "out.vhd");
        var run = CliRunner.Run("convert", gz, output);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var (rc, text) = CreateTools.QemuCompare(output, "vpc", plain, "vhdx");
        Assert.That(rc, Is.EqualTo(0), text);
        var missing = CliRunner.Run("convert", Path.Combine(Folder, "none.vhdx.gz"), Path.Combine(Folder, "none.vhd"));
        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        Assert.That(File.Exists(Path.Combine(Folder, "none.vhd")), Is.False);
    }

    [Test]
    public void ConvertAGzChainFindsItsCompressedParent()
    {
        CreateTools.Require("qemu-img");
        var (child, parent, mirror) = OpsImages.LibraryChain(Folder, VirtualDiskFormat.Vhd, 16 * MiB);
        string zipped = Path.Combine(Folder, "z");
        Directory.CreateDirectory(zipped);
        foreach (string f in new[] { child, parent })
        {
            using var input = File.OpenRead(f);
            using var gz = new System.IO.Compression.GZipStream(File.Create(Path.Combine(zipped, Path.GetFileName(f) + ".gz")), System.IO.Compression.CompressionLevel.Fastest);
            input.CopyTo(gz);
        }
        string output = Path.Combine(Folder, "flat.vhdx");
        var run = CliRunner.Run("convert", Path.Combine(zipped, Path.GetFileName(child) + ".gz"), output);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var (rc, text) = CreateTools.QemuCompare(output, "vhdx", mirror, "raw");
        Assert.That(rc, Is.EqualTo(0), text);
    }

    [Test]
    public void ConvertHonoursTheSourceOpenOptions()
    {
        var (child, _, mirror) = OpsImages.LibraryChain(Folder, VirtualDiskFormat.Vhdx, 16 * MiB);
        string output = Path.Combine(Folder, "alone.vhdx");
        var alone = CliRunner.Run("convert", "--flags", "NO_PARENTS", child, output);
        Assert.That(alone.ExitCode, Is.EqualTo(1), alone.ToString());
        Assert.That(alone.Stderr, Does.Contain("ConvertReadFailed").And.Contain("without parents"));
        Assert.That(File.Exists(output), Is.False, "nothing left at OUT");
        Assert.That(Directory.GetFiles(Folder, "*.vdm-tmp", SearchOption.AllDirectories), Is.Empty);
        var whole = CliRunner.Run("convert", child, output);
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.ToString());

        // --strict: a warning of the open (a sector-bitmap entry set in a dynamic VHDX, MS-VHDX §2.5.1.2) fails it.
        string warned = Path.Combine(Folder, "warned.vhdx");
        // 4,100 blocks of 1 MiB: the table reaches chunk 0's bitmap entry (4,096) and is validated whole at open.
        using (var disk = VirtualDisk.Create(warned, new VirtualDiskCreateOptions { Size = 4100 * MiB, BlockSize = (uint)MiB }))
        {
            disk.Write(0, new byte[] { 1, 2, 3 });
            disk.Flush();
        }
        using (var file = File.OpenHandle(warned, FileMode.Open, FileAccess.ReadWrite))
        {
            var entry = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(entry, 6UL | (7UL << 20));
            RandomAccess.Write(file, entry, 3 * MiB + 4096 * 8); // chunk 0's bitmap entry (BAT at 3 MiB, docs/create.md)
        }
        Assert.That(CliRunner.Run("convert", warned, Path.Combine(Folder, "w1.vhd")).ExitCode, Is.EqualTo(0));
        var strict = CliRunner.Run("convert", "--strict", warned, Path.Combine(Folder, "w2.vhd"));
        Assert.That(strict.ExitCode, Is.EqualTo(1), strict.ToString());
        Assert.That(File.Exists(Path.Combine(Folder, "w2.vhd")), Is.False);
        Assert.That(CliRunner.Run("convert", "--access", "ALL", child, Path.Combine(Folder, "x.vhd")).ExitCode, Is.EqualTo(2),
            "the source is read-only: no --access");
        _ = mirror;
    }

    /// <summary>The library: SourceOpenOptions reach the source's open, and the source is opened read-only whatever they say.</summary>
    [Test]
    public void ConvertOptionsOpenTheSourceReadOnly()
    {
        var (child, _, mirror) = OpsImages.LibraryChain(Folder, VirtualDiskFormat.Vhdx, 16 * MiB);
        string before = OpsImages.Sha256(child);
        var options = new ConvertOptions
        {
            SourceOpenOptions = new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.All, Parameters = OpenVirtualDiskParameters.V2(readOnly: false) },
        };
        string output = Path.Combine(Folder, "rw.vhdx");
        Assert.That(VirtualDiskOperations.TryConvert(child, output, options, out _, out var failure), Is.True, failure?.ToString());
        Assert.That(OpsImages.Sha256(child), Is.EqualTo(before), "the source is unchanged");
        using (var writer = VirtualDisk.Open(child, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo }))
            Assert.That(writer.CanWrite, Is.True, "no handle of the convert is left open");
        var noParents = options with { SourceOpenOptions = new VirtualDiskOpenOptions { Flags = OpenVirtualDiskFlags.NoParents } };
        Assert.That(VirtualDiskOperations.TryConvert(child, Path.Combine(Folder, "np.vhdx"), noParents, out _, out var refused), Is.False);
        Assert.That(refused!.Reason, Is.EqualTo(VirtualDiskErrorReason.ConvertReadFailed), refused.ToString());
        _ = mirror;
    }
}
