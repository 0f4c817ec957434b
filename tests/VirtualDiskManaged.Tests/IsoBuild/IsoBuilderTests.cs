using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using VirtualDiskManaged.IsoBuild;
using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.IsoBuild.IsoBuildTools;

namespace VirtualDiskManaged.Tests.IsoBuild;

/// <summary>
/// What the builder writes, read back by independent readers (bsdtar for Rock Ridge, 7-Zip for Joliet, xorriso,
/// isoinfo, pycdlib). Expected values are the source trees themselves and the specifications (docs/mkiso.md).
/// </summary>
[NonParallelizable]
public sealed class IsoBuilderTests
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = TestPaths.NewTempFolder("isobuild");

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>A source tree with what readers get wrong: unicode and long names, depth 12, 300 entries in one directory, links, empty files.</summary>
    private string HardTree()
    {
        string src = P("src");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "user-data"), "#cloud-config\nhostname: test\n");
        File.WriteAllText(Path.Combine(src, "meta-data"), "instance-id: iid-1\n");
        File.WriteAllBytes(Path.Combine(src, "empty.txt"), []);
        File.WriteAllText(Path.Combine(src, "Ünïcödé naïve 日本語 — a name well beyond sixty-four characters, to be truncated by Joliet.txt"), "unicode");
        File.WriteAllText(Path.Combine(src, new string('n', 200)), "long rock ridge name");
        string deep = src;
        for (int i = 1; i <= 12; i++) deep = Path.Combine(deep, "level" + i);
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "bottom.txt"), "twelve levels down");
        Directory.CreateDirectory(Path.Combine(src, "many"));
        for (int i = 0; i < 300; i++) File.WriteAllText(Path.Combine(src, "many", $"entry-{i:D4}.dat"), new string((char)('a' + i % 26), i));
        var random = new byte[300_000];
        new Random(7).NextBytes(random);
        File.WriteAllBytes(Path.Combine(src, "many", "random.bin"), random);
        if (!OperatingSystem.IsWindows())
        {
            File.CreateSymbolicLink(Path.Combine(src, "relative-link"), "user-data");
            File.CreateSymbolicLink(Path.Combine(src, "absolute-link"), "/etc/hostname");
            File.CreateSymbolicLink(Path.Combine(src, "many", "up-link"), "../level1/./level2");
        }
        return src;
    }

    private string Build(string src, IsoBuildOptions options, string name = "out.iso")
    {
        var builder = new IsoImageBuilder(options);
        builder.AddTree(src);
        string iso = P(name);
        builder.Build(iso);
        return iso;
    }

    private static IsoBuildOptions All(string volumeId = "TESTVOL") =>
        new() { VolumeId = volumeId, Joliet = true, RockRidge = true, Timestamp = Epoch };

    [Test]
    public void RockRidgeTreeExtractsByteForByteWithBsdtar()
    {
        Require("bsdtar");
        string src = HardTree();
        string iso = Build(src, All());
        var extracted = Describe(BsdtarExtract(iso, P("x")));
        Assert.That(extracted, Is.EqualTo(Describe(src)));
    }

    [Test]
    public void XorrisoSeesTheSameTreeAndTypes()
    {
        Require("xorriso");
        string src = HardTree();
        string iso = Build(src, All());
        var (rc, output, err) = Run("xorriso", "-indev", iso, "-find", "/", "-exec", "lsdl", "--");
        Assert.That(rc, Is.EqualTo(0), err);
        var listed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            int q = line.IndexOf(" '/", StringComparison.Ordinal);
            if (q < 0 || line.Length == 0 || line[0] is not ('-' or 'd' or 'l')) continue;
            int end = line.IndexOf("' -> '", q + 2, StringComparison.Ordinal);
            if (end < 0) end = line.LastIndexOf('\'');
            string path = line[(q + 3)..end];
            if (path.Length == 0) continue;
            listed.Add((line[0] == 'l' ? "l " : line[0] == 'd' ? "d " : "f ") + path);
        }
        var expected = new SortedSet<string>(Describe(src).Select(kv => (kv.Value == "d" ? "d " : kv.Value.StartsWith("l:", StringComparison.Ordinal) ? "l " : "f ") + kv.Key), StringComparer.Ordinal)
        {
            "d rr_moved", // xorriso shows the (emptied) relocation directory; bsdtar hides it
        };
        Assert.That(listed, Is.EqualTo(expected), "missing: " + string.Join(", ", expected.Except(listed)) + "; extra: " + string.Join(", ", listed.Except(expected)));
    }

    [Test]
    public void PycdlibReadsRockRidgeAndJolietAlike()
    {
        string src = HardTree();
        string iso = Build(src, All());
        var source = Describe(src);
        var expected = source.Where(kv => !kv.Value.StartsWith("l:", StringComparison.Ordinal)).ToDictionary();
        // pycdlib walks the relocation directory instead of following CL (RRIP §4.1.5): map its paths back.
        string realParent = string.Join('/', Enumerable.Range(1, 7).Select(i => "level" + i));
        var rr = new Dictionary<string, string>();
        foreach (var (path, value) in Pycdlib(iso, "rr"))
        {
            if (path == "rr_moved") continue;
            string real = path.StartsWith("rr_moved/", StringComparison.Ordinal) ? realParent + "/" + path["rr_moved/".Length..] : path;
            if (source.TryGetValue(real, out var v) && v.StartsWith("l:", StringComparison.Ordinal)) continue;
            rr[real] = value;
        }
        Assert.That(rr, Is.EquivalentTo(expected));
        // Joliet: the same files; names beyond 64 characters are truncated (Joliet's limit), so compare contents by count.
        var joliet = Pycdlib(iso, "joliet");
        Assert.That(joliet.Values.Where(v => v != "d").OrderBy(v => v), Is.EqualTo(expected.Values.Where(v => v != "d").OrderBy(v => v)));
    }

    [Test]
    public void ThisLibrarysReaderSeesTheSourceTree()
    {
        string src = HardTree();
        string iso = Build(src, All());
        var source = Describe(src);
        using var stream = File.OpenRead(iso);
        using (var rr = VirtualDiskManaged.FileSystems.FileSystem.Open(stream, new() { Namespace = VirtualDiskManaged.FileSystems.FileSystemNamespace.RockRidge }))
        {
            var seen = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var e in rr.EnumerateTree("/"))
            {
                string path = e.Path.TrimStart('/');
                seen[path] = e.Kind switch
                {
                    VirtualDiskManaged.FileSystems.FileSystemEntryKind.Directory => "d",
                    VirtualDiskManaged.FileSystems.FileSystemEntryKind.Symlink => "l:" + e.SymlinkTarget,
                    _ => Convert.ToHexString(SHA256.HashData(rr.OpenFile(e))),
                };
            }
            Assert.That(seen, Is.EqualTo(source));
            Assert.That(rr.VolumeLabel, Is.EqualTo("TESTVOL"));
        }
        using var joliet = VirtualDiskManaged.FileSystems.FileSystem.Open(stream, new() { Namespace = VirtualDiskManaged.FileSystems.FileSystemNamespace.Joliet });
        var jolietFiles = joliet.EnumerateTree("/").Where(e => !e.IsDirectory).Select(e => Convert.ToHexString(SHA256.HashData(joliet.OpenFile(e)))).OrderBy(h => h, StringComparer.Ordinal);
        Assert.That(jolietFiles, Is.EqualTo(source.Values.Where(v => v != "d" && !v.StartsWith("l:", StringComparison.Ordinal)).OrderBy(h => h, StringComparer.Ordinal)));
    }

    [Test]
    public void SevenZipReadsJolietNamesTruncatedTo64()
    {
        Require("7zz");
        string src = HardTree();
        string iso = Build(src, All());
        var (rc, output, err) = Run("7zz", "l", "-slt", iso);
        Assert.That(rc, Is.EqualTo(0), err);
        var paths = output.Split('\n').Where(l => l.StartsWith("Path = ", StringComparison.Ordinal)).Select(l => l[7..].Trim()).ToList();
        Assert.That(paths, Does.Contain("user-data"));
        Assert.That(paths, Does.Contain(Path.Combine("many", "entry-0299.dat")));
        Assert.That(paths, Does.Contain(new string('n', 64)), "Joliet names are cut at 64 characters");
        string unicode = paths.Single(p => p.StartsWith("Ünïcödé", StringComparison.Ordinal));
        Assert.That(unicode, Has.Length.EqualTo(64));
        Assert.That(unicode, Does.EndWith(".txt"), "the extension survives truncation");
        Assert.That(paths, Does.Contain(string.Join('/', Enumerable.Range(1, 12).Select(i => "level" + i)) + "/bottom.txt"), "Joliet has no depth limit, no relocation");
        Assert.That(paths.Any(p => p.Contains("rr_moved", StringComparison.Ordinal)), Is.False);
        Assert.That(paths.Any(p => p.Contains("link", StringComparison.Ordinal)), Is.False, "Joliet records no symbolic links");

        // 7-Zip's bytes equal the source's for every file whose name Joliet keeps whole.
        string outDir = P("7z");
        var (xrc, _, xerr) = Run("7zz", "x", "-y", "-o" + outDir, iso);
        Assert.That(xrc, Is.EqualTo(0), xerr);
        var extracted = Describe(outDir);
        var source = Describe(src).Where(kv => !kv.Value.StartsWith("l:", StringComparison.Ordinal) && kv.Key.Split('/').All(c => c.Length <= 64)).ToDictionary();
        foreach (var (path, value) in source) Assert.That(extracted.GetValueOrDefault(path), Is.EqualTo(value), path);
    }

    [Test]
    public void JolietLongNamesKeep103Characters()
    {
        Require("7zz");
        string src = P("long");
        Directory.CreateDirectory(src);
        string name = new string('j', 120) + ".txt";
        File.WriteAllText(Path.Combine(src, name), "x");
        string iso = Build(src, new IsoBuildOptions { Joliet = true, JolietLongNames = true, Timestamp = Epoch });
        var (_, output, _) = Run("7zz", "l", "-slt", iso);
        string path = output.Split('\n').Single(l => l.StartsWith("Path = j", StringComparison.Ordinal))[7..].Trim();
        Assert.That(path, Is.EqualTo(new string('j', 99) + ".txt"));
    }

    [Test]
    public void IsoinfoReportsTheDescriptorsAndBothExtensions()
    {
        Require("isoinfo");
        string src = HardTree();
        string iso = Build(src, All("cidata"));
        var (rc, output, err) = Run("isoinfo", "-d", "-i", iso);
        Assert.That(rc, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("Volume id: cidata"));
        Assert.That(output, Does.Contain("Logical block size is: 2048"));
        Assert.That(output, Does.Contain("Joliet with UCS level 3 found"));
        Assert.That(output, Does.Contain("Rock Ridge signatures version 1 found"));
        long blocks = long.Parse(output.Split('\n').Single(l => l.StartsWith("Volume size is:", StringComparison.Ordinal))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(blocks * 2048, Is.EqualTo(new FileInfo(iso).Length), "the volume space size covers the image exactly");
        var (rrc, rr, rerr) = Run("isoinfo", "-l", "-R", "-i", iso);
        Assert.That(rrc, Is.EqualTo(0), rerr);
        Assert.That(rr, Does.Contain(new string('n', 200)));
        Assert.That(rr, Does.Contain("-> user-data"));
        var (jrc, joliet, jerr) = Run("isoinfo", "-l", "-J", "-i", iso);
        Assert.That(jrc, Is.EqualTo(0), jerr);
        Assert.That(joliet, Does.Contain("meta-data"));
    }

    [Test]
    public void CloudInitSeedHasTheLabelAndFilesEveryReaderNeeds()
    {
        Require("bsdtar", "7zz", "isoinfo");
        string userData = P("user-data"), metaData = P("meta-data");
        File.WriteAllText(userData, "#cloud-config\npassword: x\n");
        File.WriteAllText(metaData, "instance-id: seed\n");
        var builder = new IsoImageBuilder(new IsoBuildOptions { VolumeId = "cidata", Joliet = true, RockRidge = true, Timestamp = Epoch });
        builder.AddFile("/user-data", userData);
        builder.AddFile("/meta-data", metaData);
        string iso = P("seed.iso");
        builder.Build(iso);
        var (_, d, _) = Run("isoinfo", "-d", "-i", iso);
        Assert.That(d, Does.Contain("Volume id: cidata"), "cloud-init NoCloud finds its seed by this label");
        var (_, listing, _) = Run("bsdtar", "-tf", iso);
        Assert.That(listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l != "."), Is.EquivalentTo(new[] { "meta-data", "user-data" }));
        var (_, content, _) = Run("bsdtar", "-xOf", iso, "user-data");
        Assert.That(content, Is.EqualTo(File.ReadAllText(userData)));
        var (_, seven, _) = Run("7zz", "l", "-slt", iso);
        Assert.That(seven, Does.Contain("Path = user-data").And.Contain("Path = meta-data"));
    }

    [Test]
    public void SameInputsAndDateGiveByteIdenticalImages()
    {
        string src = HardTree();
        string a = Build(src, All(), "a.iso");
        string b = Build(src, All(), "b.iso");
        Assert.That(Sha(b), Is.EqualTo(Sha(a)));
        string c = Build(src, new IsoBuildOptions { VolumeId = "TESTVOL", Joliet = true, RockRidge = true, Timestamp = Epoch.AddDays(1) }, "c.iso");
        Assert.That(Sha(c), Is.Not.EqualTo(Sha(a)), "the time stamp is part of the image");
    }

    [Test]
    public void SourceDateEpochIsTheDefaultTimestamp()
    {
        string old = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH") ?? "";
        try
        {
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", "1700000000");
            Assert.That(new IsoImageBuilder().Timestamp, Is.EqualTo(Epoch));
            Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", "soon");
            var e = Assert.Throws<VirtualDiskException>(() => _ = new IsoImageBuilder());
            Assert.That(e!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildOptionInvalid));
        }
        finally { Environment.SetEnvironmentVariable("SOURCE_DATE_EPOCH", old.Length == 0 ? null : old); }
    }

    [Test]
    public void NamesAreMappedPerInterchangeLevel()
    {
        Require("isoinfo");
        string src = P("names");
        Directory.CreateDirectory(src);
        foreach (var n in new[] { "readme.txt", "README.TXT", "a-very-long-file-name-for-level-one.tar.gz", "dir.with.dots" })
            File.WriteAllText(Path.Combine(src, n), n);
        Directory.CreateDirectory(Path.Combine(src, "a_directory_name_longer_than_31_characters"));
        string level1 = Build(src, new IsoBuildOptions { InterchangeLevel = 1, Timestamp = Epoch }, "l1.iso");
        var names1 = IsoNames(level1);
        // ECMA-119 §10.1: 8.3 files, 8-character directories, d-characters only; "readme.txt" and "README.TXT" collide.
        Assert.That(names1, Is.SupersetOf(new[] { "README.TXT;1", "README1.TXT;1", "A_VERY_L.GZ;1", "DIR_WITH.DOT;1", "A_DIRECT" }));
        Assert.That(names1.All(n => n.Length <= 14), Is.True, string.Join(", ", names1));
        string level2 = Build(src, new IsoBuildOptions { InterchangeLevel = 2, Timestamp = Epoch }, "l2.iso");
        var names2 = IsoNames(level2);
        // §7.5.2: name + extension at most 30 characters; §7.6.3: directories at most 31.
        Assert.That(names2.Single(n => n.StartsWith("A_VERY", StringComparison.Ordinal)).Replace(";1", "").Replace(".", ""), Has.Length.EqualTo(30));
        Assert.That(names2, Does.Contain("A_DIRECTORY_NAME_LONGER_THAN_31"));
    }

    private static List<string> IsoNames(string iso)
    {
        var (rc, output, err) = Run("isoinfo", "-l", "-i", iso);
        Assert.That(rc, Is.EqualTo(0), err);
        return output.Split('\n').Where(l => l.Contains(']', StringComparison.Ordinal)).Select(l => l[(l.IndexOf(']', StringComparison.Ordinal) + 1)..].Trim())
            .Where(n => n is not "." and not "..").ToList();
    }

    [Test]
    public void BiosAndUefiEntriesAreWhatXorrisoReports()
    {
        Require("xorriso", "mformat", "mmd", "mcopy", "bsdtar");
        var boot = new byte[4096];
        for (int i = 0; i < boot.Length; i++) boot[i] = (byte)(i * 7 + 3);
        string bootFile = P("isolinux.bin");
        File.WriteAllBytes(bootFile, boot);
        string efi = P("efi.img");
        var (mrc, _, merr) = Run("mformat", "-i", efi, "-C", "-f", "1440", "::");
        Assert.That(mrc, Is.EqualTo(0), merr);
        Run("mmd", "-i", efi, "::/EFI");
        Run("mmd", "-i", efi, "::/EFI/BOOT");
        File.WriteAllText(P("BOOTX64.EFI"), "not really an EFI binary");
        var (crc, _, cerr) = Run("mcopy", "-i", efi, P("BOOTX64.EFI"), "::/EFI/BOOT/BOOTX64.EFI");
        Assert.That(crc, Is.EqualTo(0), cerr);

        var builder = new IsoImageBuilder(new IsoBuildOptions
        {
            VolumeId = "BOOTABLE", RockRidge = true, Joliet = true, Timestamp = Epoch,
            BiosBootPath = "/isolinux/isolinux.bin", BootInfoTable = true, EfiBootPath = "/boot/efi.img",
        });
        builder.AddFile("/isolinux/isolinux.bin", bootFile);
        builder.AddFile("/boot/efi.img", efi);
        string iso = P("boot.iso");
        builder.Build(iso);

        var (rc, report, err) = Run("xorriso", "-indev", iso, "-report_el_torito", "plain");
        Assert.That(rc, Is.EqualTo(0), err);
        var entries = report.Split('\n').Where(l => l.StartsWith("El Torito boot img :", StringComparison.Ordinal)).ToList();
        Assert.That(entries, Has.Count.EqualTo(2), report);
        Assert.That(entries[0], Does.Match(@":\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+4\s+\d+"), report);
        Assert.That(entries[1], Does.Match(@":\s+2\s+UEFI\s+y\s+none\s+0x0000\s+0x00\s+2880\s+\d+"), report);
        Assert.That(report, Does.Match(@"El Torito img path :\s+1\s+/isolinux/isolinux.bin"));
        Assert.That(report, Does.Match(@"El Torito img opts :\s+1\s+boot-info-table"), "xorriso recognises the boot info table");
        Assert.That(report, Does.Match(@"El Torito img path :\s+2\s+/boot/efi.img"));

        // The boot info table (mkisofs -boot-info-table): PVD at 16, the file's block, its length, the checksum of bytes 64 on.
        long lba = long.Parse(System.Text.RegularExpressions.Regex.Match(entries[0], @"\s(\d+)\s*$").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var (_, patched, _) = RunBytes("bsdtar", "-xOf", iso, "isolinux/isolinux.bin");
        Assert.That(patched, Has.Length.EqualTo(boot.Length));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(patched.AsSpan(8)), Is.EqualTo(16));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(patched.AsSpan(12)), Is.EqualTo(lba));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(patched.AsSpan(16)), Is.EqualTo(boot.Length));
        uint sum = 0;
        for (int i = 64; i < boot.Length; i += 4) sum += BinaryPrimitives.ReadUInt32LittleEndian(boot.AsSpan(i));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(patched.AsSpan(20)), Is.EqualTo(sum));
        Assert.That(patched.AsSpan(24, 40).ToArray(), Is.All.EqualTo(0));
        Assert.That(patched.AsSpan(64).ToArray(), Is.EqualTo(boot.AsSpan(64).ToArray()));
        Assert.That(File.ReadAllBytes(bootFile), Is.EqualTo(boot), "the source file is never patched in place");
        var (_, efiCopy, _) = RunBytes("bsdtar", "-xOf", iso, "boot/efi.img");
        Assert.That(efiCopy, Is.EqualTo(File.ReadAllBytes(efi)));
    }

    [Test]
    public void UefiOnlyImageHasAnEfiDefaultEntry()
    {
        Require("xorriso");
        var builder = new IsoImageBuilder(new IsoBuildOptions { Timestamp = Epoch, EfiBootPath = "/efi.img" });
        builder.AddFile("/efi.img", new byte[1474560]);
        string iso = P("efi.iso");
        builder.Build(iso);
        var (_, report, _) = Run("xorriso", "-indev", iso, "-report_el_torito", "plain");
        var entries = report.Split('\n').Where(l => l.StartsWith("El Torito boot img :", StringComparison.Ordinal)).ToList();
        Assert.That(entries, Has.Count.EqualTo(1), report);
        Assert.That(entries[0], Does.Match(@":\s+1\s+UEFI\s+y\s+none\s+0x0000\s+0x00\s+2880\s+\d+"), report);
    }

    [Test]
    public void SparseFiveGibFileRoundTripsAsMultiExtentWithoutACopy()
    {
        Require("xorriso", "isoinfo", "bsdtar");
        const long size = 5L << 30;
        string big = P("big.raw");
        using (var f = new FileStream(big, FileMode.CreateNew))
        {
            f.SetLength(size);
            foreach (long at in new[] { 0L, 0xFFFFF800L - 16, 0xFFFFF800L, size - 16 })
            {
                f.Position = at;
                f.Write(Encoding.ASCII.GetBytes($"M{at:X15}"));
            }
        }
        var builder = new IsoImageBuilder(new IsoBuildOptions { RockRidge = true, Timestamp = Epoch });
        builder.AddFile("/big.raw", big);
        string iso = P("big.iso");
        builder.Build(iso);
        // The data, about 23 blocks of structures, and the 150 blocks (300 KiB) of padding genisoimage and xorriso also append.
        Assert.That(new FileInfo(iso).Length, Is.EqualTo(size + (23 + 150) * 2048L).Within(64 * 2048L));

        // isoinfo lists each file section; ECMA-119 §9.1.4: 4 GiB − 2048 in the first, the rest in the second.
        var (_, listing, _) = Run("isoinfo", "-l", "-i", iso);
        var sections = listing.Split('\n').Where(l => l.Contains("BIG.RAW;1", StringComparison.Ordinal)).ToList();
        Assert.That(sections, Has.Count.EqualTo(2), listing);
        Assert.That(sections[0], Does.Contain("4294965248"));
        Assert.That(sections[1], Does.Contain((size - 4294965248L).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var (_, tar, _) = Run("bsdtar", "-tvf", iso);
        Assert.That(tar, Does.Contain(size.ToString(System.Globalization.CultureInfo.InvariantCulture) + " "), "bsdtar joins the sections");
        foreach (long at in new[] { 0L, 0xFFFFF800L - 16, 0xFFFFF800L, size - 16 })
        {
            string piece = P($"piece-{at:X}");
            var (rc, _, err) = Run("xorriso", "-osirrox", "on", "-indev", iso, "-extract_cut", "/big.raw", at.ToString(System.Globalization.CultureInfo.InvariantCulture), "16", piece);
            Assert.That(rc, Is.EqualTo(0), err);
            Assert.That(File.ReadAllText(piece), Is.EqualTo($"M{at:X15}"), $"bytes at {at}");
        }
    }

    [Test]
    public void FilesOver4GibNeedLevel3()
    {
        var builder = new IsoImageBuilder(new IsoBuildOptions { InterchangeLevel = 2, Timestamp = Epoch });
        var e = Assert.Throws<VirtualDiskException>(() => builder.AddFile("/big", () => Stream.Null, 5L << 30));
        Assert.That(e!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildFileTooLarge));
        Assert.That(e.Diagnostic.EntryPath, Is.EqualTo("/big"));
    }

    /// <summary>A source removed between adding it and writing it is the source's failure (ERROR_FILE_NOT_FOUND, its host path), not an exception, and leaves nothing.</summary>
    [Test]
    public void ASourceThatVanishesIsReportedWithItsPath()
    {
        string src = P("vanishing.txt");
        File.WriteAllText(src, "0123456789");
        var builder = new IsoImageBuilder(new IsoBuildOptions { Timestamp = Epoch });
        builder.AddFile("/vanishing.txt", src);
        File.Delete(src);
        string iso = P("fail.iso");
        var e = Assert.Throws<VirtualDiskException>(() => builder.Build(iso));
        Assert.That(e!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildSourceUnreadable));
        Assert.That(e.Diagnostic.Code, Is.EqualTo(VirtualDiskError.FileNotFound));
        Assert.That(e.Diagnostic.FilePath, Is.EqualTo(src));
        Assert.That(File.Exists(iso), Is.False);
        Assert.That(Directory.GetFiles(_dir).Where(f => f.EndsWith(".tmp", StringComparison.Ordinal)), Is.Empty, "the temporary file is removed");
    }

    /// <summary>
    /// A host name that is not valid UTF-8 (Linux names are bytes): .NET lists it with U+FFFD and cannot open it by
    /// that name, so the walk stops with IsoBuildSourceUnreadable naming it (genisoimage -J refuses such a name too),
    /// and `vdisk mkiso` exits 1 with the path, leaving no image.
    /// </summary>
    [Test]
    public void AHostNameThatIsNotUtf8IsAClearFailure()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("Windows names are UTF-16");
        string src = P("tree");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "good"), "g");
        // A name with the byte 0xFF, made by the shell: .NET strings cannot carry it.
        var (rc, _, err) = RunIn(src, "sh", "-c", "printf x > \"$(printf 'bad\\377name')\"");
        Assert.That(rc, Is.EqualTo(0), err);
        try
        {
            Assert.That(Directory.GetFiles(src).Any(f => f.Contains('\uFFFD')), Is.True, "the test's bad name exists");
            var builder = new IsoImageBuilder(new IsoBuildOptions { RockRidge = true, Timestamp = Epoch });
            var e = Assert.Throws<VirtualDiskException>(() => builder.AddTree(src));
            Assert.That(e!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildSourceUnreadable));
            Assert.That(e.Diagnostic.FilePath, Does.StartWith(Path.Combine(src, "bad")));
            Assert.That(e.Diagnostic.Message, Does.Contain("UTF-8"));

            var cli = VirtualDiskManaged.Tests.Cli.CliRunner.Run("mkiso", "-R", "-o", P("bad.iso"), src);
            Assert.That(cli.ExitCode, Is.EqualTo(1), cli.ToString());
            Assert.That(cli.Stderr, Does.Contain("IsoBuildSourceUnreadable").And.Contain(Path.Combine(src, "bad")));
            Assert.That(File.Exists(P("bad.iso")), Is.False);
        }
        finally
        {
            // .NET cannot delete the file by the name it lists (the same reason it cannot open it): the shell can.
            RunIn(src, "sh", "-c", "rm -f \"$(printf 'bad\\377name')\"");
        }
    }

    private IsoImageBuilder OutputTestBuilder()
    {
        File.WriteAllText(P("a.txt"), "a");
        File.WriteAllBytes(P("zeros.bin"), new byte[1 << 20]); // a zero run the writer may turn into a hole
        var b = new IsoImageBuilder(new IsoBuildOptions { RockRidge = true, Timestamp = Epoch });
        b.AddFile("/a.txt", P("a.txt"));
        b.AddFile("/zeros.bin", P("zeros.bin"));
        return b;
    }

    /// <summary>An output path that names one of the image's sources is refused and the source is left as it was.</summary>
    [Test]
    public void AnOutputThatIsOneOfTheSourcesIsRefused()
    {
        var b = OutputTestBuilder();
        var e = Assert.Throws<VirtualDiskException>(() => b.Build(P("a.txt")));
        Assert.That(e!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildOutputIsSource));
        Assert.That(File.ReadAllText(P("a.txt")), Is.EqualTo("a"));
        var cli = VirtualDiskManaged.Tests.Cli.CliRunner.Run("mkiso", "-o", P("zeros.bin"), P("zeros.bin"));
        Assert.That(cli.ExitCode, Is.EqualTo(1), cli.ToString());
        Assert.That(File.ReadAllBytes(P("zeros.bin")), Has.Length.EqualTo(1 << 20));
    }

    /// <summary>
    /// Written over an existing file's bytes through Build(Stream) (as onto a device), the image has its zeros written:
    /// the result equals the image built to a new file, not the old bytes where the image has zero runs.
    /// </summary>
    [Test]
    public void ZerosAreWrittenOverExistingBytes()
    {
        string fresh = P("fresh.iso");
        long size = OutputTestBuilder().Build(fresh);
        Assert.That(size, Is.EqualTo(new FileInfo(fresh).Length));
        string old = P("old.bin");
        File.WriteAllBytes(old, Enumerable.Repeat((byte)0xFF, (int)size + 4096).ToArray());
        using (var over = new FileStream(old, FileMode.Open, FileAccess.ReadWrite))
            Assert.That(OutputTestBuilder().Build(over), Is.EqualTo(size));
        var written = File.ReadAllBytes(old);
        Assert.That(written.AsSpan(0, (int)size).SequenceEqual(File.ReadAllBytes(fresh)), Is.True);
        Assert.That(written.AsSpan((int)size).ToArray(), Is.All.EqualTo(0xFF), "nothing past the image is touched");
    }

    /// <summary>
    /// A FIFO at the output path is written in place (the reader gets the same bytes as a file build), a device such as
    /// /dev/null stays a device, a symbolic link stays a link with the image at its target, and `-o -` is stdout.
    /// </summary>
    [Test]
    public void SpecialOutputsAreWrittenInPlaceAndLinksFollowed()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("FIFOs and /dev/null are POSIX");
        Require("mkfifo", "stat");
        string fresh = P("fresh.iso");
        OutputTestBuilder().Build(fresh);
        byte[] expected = File.ReadAllBytes(fresh);

        string fifo = P("fifo");
        var (rc, _, err) = Run("mkfifo", fifo);
        Assert.That(rc, Is.EqualTo(0), err);
        var reader = Task.Run(() => File.ReadAllBytes(fifo));
        OutputTestBuilder().Build(fifo);
        Assert.That(reader.Wait(TimeSpan.FromSeconds(60)), Is.True, "the FIFO's reader finished");
        Assert.That(reader.Result, Is.EqualTo(expected));
        Assert.That(Run("stat", "-c", "%F", fifo).Out.Trim(), Is.EqualTo("fifo"));

        OutputTestBuilder().Build("/dev/null");
        Assert.That(Run("stat", "-c", "%F", "/dev/null").Out.Trim(), Is.EqualTo("character special file"));

        File.CreateSymbolicLink(P("link.iso"), "target.iso");
        OutputTestBuilder().Build(P("link.iso"));
        Assert.That(new FileInfo(P("link.iso")).LinkTarget, Is.EqualTo("target.iso"));
        Assert.That(File.ReadAllBytes(P("target.iso")), Is.EqualTo(expected));

        var cli = VirtualDiskManaged.Tests.Cli.CliRunner.Run("mkiso", "-R", "--date", "1700000000", "-o", "-", P("a.txt"), P("zeros.bin"));
        Assert.That(cli.ExitCode, Is.EqualTo(0), cli.Stderr);
        Assert.That(cli.Stderr, Does.Contain("stdout: " + expected.Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " bytes"));
        Assert.That(cli.StdoutBytes, Is.EqualTo(expected));
    }

    [Test]
    public void ASourceThatChangesLeavesNothingAtTheOutputPath()
    {
        string src = P("changing.txt");
        File.WriteAllText(src, "0123456789");
        var builder = new IsoImageBuilder(new IsoBuildOptions { Timestamp = Epoch });
        builder.AddFile("/changing.txt", src);
        File.WriteAllText(src, "0123");
        string iso = P("fail.iso");
        var e = Assert.Throws<VirtualDiskException>(() => builder.Build(iso));
        Assert.That(e!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildSourceChanged));
        Assert.That(File.Exists(iso), Is.False);
        Assert.That(Directory.GetFiles(_dir).Where(f => f.EndsWith(".tmp", StringComparison.Ordinal)), Is.Empty, "the temporary file is removed");
    }

    [Test]
    public void CancellationLeavesNothingBehind()
    {
        var builder = new IsoImageBuilder(new IsoBuildOptions { Timestamp = Epoch });
        builder.AddFile("/zeros", () => new MemoryStream(new byte[64 << 20]), 64 << 20);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.BytesWritten > 8 << 20) cts.Cancel(); });
        string iso = P("cancel.iso");
        Assert.That(() => builder.Build(iso, progress, cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public void ProgressReachesTheImageSize()
    {
        var builder = new IsoImageBuilder(new IsoBuildOptions { Timestamp = Epoch });
        builder.AddFile("/data", new byte[10 << 20]);
        var seen = new List<IsoBuildProgress>();
        string iso = P("p.iso");
        builder.Build(iso, new SyncProgress(seen.Add));
        Assert.That(seen[^1].BytesWritten, Is.EqualTo(new FileInfo(iso).Length));
        Assert.That(seen[^1].TotalBytes, Is.EqualTo(builder.ComputeSize()));
        Assert.That(seen.Select(s => s.BytesWritten), Is.Ordered);
    }

    [TestCase("/")]
    [TestCase("/a/../b")]
    [TestCase("/./x")]
    [TestCase("/nul\0name")]
    public void InvalidImagePathsAreRefused(string path)
    {
        var builder = new IsoImageBuilder();
        var e = Assert.Throws<VirtualDiskException>(() => builder.AddFile(path, new byte[1]));
        Assert.That(e!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildPathInvalid));
    }

    [Test]
    public void DuplicatePathsAndFilesUsedAsDirectoriesAreRefused()
    {
        var builder = new IsoImageBuilder();
        builder.AddFile("/a", new byte[1]);
        Assert.That(Assert.Throws<VirtualDiskException>(() => builder.AddFile("/a", new byte[1]))!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildDuplicatePath));
        Assert.That(Assert.Throws<VirtualDiskException>(() => builder.AddFile("/a/b", new byte[1]))!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoBuildPathInvalid));
    }

    /// <summary>
    /// Device nodes, FIFOs and sockets (RRIP §4.1.1 PX file type, §4.1.2 PN): bsdtar and xorriso list their types and
    /// device numbers as for a tree xorriso built from the same host files (`c 1,3`, `b 7,0`, `p`, `s`); isoinfo shows
    /// the Rock Ridge types and an empty file of each name in the ISO 9660 tree; the Joliet tree has none of them
    /// (xorriso leaves them out too); this library's reader gives the kinds and numbers back.
    /// </summary>
    [Test]
    public void DeviceNodesFifosAndSocketsKeepTheirTypesInRockRidge()
    {
        Require("bsdtar", "isoinfo", "xorriso");
        var b = new IsoImageBuilder(All());
        b.AddFile("/file", "content"u8.ToArray(), Epoch);
        b.AddSpecialFile("/dev/null", VirtualDiskManaged.FileSystems.FileSystemEntryKind.CharacterDevice, 1, 3, Epoch, 0x1B6);
        b.AddSpecialFile("/dev/loop0", VirtualDiskManaged.FileSystems.FileSystemEntryKind.BlockDevice, 7, 0, Epoch, 0x1B0);
        b.AddSpecialFile("/dev/nvme0n1p300", VirtualDiskManaged.FileSystems.FileSystemEntryKind.BlockDevice, 259, 300, Epoch, 0x1B0);
        b.AddSpecialFile("/run/pipe", VirtualDiskManaged.FileSystems.FileSystemEntryKind.Fifo, modificationTime: Epoch);
        b.AddSpecialFile("/run/sock", VirtualDiskManaged.FileSystems.FileSystemEntryKind.Socket, modificationTime: Epoch, mode: 0x1ED);
        string iso = P("special.iso");
        b.Build(iso);

        var (rc, tar, err) = Run("bsdtar", "-tvf", iso);
        Assert.That(rc, Is.EqualTo(0), err);
        string Line(string path) => tar.Split('\n').Single(l => l.EndsWith(" " + path, StringComparison.Ordinal));
        Assert.That(Line("dev/null"), Does.StartWith("crw-rw-rw-").And.Contain(" 1,3 "));
        Assert.That(Line("dev/loop0"), Does.StartWith("brw-rw----").And.Contain(" 7,0 "));
        Assert.That(Line("run/pipe"), Does.StartWith("prw-r--r--"));
        Assert.That(Line("run/sock"), Does.StartWith("srwxr-xr-x"));
        Assert.That(Line("file"), Does.StartWith("-rw-r--r--"));
        var (_, lsdl, _) = Run("xorriso", "-indev", iso, "-find", "/dev", "-exec", "lsdl");
        Assert.That(lsdl, Does.Match(@"crw-rw-rw-\s+1 0\s+0\s+1,3 .*'/dev/null'"));
        Assert.That(lsdl, Does.Match(@"brw-rw----\s+1 0\s+0\s+7,0 .*'/dev/loop0'"));

        var (_, rr, _) = Run("isoinfo", "-R", "-l", "-i", iso);
        Assert.That(rr, Does.Match(@"crw-rw-rw-.*\snull\s*\n").And.Match(@"frw-r--r--.*\spipe\s*\n").And.Match(@"srwxr-xr-x.*\ssock\s*\n"));
        var (_, plain, _) = Run("isoinfo", "-l", "-i", iso);
        Assert.That(plain, Does.Contain("NULL.;1").And.Contain("PIPE.;1").And.Contain("SOCK.;1"));
        var (_, joliet, _) = Run("isoinfo", "-J", "-l", "-i", iso);
        Assert.That(joliet, Does.Not.Contain(" null").And.Not.Contain(" pipe").And.Not.Contain(" sock").And.Contain(" file"));

        using var stream = File.OpenRead(iso);
        using var fs = VirtualDiskManaged.FileSystems.FileSystem.Open(stream, new() { Namespace = VirtualDiskManaged.FileSystems.FileSystemNamespace.RockRidge });
        var entries = fs.EnumerateTree("/").ToDictionary(e => e.Path, StringComparer.Ordinal);
        Assert.That(entries["/dev/null"].Kind, Is.EqualTo(VirtualDiskManaged.FileSystems.FileSystemEntryKind.CharacterDevice));
        Assert.That(entries["/dev/null"].DeviceNumber, Is.EqualTo(1L << 32 | 3));
        Assert.That(entries["/dev/loop0"].DeviceNumber, Is.EqualTo(7L << 32));
        // Beyond major 4095 / minor 255 PN holds major and minor as they are (high, low), as Linux rock.c decodes it.
        Assert.That(entries["/dev/nvme0n1p300"].DeviceNumber, Is.EqualTo(259L << 32 | 300));
        Assert.That(entries["/run/pipe"].Kind, Is.EqualTo(VirtualDiskManaged.FileSystems.FileSystemEntryKind.Fifo));
        Assert.That(entries["/run/pipe"].DeviceNumber, Is.Null, "PN only for devices");
        Assert.That(entries["/run/sock"].Kind, Is.EqualTo(VirtualDiskManaged.FileSystems.FileSystemEntryKind.Socket));

        // vdisk ls: the number in the size column as bsdtar prints it; --json "device" (schema-checked).
        var ls = VirtualDiskManaged.Tests.Cli.CliRunner.Run("ls", "-l", iso, "/dev");
        Assert.That(ls.ExitCode, Is.EqualTo(0), ls.Stderr);
        Assert.That(ls.Stdout, Does.Match(@"crw-rw-rw-\s+1\s+0\s+0\s+1,3 .* null\n").And.Match(@"brw-rw----\s+1\s+0\s+0\s+259,300 .* nvme0n1p300\n"));
        var json = VirtualDiskManaged.Tests.Cli.CliRunner.Run("ls", "--json", "-R", iso);
        Assert.That(json.ExitCode, Is.EqualTo(0), json.Stderr);
        var doc = json.Json();
        var schema = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "ls-result.schema.json"))).RootElement;
        Assert.That(VirtualDiskManaged.Tests.Cli.MiniSchema.Validate(schema, doc), Is.Empty);
        var byPath = doc.GetProperty("entries").EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!, StringComparer.Ordinal);
        Assert.That(byPath["/dev/loop0"].GetProperty("device").GetProperty("major").GetInt32(), Is.EqualTo(7));
        Assert.That(byPath["/dev/null"].GetProperty("device").GetProperty("minor").GetInt32(), Is.EqualTo(3));
        Assert.That(byPath["/run/pipe"].GetProperty("device").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
    }

    /// <summary>
    /// A host FIFO and socket met by the folder walk (and a FIFO given to AddFile) are recorded as such and never
    /// opened (opening a FIFO for reading would wait for a writer): bsdtar lists them as `p` and `s`.
    /// </summary>
    [Test]
    public void HostFifosAndSocketsAreRecordedNotRead()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("no FIFOs on Windows");
        Require("bsdtar", "mkfifo");
        string src = P("tree");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "regular"), "r");
        var (rc, _, err) = Run("mkfifo", Path.Combine(src, "pipe"), P("lone-pipe"));
        Assert.That(rc, Is.EqualTo(0), err);
        // The socket file lives while the socket is open (.NET removes it on Dispose).
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(src, "sock")));
        var b = new IsoImageBuilder(new IsoBuildOptions { RockRidge = true, Timestamp = Epoch });
        b.AddTree(src);
        b.AddFile("/lone-pipe", P("lone-pipe"));
        string iso = P("host.iso");
        b.Build(iso);
        var (tarRc, tar, tarErr) = Run("bsdtar", "-tvf", iso);
        Assert.That(tarRc, Is.EqualTo(0), tarErr);
        string Line(string path) => tar.Split('\n').Single(l => l.EndsWith(" " + path, StringComparison.Ordinal));
        Assert.That(Line("pipe"), Does.StartWith("p"));
        Assert.That(Line("lone-pipe"), Does.StartWith("p"));
        Assert.That(Line("sock"), Does.StartWith("s"));
        Assert.That(Line("regular"), Does.StartWith("-"));
    }

    [Test]
    public void HardLinksShareOneExtent()
    {
        Require("isoinfo", "bsdtar");
        var builder = new IsoImageBuilder(new IsoBuildOptions { RockRidge = true, Timestamp = Epoch });
        builder.AddFile("/first", Encoding.ASCII.GetBytes("shared content"));
        builder.AddHardLink("/dir/second", "/first");
        string iso = P("links.iso");
        builder.Build(iso);
        var (_, rr, _) = Run("isoinfo", "-l", "-R", "-i", iso);
        var extents = rr.Split('\n').Where(l => l.EndsWith("first ", StringComparison.Ordinal) || l.EndsWith("second ", StringComparison.Ordinal) || l.Contains(" first", StringComparison.Ordinal) || l.Contains(" second", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf('[', StringComparison.Ordinal) + 1)..l.IndexOf(']', StringComparison.Ordinal)].Trim()).Distinct().ToList();
        Assert.That(extents, Has.Count.EqualTo(1), rr);
        Assert.That(rr, Does.Contain("   2 "), "PX link count 2");
        var (_, tar, _) = Run("bsdtar", "-tvf", iso);
        Assert.That(tar, Does.Contain("link to"), "bsdtar reports the second name as a hard link");
    }

    private static string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static (int Exit, byte[] Out, string Err) RunBytes(string tool, params string[] args)
    {
        var r = Cli.CliRunner.RunProcess(tool, args);
        return (r.ExitCode, r.StdoutBytes, r.Stderr);
    }

    private sealed class SyncProgress(Action<IsoBuildProgress> report) : IProgress<IsoBuildProgress>
    {
        public void Report(IsoBuildProgress value) => report(value);
    }
}
