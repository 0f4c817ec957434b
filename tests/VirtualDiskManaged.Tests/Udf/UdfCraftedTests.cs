using System.Buffers.Binary;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Udf;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Udf;

/// <summary>
/// Images UdfTestWriter crafts from ECMA-167 / OSTA UDF for what no tool here writes (metadata partitions with mirror,
/// VAT volumes with files, sparable volumes with a remapped packet, named streams, AEDs, strategy 4096), cross-checked
/// with udfinfo; the expected values are what the writer put there.
/// </summary>
[TestFixture]
public sealed class UdfCraftedTests
{
    private static readonly byte[] Big = UdfTools.Pseudo(150_000, 7);

    internal static UdfTestWriter Sample(UdfTestLayout layout, int blockSize = 2048, ushort revision = 0x0250, bool extended = true, bool strategy4096 = false, bool aed = false, int maxExtentBlocks = int.MaxValue)
    {
        var w = new UdfTestWriter(layout, blockSize)
        {
            Revision = revision, Extended = extended, Strategy4096 = strategy4096, UseAed = aed, MaxExtentBlocks = maxExtentBlocks,
        };
        w.File("/hello.txt", "hello, crafted udf\n"u8.ToArray())
         .File("/tiny", "abc"u8.ToArray())
         .File("/empty", [])
         .File("/big.bin", Big)
         .Directory("/dir1")
         .File("/dir1/Ünïcødé ☃.txt", "unicode\n"u8.ToArray())
         .Directory("/dir1/dir2")
         .File("/dir1/dir2/deep.bin", UdfTools.Pseudo(5000, 3))
         .Symlink("/link", "dir1/dir2/deep.bin");
        if (extended) w.Stream("/hello.txt", "meta", UdfTools.Pseudo(3000, 9));
        // A directory larger than a block, so FIDs straddle block boundaries (4/14.4).
        for (int i = 0; i < 120; i++) w.File($"/many/file-{i:D3}-with-a-longer-name.txt", [(byte)i]);
        return w;
    }

    private static FileSystemReader OpenBytes(byte[] image, FileSystemNamespace ns = FileSystemNamespace.Auto) =>
        FileSystem.Open(new MemoryStream(image, writable: false), new FileSystemOpenOptions { Namespace = ns });

    private static void AssertSample(FileSystemReader fs, bool extended = true)
    {
        Assert.That(fs, Is.InstanceOf<UdfFileSystem>());
        Assert.That(fs.VolumeLabel, Is.EqualTo("CRAFTED"));
        using (var s = fs.OpenFile("/hello.txt")) Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256("hello, crafted udf\n"u8.ToArray())));
        using (var s = fs.OpenFile("/big.bin")) Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256(Big)));
        using (var s = fs.OpenFile("/tiny")) Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256("abc"u8.ToArray())));
        using (var s = fs.OpenFile("/dir1/dir2/deep.bin")) Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256(UdfTools.Pseudo(5000, 3))));
        using (var s = fs.OpenFile("/dir1/Ünïcødé ☃.txt")) Assert.That(s.Length, Is.EqualTo(8));
        Assert.That(fs.GetEntry("/empty").Length, Is.EqualTo(0));
        var link = fs.GetEntry("/link");
        Assert.That(link.Kind, Is.EqualTo(FileSystemEntryKind.Symlink));
        Assert.That(link.SymlinkTarget, Is.EqualTo("dir1/dir2/deep.bin"));
        var hello = fs.GetEntry("/hello.txt");
        Assert.That(hello.Mode, Is.EqualTo(Convert.ToInt32("755", 8)), "permissions 4/14.9.5 → POSIX");
        Assert.That(hello.UserId, Is.EqualTo(1000));
        Assert.That(hello.GroupId, Is.EqualTo(100));
        Assert.That(hello.ModificationTime, Is.EqualTo(new DateTimeOffset(2024, 5, 6, 7, 8, 9, 100, TimeSpan.FromHours(1))), "timestamp with its +60 min zone");
        var many = fs.EnumerateDirectory("/many").Select(e => e.Name).ToList();
        Assert.That(many, Has.Count.EqualTo(120));
        Assert.That(many[119], Is.EqualTo("file-119-with-a-longer-name.txt"));
        var root = fs.EnumerateDirectory("/").ToList();
        if (extended)
        {
            var stream = root.Single(e => e.IsAssociated);
            Assert.That(stream.Name, Is.EqualTo("hello.txt:meta"));
            using var s = fs.OpenFile(stream);
            Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256(UdfTools.Pseudo(3000, 9))));
        }
        Assert.That(fs.Verify(), Is.Empty, "deep check of a sound crafted image");
    }

    public static IEnumerable<TestCaseData> Layouts()
    {
        foreach (var layout in Enum.GetValues<UdfTestLayout>())
            foreach (int bs in new[] { 512, 2048, 4096 })
                yield return new TestCaseData(layout, bs).SetName($"Crafted_{layout}_b{bs}");
    }

    [TestCaseSource(nameof(Layouts))]
    public void CraftedLayoutReads(UdfTestLayout layout, int blockSize)
    {
        var image = Sample(layout, blockSize, revision: layout == UdfTestLayout.Virtual15 ? (ushort)0x0150 : (ushort)0x0250, extended: layout != UdfTestLayout.Virtual15).Build();
        using var fs = OpenBytes(image);
        AssertSample(fs, extended: layout != UdfTestLayout.Virtual15);
        var udf = (UdfFileSystem)fs;
        Assert.That(udf.BlockSize, Is.EqualTo(blockSize));
        var expectedKind = layout switch
        {
            UdfTestLayout.Metadata => UdfPartitionKind.Metadata,
            UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20 => UdfPartitionKind.Virtual,
            UdfTestLayout.Sparable => UdfPartitionKind.Sparable,
            _ => UdfPartitionKind.Physical,
        };
        Assert.That(udf.Partitions[^1].Kind, Is.EqualTo(expectedKind));
        if (layout == UdfTestLayout.Sparable) Assert.That(udf.Partitions[0].RemappedPackets, Is.EqualTo(1));
        Assert.That(udf.Warnings, Is.Empty);
    }

    [Test]
    public void CraftedImagesPassUdfinfo()
    {
        UdfTools.Require("udfinfo");
        // udfinfo refuses the crafted sparable image ("Not enough blocks on device": it wants the media-size rules of
        // real CD-RW/DVD-RW sparable layouts), so that layout is checked by the reader tests only.
        foreach (var layout in Enum.GetValues<UdfTestLayout>().Where(l => l != UdfTestLayout.Sparable))
        {
            string folder = TestPaths.NewTempFolder("udfcraft");
            try
            {
                string image = Path.Combine(folder, "c.udf");
                File.WriteAllBytes(image, Sample(layout, revision: layout == UdfTestLayout.Virtual15 ? (ushort)0x0150 : (ushort)0x0250, extended: layout != UdfTestLayout.Virtual15).Build());
                int rc = UdfTools.Run("udfinfo", [image], out var output);
                Assert.That(rc, Is.EqualTo(0), $"{layout}: {output}");
                var info = UdfTools.UdfInfo(image);
                Assert.That(info["lvid"], Is.EqualTo("CRAFTED"), layout.ToString());
                Assert.That(info["blocksize"], Is.EqualTo("2048"), layout.ToString());
                Assert.That(info["udfrev"], Is.EqualTo(layout == UdfTestLayout.Virtual15 ? "1.50" : "2.50"), layout.ToString());
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Test]
    public void Strategy4096AedsMultiExtentAndFileEntries()
    {
        using (var fs = OpenBytes(Sample(UdfTestLayout.Physical, strategy4096: true).Build())) AssertSample(fs);
        using (var fs = OpenBytes(Sample(UdfTestLayout.Metadata, aed: true, maxExtentBlocks: 1).Build())) AssertSample(fs);
        using (var fs = OpenBytes(Sample(UdfTestLayout.Physical, extended: false, revision: 0x0102).Build())) AssertSample(fs, extended: false);
        using (var fs = OpenBytes(Sample(UdfTestLayout.Virtual20, strategy4096: true, maxExtentBlocks: 3).Build())) AssertSample(fs);
    }
}

/// <summary>The UDF reader over an opened image handle (the library's ISO provider recognises the UDF recognition sequence).</summary>
[TestFixture]
public sealed class UdfHandleTests
{
    [TestCase(".iso", 2048)]
    [TestCase(".udf", 2048)]
    [TestCase(".iso", 512)]
    [TestCase(".iso", 4096)]
    public void OpensThroughAVirtualDiskHandle(string extension, int blockSize)
    {
        string folder = TestPaths.NewTempFolder("udfh");
        try
        {
            string path = Path.Combine(folder, "image" + extension);
            File.WriteAllBytes(path, UdfCraftedTests.Sample(UdfTestLayout.Metadata, blockSize).Build());
            using var handle = VirtualDisk.Open(path);
            using var fs = FileSystem.Open(handle);
            Assert.That(fs, Is.InstanceOf<UdfFileSystem>());
            using var s = fs.OpenFile("/dir1/dir2/deep.bin");
            Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256(UdfTools.Pseudo(5000, 3))));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>Very large directories are enumerated lazily through a bounded window, never held whole.</summary>
[TestFixture]
public sealed class UdfLargeDirectoryTests
{
    [Test]
    public void LargeDirectoryIsReadLazily()
    {
        const int files = 8000;
        var w = new UdfTestWriter(UdfTestLayout.Metadata) { MetadataBlocks = 8400 };
        for (int i = 0; i < files; i++) w.File($"/big/f{i:D5}", [(byte)i]);
        var image = w.Build();
        using var fs = FileSystem.Open(new MemoryStream(image, writable: false), new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf });
        var big = fs.GetEntry("/big");
        Assert.That(big.Length, Is.GreaterThan(300_000), "the directory's FIDs take more than 300 KB");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var first = fs.EnumerateDirectory(big).Take(10).ToList();
        long used = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(first.Select(e => e.Name), Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"f{i:D5}")));
        Assert.That(used, Is.LessThan(200_000), "the first entries cost a window, not the directory");
        int n = 0;
        foreach (var e in fs.EnumerateDirectory(big)) { Assert.That(e.Name, Is.EqualTo($"f{n:D5}")); n++; }
        Assert.That(n, Is.EqualTo(files));
    }
}

/// <summary>Where real writers and drives leave the VAT: the last sector, or up to 152 sectors before the end (run-out).</summary>
[TestFixture]
public sealed class UdfVatPlacementTests
{
    [TestCase(0)]
    [TestCase(7)]
    [TestCase(32)]
    [TestCase(150)]
    [TestCase(152)]
    public void VatFoundWithPaddingAfterIt(int paddingSectors)
    {
        var image = UdfCraftedTests.Sample(UdfTestLayout.Virtual20).Build();
        var padded = new byte[image.Length + paddingSectors * 2048L];
        image.CopyTo(padded, 0);
        using var fs = FileSystem.Open(new MemoryStream(padded), new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf });
        using var s = fs.OpenFile("/dir1/dir2/deep.bin");
        Assert.That(UdfTools.Sha256(s), Is.EqualTo(UdfTools.Sha256(UdfTools.Pseudo(5000, 3))));
    }

    [Test]
    public void VatBeyondTheSearchWindowIsNotFound()
    {
        var image = UdfCraftedTests.Sample(UdfTestLayout.Virtual20).Build();
        var padded = new byte[image.Length + 100 * 2048L];
        image.CopyTo(padded, 0);
        Assert.That(FileSystem.TryOpen(new MemoryStream(padded), new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf }, out _, out var failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.UdfVatNotFound));
    }
}
