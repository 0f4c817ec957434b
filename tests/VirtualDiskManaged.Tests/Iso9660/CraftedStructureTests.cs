using System.Text;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;

namespace VirtualDiskManaged.Tests.Iso9660;

/// <summary>
/// Crafted images (CraftedIsoImage): the expected values are what the bytes were written to say, per the spec
/// sections cited on each builder.
/// </summary>
public sealed class CraftedStructureTests
{
    internal static Iso9660FileSystem Open(byte[] image, FileSystemNamespace ns = FileSystemNamespace.Auto) =>
        (Iso9660FileSystem)FileSystem.Open(new MemoryStream(image, writable: false), new FileSystemOpenOptions { Namespace = ns });

    internal static byte[] ReadAll(FileSystemReader fs, string path)
    {
        using var s = fs.OpenFile(path);
        var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    [Test]
    public void RockRidgeNameContinuesThroughACeArea()
    {
        var iso = CraftedIsoImage.RockRidgeBase(out _);
        using var fs = Open(iso.Image);
        Assert.That(fs.Namespace, Is.EqualTo(FileSystemNamespace.RockRidge));
        Assert.That(fs.SuspExtensions, Is.EqualTo(new[] { "RRIP_1991A" }));
        Assert.That(fs.EnumerateTree().Select(e => e.Path), Is.EquivalentTo(new[] { "/hello.txt", "/sub", "/sub/inner" }));
        var hello = fs.GetEntry("/hello.txt");
        Assert.That(hello.Mode, Is.EqualTo(0x1A4));
        Assert.That(hello.RawName, Is.EqualTo("HELLO.TXT;1"));
        Assert.That(Encoding.ASCII.GetString(ReadAll(fs, "/hello.txt")), Is.EqualTo("hello.txt"));
        Assert.That(fs.TryGetEntry("/HELLO.TXT", out _, out var f), Is.False, "Rock Ridge lookups are case-exact");
        Assert.That(f!.Reason, Is.EqualTo(VirtualDiskErrorReason.FileSystemEntryNotFound));
        Assert.That(fs.Verify(), Is.Empty);
        using var joliet = Open(iso.Image, FileSystemNamespace.Joliet);
        Assert.That(joliet.EnumerateTree().Select(e => e.Path), Is.EquivalentTo(new[] { "/hello.txt", "/sub", "/sub/inner" }));
        using var plain = Open(iso.Image, FileSystemNamespace.Iso9660);
        Assert.That(plain.EnumerateTree().Select(e => e.Path), Is.EquivalentTo(new[] { "/HELLO.TXT", "/SUB", "/SUB/INNER" }));
        Assert.That(plain.GetEntry("/sub/inner").Path, Is.EqualTo("/SUB/INNER"), "ISO 9660 lookups ignore case");
    }

    [Test]
    public void MultiExtentInterleavedZisofsSymlinkAndBootEntriesReadAsWritten()
    {
        var iso = CraftedIsoImage.Features();
        using var fs = Open(iso.Image);
        var big = fs.GetEntry("/big.bin");
        Assert.That(big.Length, Is.EqualTo(2 * 2048 + 1000));
        Assert.That(big.Extents.Select(e => e.Offset / 2048), Is.EqualTo(new long[] { 30, 32, 31 }));
        var expected = new byte[5096];
        expected.AsSpan(0, 2048).Fill((byte)'a');
        expected.AsSpan(2048, 2048).Fill((byte)'c');
        expected.AsSpan(4096, 1000).Fill((byte)'b');
        Assert.That(ReadAll(fs, "/big.bin"), Is.EqualTo(expected));
        // Interleaved: file unit 1 block, gap 1 block, from sector 34 (ECMA-119 §6.4.2).
        var inter = ReadAll(fs, "/inter.bin");
        Assert.That(inter.Length, Is.EqualTo(3 * 2048));
        Assert.That(new[] { inter[0], inter[2048], inter[4096] }, Is.EqualTo("egi"u8.ToArray()));
        Assert.That(Encoding.ASCII.GetString(ReadAll(fs, "/z.txt")), Is.EqualTo(string.Concat(Enumerable.Repeat("zz top ", 9000))));
        var link = fs.GetEntry("/link");
        Assert.That(link.Kind, Is.EqualTo(FileSystemEntryKind.Symlink));
        Assert.That(link.SymlinkTarget, Is.EqualTo("/etc/passwd"));
        var cat = fs.BootCatalog!;
        Assert.That(cat.ChecksumValid, Is.True);
        Assert.That(cat.Entries.Select(e => (e.MediaType, e.ImageSizeRule, e.ImageSize)), Is.EqualTo(new[]
        {
            (ElToritoMediaType.Floppy144, ElToritoImageSizeRule.FloppyEmulation, Math.Min(1_474_560L, iso.Image.Length - 26 * 2048L)),
            (ElToritoMediaType.HardDisk, ElToritoImageSizeRule.HardDiskMbr, 4 * 512L),
        }));
        Assert.That(cat.Entries[1].PlatformId, Is.EqualTo((byte)ElToritoPlatform.Efi));
        // The multi-extent sections are out of volume order: the deep check says so, and nothing else.
        Assert.That(fs.Verify().Select(d => d.Reason), Is.EquivalentTo(new[] { VirtualDiskErrorReason.IsoMultiExtentOutOfOrder }));
    }
}
