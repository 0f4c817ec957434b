using System.Security.Cryptography;
using System.Text;
using VirtualDiskManaged.IsoBuild;
using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.IsoBuild.IsoBuildTools;

namespace VirtualDiskManaged.Tests.IsoBuild;

/// <summary>
/// Pins the builder's exact output for a fixed generated tree and date, so a change of its internal data structures
/// (docs/mkiso.md "Memory") cannot change a byte of what it writes. The expected SHA-256 values were produced by the
/// previous builder (main at 885c5b1, before the per-entry memory work) from this very tree, and those images were
/// checked by independent readers at the time (isoinfo -d / -l -R -J and xorriso -indev X -find listed every entry
/// with its Rock Ridge and Joliet name); they are not output of the code under test.
/// </summary>
[NonParallelizable]
public sealed class IsoBuildPinnedOutputTests
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = TestPaths.NewTempFolder("isopin");

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// A host tree with fixed modes and times: 3 folders of 40 files, names that collide once mapped to ISO
    /// identifiers, unicode and 200-byte names (continuation areas), 11 levels (relocation), empty files, a host
    /// hard link; boot files for BIOS (with a boot info table) and UEFI.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private string HostTree()
    {
        string src = Path.Combine(_dir, "src");
        var rnd = new Random(19);
        var folders = new List<string>();
        for (int d = 0; d < 3; d++)
        {
            string folder = Path.Combine(src, $"folder-{d}");
            Directory.CreateDirectory(folder);
            folders.Add(folder);
            for (int i = 0; i < 40; i++)
            {
                var bytes = new byte[rnd.Next(0, 5000)];
                rnd.NextBytes(bytes);
                string file = Path.Combine(folder, $"File.{i:D3}.data");
                File.WriteAllBytes(file, bytes);
            }
        }
        string names = Path.Combine(src, "names");
        Directory.CreateDirectory(names);
        folders.Add(names);
        foreach (var n in new[] { "a.b.c", "A.B.C.", "a b c", "ab-c", "ab_c", "AB+C", ".hidden", "noext", "x.verylongextension", "Ünïcödé 日本語.txt",
                     new string('n', 200), "short.TXT", "short.txt", "Short.Txt", "12345678901234567890123456789012345.ext" })
            File.WriteAllText(Path.Combine(names, n), n);
        File.WriteAllBytes(Path.Combine(names, "empty"), []);
        string deep = src;
        for (int i = 1; i <= 11; i++) { deep = Path.Combine(deep, "level" + i); Directory.CreateDirectory(deep); folders.Add(deep); }
        File.WriteAllText(Path.Combine(deep, "bottom.txt"), "eleven levels down");
        var boot = new byte[6000];
        rnd.NextBytes(boot);
        File.WriteAllBytes(Path.Combine(src, "boot.bin"), boot);
        var efi = new byte[70_000];
        rnd.NextBytes(efi);
        File.WriteAllBytes(Path.Combine(src, "efi.img"), efi);
        var (rc, _, err) = Run("ln", Path.Combine(src, "folder-0", "File.000.data"), Path.Combine(src, "folder-1", "hard link"));
        Assert.That(rc, Is.EqualTo(0), err);

        long t = 1_690_000_000;
        foreach (var f in Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            File.SetUnixFileMode(f, (UnixFileMode)(f.EndsWith(".bin", StringComparison.Ordinal) ? 0x1ED : 0x1A4));
            File.SetLastWriteTimeUtc(f, DateTimeOffset.FromUnixTimeSeconds(t += 61).UtcDateTime);
        }
        folders.Add(src);
        foreach (var d in folders.OrderByDescending(f => f.Length).ThenBy(f => f, StringComparer.Ordinal))
        {
            File.SetUnixFileMode(d, (UnixFileMode)0x1ED);
            Directory.SetLastWriteTimeUtc(d, DateTimeOffset.FromUnixTimeSeconds(t += 3600).UtcDateTime);
        }
        return src;
    }

    /// <summary>Entries added through the API: streams, bytes, symbolic links (one with a long target), hard links, directories.</summary>
    private static void ApiEntries(IsoImageBuilder b, bool rockRidge)
    {
        b.AddDirectory("/api/sub", Epoch.AddDays(-3), 0x1C0);
        b.AddFile("/api/bytes.txt", Encoding.UTF8.GetBytes("from bytes"), Epoch.AddDays(-2), 0x180);
        b.AddFile("/api/sub/stream.bin", () => new MemoryStream(Enumerable.Range(0, 9000).Select(i => (byte)(i * 7)).ToArray()), 9000, Epoch.AddDays(-1));
        b.AddFile("/api/future.txt", Encoding.UTF8.GetBytes("clamped"), Epoch.AddDays(30));
        b.AddHardLink("/api/sub/second-name", "/api/bytes.txt");
        if (rockRidge)
        {
            b.AddSymlink("/api/relative", "../names/short.txt", Epoch.AddHours(-5));
            b.AddSymlink("/api/long-target", "/" + string.Join('/', Enumerable.Range(0, 20).Select(i => $"component-{i:D2}-" + new string('x', i))), Epoch.AddHours(-4));
        }
    }

    /// <summary>The pins predate the end padding, so they are built without it (Padding = false); the padded image is
    /// checked against them in <see cref="PaddingIsThePinnedImageWith150ZeroBlocksInsideTheVolume"/>.</summary>
    private string BuildPinned(IsoBuildOptions options, string name)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("host modes and hard links are POSIX here");
            return "";
        }
        Require("ln");
        string src = HostTree();
        var b = new IsoImageBuilder(options);
        b.AddTree(src);
        ApiEntries(b, options.RockRidge);
        string iso = Path.Combine(_dir, name);
        b.Build(iso);
        return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(iso)));
    }

    [Test]
    public void RockRidgeJolietAndBootAtLevel3AreByteForByteThePreviousBuildersOutput()
    {
        string sha = BuildPinned(new IsoBuildOptions
        {
            VolumeId = "PINNED", Joliet = true, RockRidge = true, Timestamp = Epoch,
            BiosBootPath = "/boot.bin", BootInfoTable = true, EfiBootPath = "/efi.img", Padding = false,
        }, "rr-joliet-boot.iso");
        Assert.That(sha, Is.EqualTo("CFFE9EBCC3E40A16BF3E7C31EFC6C5808E43F671120D151E1969F04A957DF9E5"));
    }

    [Test]
    public void Level1WithLongJolietNamesIsByteForByteThePreviousBuildersOutput()
    {
        string sha = BuildPinned(new IsoBuildOptions { VolumeId = "PINNED1", InterchangeLevel = 1, Joliet = true, JolietLongNames = true, Timestamp = Epoch, Padding = false }, "level1.iso");
        Assert.That(sha, Is.EqualTo("6E0C0F7E5AB6551D49B5D18C163B2A46342C074F6229912D0D41B1C86BDE6CA4"));
    }

    [Test]
    public void Level2RockRidgeOnlyIsByteForByteThePreviousBuildersOutput()
    {
        string sha = BuildPinned(new IsoBuildOptions { VolumeId = "PINNED2", InterchangeLevel = 2, RockRidge = true, Timestamp = Epoch, EfiBootPath = "/efi.img", Padding = false }, "level2.iso");
        Assert.That(sha, Is.EqualTo("C5F33957F06C9B9B2EA7FEF97CA90BD233B40B2B31C4F7BBD3FFD94DD92C00E9"));
    }

    /// <summary>
    /// The default padding (genisoimage -pad, xorriso -padding 300k: 150 blocks of 2048 bytes) on the pinned image: the
    /// same bytes up to the old end except the volume space size (ECMA-119 §8.4.8, both-endian at byte 80 of the
    /// primary and the Joliet descriptor, 150 more), then 307,200 zero bytes; isoinfo -d reports the larger volume.
    /// </summary>
    [Test]
    public void PaddingIsThePinnedImageWith150ZeroBlocksInsideTheVolume()
    {
        Require("isoinfo");
        var pinned = new IsoBuildOptions
        {
            VolumeId = "PINNED", Joliet = true, RockRidge = true, Timestamp = Epoch,
            BiosBootPath = "/boot.bin", BootInfoTable = true, EfiBootPath = "/efi.img", Padding = false,
        };
        string sha = BuildPinned(pinned, "unpadded.iso");
        Assert.That(sha, Is.EqualTo("CFFE9EBCC3E40A16BF3E7C31EFC6C5808E43F671120D151E1969F04A957DF9E5"), "the pinned bytes");
        var b = new IsoImageBuilder(new IsoBuildOptions
        {
            VolumeId = "PINNED", Joliet = true, RockRidge = true, Timestamp = Epoch,
            BiosBootPath = "/boot.bin", BootInfoTable = true, EfiBootPath = "/efi.img",
        });
        b.AddTree(Path.Combine(_dir, "src"));
        ApiEntries(b, rockRidge: true);
        string padded = Path.Combine(_dir, "padded.iso");
        b.Build(padded);

        byte[] old = File.ReadAllBytes(Path.Combine(_dir, "unpadded.iso")), now = File.ReadAllBytes(padded);
        Assert.That(now.Length, Is.EqualTo(old.Length + 150 * 2048));
        Assert.That(now.AsSpan(old.Length).ContainsAnyExcept((byte)0), Is.False, "the padding is zeros");
        uint oldBlocks = (uint)(old.Length / 2048);
        var descriptors = new List<int>();
        for (int block = 16; old[block * 2048] != 255; block++)
            if (old[block * 2048] is 1 or 2) descriptors.Add(block * 2048 + 80);
        Assert.That(descriptors, Has.Count.EqualTo(2), "primary and Joliet descriptors");
        foreach (int at in descriptors)
        {
            Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(old.AsSpan(at)), Is.EqualTo(oldBlocks));
            Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(now.AsSpan(at)), Is.EqualTo(oldBlocks + 150));
            Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(now.AsSpan(at + 4)), Is.EqualTo(oldBlocks + 150));
            old.AsSpan(at, 8).CopyTo(now.AsSpan(at)); // the one field that differs
        }
        Assert.That(now.AsSpan(0, old.Length).SequenceEqual(old), Is.True, "every other byte as pinned");
        var (rc, info, err) = Run("isoinfo", "-d", "-i", padded);
        Assert.That(rc, Is.EqualTo(0), err);
        Assert.That(info, Does.Contain($"Volume size is: {oldBlocks + 150}"));
    }

    /// <summary>
    /// Entries added in any order give the same image as entries added in name order (docs/mkiso.md: entries are
    /// sorted), also for a flat directory of thousands added out of order; bsdtar lists every one of them.
    /// </summary>
    [Test]
    public void AnOutOfOrderFlatDirectoryGivesTheSameImageAsAnOrderedOne()
    {
        Require("bsdtar");
        var names = Enumerable.Range(0, 5000).Select(i => $"entry-{i * 7919 % 5000:D5}-{(char)('a' + i % 26)}.dat").ToArray();
        string Build(IEnumerable<string> order, string file)
        {
            var b = new IsoImageBuilder(new IsoBuildOptions { VolumeId = "ORDER", Joliet = true, RockRidge = true, Timestamp = Epoch });
            foreach (var n in order) b.AddFile("/flat/" + n, Encoding.UTF8.GetBytes(n), Epoch.AddDays(-1));
            string iso = Path.Combine(_dir, file);
            b.Build(iso);
            return iso;
        }
        string sorted = Build(names.Order(StringComparer.Ordinal), "sorted.iso");
        string shuffled = Build(names.OrderBy(n => SHA256.HashData(Encoding.UTF8.GetBytes(n))[0]).ThenByDescending(n => n, StringComparer.Ordinal), "shuffled.iso");
        Assert.That(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(shuffled))), Is.EqualTo(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(sorted)))));
        var (rc, listing, err) = Run("bsdtar", "-tf", shuffled);
        Assert.That(rc, Is.EqualTo(0), err);
        var listed = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("flat/", StringComparison.Ordinal) && l.Length > 5).Select(l => l[5..]).ToHashSet(StringComparer.Ordinal);
        Assert.That(listed, Is.EquivalentTo(names.ToHashSet(StringComparer.Ordinal)));
    }
}
