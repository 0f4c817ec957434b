using System.Globalization;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Iso9660;

/// <summary>El Torito, zisofs and implantisomd5 on images made at test time; expected values from xorriso, bsdtar and checkisomd5.</summary>
public sealed class BootAndChecksumTests
{
    private string _folder = "";

    [SetUp]
    public void SetUp() => _folder = TestPaths.NewTempFolder("isoboot");

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private string BootTree()
    {
        string t = Path.Combine(_folder, "bt");
        Directory.CreateDirectory(Path.Combine(t, "boot"));
        Directory.CreateDirectory(Path.Combine(t, "z"));
        var rnd = new Random(3);
        var boot = new byte[5000];
        rnd.NextBytes(boot);
        File.WriteAllBytes(Path.Combine(t, "boot", "boot.bin"), boot);
        File.WriteAllText(Path.Combine(t, "z", "text.txt"), string.Concat(Enumerable.Repeat("zisofs text line\n", 30000)));
        return t;
    }

    [Test]
    public void BiosAndUefiCatalogMatchesXorrisoReport()
    {
        IsoTools.Require("xorriso", "mkfs.vfat");
        string t = BootTree();
        IsoTools.RunOk("mkfs.vfat", "-C", Path.Combine(t, "efi.img"), "1440");
        string iso = Path.Combine(_folder, "boot.iso");
        IsoTools.RunOk("xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-o", iso, "-b", "boot/boot.bin", "-no-emul-boot", "-boot-load-size", "4",
            "-boot-info-table", "-eltorito-alt-boot", "-e", "efi.img", "-no-emul-boot", "-append_partition", "2", "0xef", Path.Combine(t, "efi.img"), "-appended_part_as_gpt", t);
        // xorriso's report: "El Torito boot img :   N  Pltf  B   Emul  Ld_seg  Hdpt  Ldsiz  LBA"
        var report = IsoTools.Run("xorriso", "-indev", iso, "-report_el_torito", "plain");
        var rows = (report.Out + report.Err).Split('\n').Where(l => l.StartsWith("El Torito boot img :", StringComparison.Ordinal))
            .Select(l => l["El Torito boot img :".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        string catLine = (report.Out + report.Err).Split('\n').First(l => l.StartsWith("El Torito catalog  :", StringComparison.Ordinal));
        uint catalogSector = uint.Parse(catLine.Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        Assert.That(rows, Has.Count.EqualTo(2));
        var (file, fs) = IsoTools.Open(iso);
        using (file)
        using (fs)
        {
            var iso9660 = (Iso9660FileSystem)fs;
            Assert.That(iso9660.BootRecordDescriptor!.IsElTorito, Is.True);
            var catalog = iso9660.BootCatalog!;
            Assert.That(catalog.Sector, Is.EqualTo(catalogSector));
            Assert.That(catalog.ChecksumValid, Is.True);
            Assert.That(catalog.Entries, Has.Count.EqualTo(2));
            for (int i = 0; i < 2; i++)
            {
                var e = catalog.Entries[i];
                Assert.That(e.PlatformId, Is.EqualTo(rows[i][1] == "BIOS" ? 0 : 0xEF));
                Assert.That(e.IsBootable, Is.EqualTo(rows[i][2] == "y"));
                Assert.That(e.MediaType, Is.EqualTo(ElToritoMediaType.NoEmulation));
                Assert.That(e.SectorCount.ToString(CultureInfo.InvariantCulture), Is.EqualTo(rows[i][6]));
                Assert.That(e.LoadRba.ToString(CultureInfo.InvariantCulture), Is.EqualTo(rows[i][7]));
            }
            Assert.That(catalog.Entries[0].IsDefault, Is.True);
            Assert.That(catalog.Entries[1].Section!.HeaderIndicator, Is.EqualTo(0x91));
            // Each image is the file at its load RBA: the same bytes as the source files.
            string[] sources = [Path.Combine(t, "boot", "boot.bin"), Path.Combine(t, "efi.img")];
            for (int i = 0; i < 2; i++)
            {
                var e = catalog.Entries[i];
                Assert.That(e.ImageSizeRule, Is.EqualTo(ElToritoImageSizeRule.FileAtLoadRba));
                Assert.That(e.ImageSize, Is.EqualTo(new FileInfo(sources[i]).Length));
                using var s = iso9660.OpenBootImage(e);
                var bytes = new MemoryStream();
                s.CopyTo(bytes);
                var expected = File.ReadAllBytes(sources[i]);
                if (i == 0) Array.Copy(bytes.ToArray(), 8, expected, 8, 56); // xorriso patches the boot-info table into the image copy
                Assert.That(bytes.ToArray(), Is.EqualTo(expected));
            }
            var bit = catalog.Entries[0].BootInfoTable!;
            Assert.That(bit.PrimaryVolumeDescriptorSector, Is.EqualTo(16));
            Assert.That(bit.FileSector, Is.EqualTo(catalog.Entries[0].LoadRba));
            Assert.That(bit.FileLength, Is.EqualTo(5000));
            Assert.That(bit.ChecksumMatches, Is.True);
            Assert.That(catalog.Entries[1].BootInfoTable, Is.Null);
            // -append_partition … -appended_part_as_gpt: a protective MBR and a GPT, as xorriso -report_system_area lists them.
            var area = IsoTools.Run("xorriso", "-indev", iso, "-report_system_area", "plain");
            var gptRows = (area.Out + area.Err).Split('\n').Where(l => l.StartsWith("GPT start and size :", StringComparison.Ordinal))
                .Select(l => l.Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(a => (ulong.Parse(a[1], CultureInfo.InvariantCulture), ulong.Parse(a[2], CultureInfo.InvariantCulture))).ToList();
            Assert.That(iso9660.Hybrid.HasMbr, Is.True);
            Assert.That(iso9660.Hybrid.MbrPartitions.Select(p => p.Type), Is.EqualTo(new byte[] { 0xEE }));
            Assert.That(iso9660.Hybrid.HasGpt, Is.True);
            Assert.That(iso9660.Hybrid.GptPartitions.Select(p => (p.FirstLba, p.LastLba - p.FirstLba + 1)), Is.EqualTo(gptRows));
            Assert.That(fs.Verify(), Is.Empty);
        }
    }

    [Test]
    public void UefiEntryWithSectorCountOneRunsToTheEndOfTheVolume()
    {
        IsoTools.Require("xorriso");
        string t = BootTree();
        File.WriteAllBytes(Path.Combine(t, "efi.bin"), new byte[70_000]); // not FAT: no boot sector to size it
        string iso = Path.Combine(_folder, "efi1.iso");
        IsoTools.RunOk("xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-e", "efi.bin", "-no-emul-boot", t);
        byte[] image = File.ReadAllBytes(iso);
        long entryOffset, record;
        uint rba;
        var (f2, fs2) = IsoTools.Open(iso, FileSystemNamespace.Iso9660);
        using (f2)
        using (fs2)
        {
            var e = ((Iso9660FileSystem)fs2).BootCatalog!.Entries.Single();
            Assert.That(e.PlatformId, Is.EqualTo(0xEF));
            Assert.That(e.ImageSizeRule, Is.EqualTo(ElToritoImageSizeRule.FileAtLoadRba));
            Assert.That(e.ImageSize, Is.EqualTo(70_000));
            entryOffset = e.Offset;
            rba = e.LoadRba;
            record = fs2.GetEntry("/efi.bin").RecordOffset;
        }
        // A sector count of 1 (El Torito §2.2 bytes 6–7), and no ISO file at the load RBA (the record's extent set to 0).
        image[entryOffset + 6] = 1;
        image[entryOffset + 7] = 0;
        foreach (int o in new[] { 2, 3, 4, 5, 6, 7, 8, 9 }) image[record + o] = 0;
        string patched = Path.Combine(_folder, "efi1-hidden.iso");
        File.WriteAllBytes(patched, image);
        var (f3, fs3) = IsoTools.Open(patched);
        using (f3)
        using (fs3)
        {
            var iso9660 = (Iso9660FileSystem)fs3;
            var e = iso9660.BootCatalog!.Entries.Single();
            Assert.That(e.SectorCount, Is.EqualTo(1));
            Assert.That(e.ImageSizeRule, Is.EqualTo(ElToritoImageSizeRule.UefiToEndOfVolume));
            Assert.That(e.ImageSize, Is.EqualTo(Math.Min(iso9660.PrimaryVolumeDescriptor.VolumeSpaceSize * 2048L, image.Length) - rba * 2048L));
        }
    }

    [Test]
    public void ZisofsFileIsDecompressedAndItsRawBytesAreAvailable()
    {
        IsoTools.Require("xorriso", "bsdtar");
        string t = BootTree();
        string iso = Path.Combine(_folder, "z.iso");
        IsoTools.RunOk("xorriso", "-outdev", iso, "-map", t, "/", "-set_filter_r", "--zisofs", "/z", "--", "-commit");
        var (file, fs) = IsoTools.Open(iso);
        using (file)
        using (fs)
        {
            var e = fs.GetEntry("/z/text.txt");
            Assert.That(Iso9660FileSystem.IsCompressed(e), Is.True);
            Assert.That(e.Length, Is.EqualTo(new FileInfo(Path.Combine(t, "z", "text.txt")).Length));
            using (var s = fs.OpenFile(e))
                Assert.That(IsoTools.Sha256(s), Is.EqualTo(IsoTools.Sha256(Path.Combine(t, "z", "text.txt"))));
            // bsdtar decompresses too; 7-Zip and isoinfo give the raw stream, which starts with the zisofs magic.
            using (var raw = ((Iso9660FileSystem)fs).OpenRawFile(e))
            {
                var head = new byte[8];
                raw.ReadExactly(head);
                Assert.That(head, Is.EqualTo(new byte[] { 0x37, 0xE4, 0x53, 0x96, 0xC9, 0xDB, 0xD6, 0x07 }));
                Assert.That(raw.Length, Is.LessThan(e.Length));
            }
            // Random positional reads agree with the source.
            var src = File.ReadAllBytes(Path.Combine(t, "z", "text.txt"));
            using var stream = (Iso9660FileStream)fs.OpenFile(e);
            var rnd = new Random(1);
            Parallel.For(0, 64, i =>
            {
                long at;
                lock (rnd) at = rnd.NextInt64(src.Length);
                var buf = new byte[Math.Min(70_000, src.Length - (int)at)];
                int n = stream.ReadAt(at, buf);
                Assert.That(buf.AsSpan(0, n).SequenceEqual(src.AsSpan((int)at, n)), Is.True);
            });
            Assert.That(fs.Verify(), Is.Empty);
        }
    }

    [Test]
    public void ImplantedMd5VerdictIsCheckisomd5s()
    {
        IsoTools.Require("xorriso", "implantisomd5", "checkisomd5");
        string t = BootTree();
        var rnd = new Random(5);
        var big = new byte[4 << 20];
        rnd.NextBytes(big);
        File.WriteAllBytes(Path.Combine(t, "big.bin"), big);
        string iso = Path.Combine(_folder, "md5.iso");
        IsoTools.RunOk("xorriso", "-as", "mkisofs", "-quiet", "-R", "-o", iso, t);
        IsoTools.RunOk("implantisomd5", iso);
        Assert.That(IsoTools.Run("checkisomd5", iso).Rc, Is.EqualTo(0));
        var (file, fs) = IsoTools.Open(iso);
        using (file)
        using (fs)
        {
            var iso9660 = (Iso9660FileSystem)fs;
            var rec = iso9660.ImplantedMd5!;
            Assert.That(IsoTools.RunOk("checkisomd5", "--md5sumonly", iso).Split('\n')[0], Does.EndWith(rec.RecordedMd5));
            Assert.That(rec.SkipSectors, Is.EqualTo(15));
            Assert.That(rec.FragmentCount, Is.EqualTo(20));
            Assert.That(iso9660.VerifyImplantedMd5().Verdict, Is.EqualTo(IsoMd5Verdict.Passed));
            Assert.That(fs.Verify(), Is.Empty);
        }
        // Damage one byte of file data: checkisomd5 fails, and so does the deep check.
        string damaged = Path.Combine(_folder, "md5-bad.iso");
        var bytes = File.ReadAllBytes(iso);
        var (f2, fs2) = IsoTools.Open(iso);
        long at;
        using (f2)
        using (fs2) at = fs2.GetEntry("/big.bin").Extents[0].Offset + 3_000_000;
        bytes[at] ^= 0x5A;
        File.WriteAllBytes(damaged, bytes);
        Assert.That(IsoTools.Run("checkisomd5", damaged).Rc, Is.Not.EqualTo(0));
        var (f3, fs3) = IsoTools.Open(damaged);
        using (f3)
        using (fs3)
        {
            Assert.That(((Iso9660FileSystem)fs3).VerifyImplantedMd5().Verdict, Is.EqualTo(IsoMd5Verdict.Failed));
            Assert.That(fs3.Verify().Select(d => d.Reason), Has.Some.AnyOf(VirtualDiskErrorReason.IsoMd5FragmentMismatch, VirtualDiskErrorReason.IsoMd5Mismatch));
        }
        // Without a record: not found.
        string plain = Path.Combine(_folder, "plain.iso");
        IsoTools.RunOk("xorriso", "-as", "mkisofs", "-quiet", "-o", plain, t);
        var (f4, fs4) = IsoTools.Open(plain);
        using (f4)
        using (fs4) Assert.That(((Iso9660FileSystem)fs4).VerifyImplantedMd5().Verdict, Is.EqualTo(IsoMd5Verdict.NotFound));
    }
}
