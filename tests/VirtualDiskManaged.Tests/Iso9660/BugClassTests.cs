using System.Buffers.Binary;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;
using static VirtualDiskManaged.Tests.Iso9660.CraftedIsoImage;

namespace VirtualDiskManaged.Tests.Iso9660;

/// <summary>
/// One crafted image per bug class of real ISO readers (CE loops, Joliet UTF-16 overflow, ZF and zisofs pointer
/// overflows, directory cycles, CL→CL relocation loops, records crossing a sector, extents past the end, huge
/// claimed sizes): every walk finishes, nothing allocates by a file's value, and the deep check names the problem.
/// </summary>
public sealed class BugClassTests
{
    private static Iso9660FileSystem Open(byte[] image, FileSystemNamespace ns = FileSystemNamespace.Auto) => CraftedStructureTests.Open(image, ns);

    private static List<FileSystemEntry> WalkAll(FileSystemReader fs) => fs.EnumerateTree().ToList();

    private static void Bounded(Action a, long cap = 4 << 20)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        a();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(cap), "allocation bounded whatever the file claims");
    }

    private static void Patch32(byte[] image, long at, uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan((int)at), v);
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan((int)at + 4), v);
    }

    [Test]
    public void CeSelfLoopAndLongChainsEnd()
    {
        // hello.txt's CE area (sector 23) ends with a CE back to itself (libarchive PR#3021 class).
        var iso = RockRidgeBase(out var first);
        var area = Cat(Nm(".txt"), Ce(23, 0, 0));
        int recordCe = iso.Image.AsSpan((int)first.HelloRecord).IndexOf("CE"u8);
        Patch32(iso.Image, first.HelloRecord + recordCe + 20, (uint)area.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(area.AsSpan(area.Length - 24 + 16), (uint)area.Length); // CE length field (LE half)
        BinaryPrimitives.WriteUInt32BigEndian(area.AsSpan(area.Length - 24 + 20), (uint)area.Length);
        area.CopyTo(iso.At(23));
        using (var fs = Open(iso.Image))
        {
            Bounded(() => Assert.That(WalkAll(fs).Select(e => e.Path), Does.Contain("/hello.txt")));
            var f = fs.Verify().Single(d => d.Reason == VirtualDiskErrorReason.IsoSuspContinuationLoop);
            Assert.That(f.EntryPath, Is.EqualTo("/hello.txt"), "reported under the entry's Rock Ridge path");
            Assert.That(f.Offset, Is.EqualTo(23 * Sector));
        }
        // 40 distinct areas chained (sectors 25–26, 64-byte steps): capped at 32 hops.
        var chain = RockRidgeBase(out var c);
        int chainCe = chain.Image.AsSpan((int)c.HelloRecord).IndexOf("CE"u8);
        Patch32(chain.Image, c.HelloRecord + chainCe + 4, 25);
        Patch32(chain.Image, c.HelloRecord + chainCe + 20, 28);
        for (int i = 0; i < 31; i++) Ce(25, (uint)(64 * (i + 1)), 28).CopyTo(chain.At(25)[(64 * i)..]);
        Ce(26, 0, 28).CopyTo(chain.At(25)[(64 * 31)..]);
        for (int i = 0; i < 9; i++) Ce(26, (uint)(64 * (i + 1)), 28).CopyTo(chain.At(26)[(64 * i)..]);
        using (var fs = Open(chain.Image))
        {
            WalkAll(fs);
            var f = fs.Verify().Single(d => d.Reason == VirtualDiskErrorReason.IsoSuspContinuationChainTooLong);
            Assert.That(f.EntryPath, Is.EqualTo("/hello"));
        }
        // A CE outside the volume.
        var outside = RockRidgeBase(out var at);
        var rec = outside.Image.AsSpan((int)at.HelloRecord);
        int ce = rec.IndexOf("CE"u8);
        Patch32(outside.Image, at.HelloRecord + ce + 4, 0x7FFFFFF0);
        using (var fs = Open(outside.Image))
        {
            Assert.That(fs.GetEntry("/hello").Name, Is.EqualTo("hello"), "the name's first part still stands");
            Assert.That(fs.Verify().Select(d => d.Reason), Does.Contain(VirtualDiskErrorReason.IsoSuspContinuationOutsideVolume));
        }
    }

    [Test]
    public void JolietNamesOfAnyLengthAndInvalidUtf16Decode()
    {
        // libarchive PR#2983 class: a Joliet name as long as a record allows (221 bytes: odd, so its last byte is
        // half a code unit) holding an unpaired high surrogate.
        var iso = new CraftedIsoImage(30);
        iso.Descriptor(16, 1, 20, Sector).Descriptor(17, 2, 21, Sector, joliet: true).Terminator(18);
        iso.Directory(20, 20, Sector, 1, []);
        var name = new byte[221];
        for (int i = 0; i + 1 < name.Length; i += 2) { name[i] = 0; name[i + 1] = (byte)'j'; }
        name[10] = 0xD8; name[11] = 0x01; // unpaired high surrogate
        iso.Directory(21, 21, Sector, 1, [Record(25, 4, 0, name)]);
        using var fs = Open(iso.Image);
        Assert.That(fs.Namespace, Is.EqualTo(FileSystemNamespace.Joliet));
        var e = WalkAll(fs).Single();
        Assert.That(e.Name.Length, Is.EqualTo(110));
        Assert.That(e.Name[5], Is.EqualTo('\uFFFD'));
        var finding = fs.Verify().Single(d => d.Reason == VirtualDiskErrorReason.IsoJolietNameInvalid);
        Assert.That(finding.Offset, Is.EqualTo(21 * Sector + 68));
    }

    [Test]
    public void ZfSizeOverflowAndPointerOverflowAreRefused()
    {
        // ZF claims 4 GiB − 1 bytes in a 2 KiB extent: 131,072 pointers cannot fit (libarchive zisofs_overflow class).
        var iso = Features();
        long z = Find(iso.Image, 20, "Z.TXT;1");
        int zf = iso.Image.AsSpan((int)z).IndexOf("ZF"u8);
        Patch32(iso.Image, z + zf + 8, 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(iso.At(40)[8..], 0xFFFFFFFF);
        using (var fs = Open(iso.Image))
        {
            var e = fs.GetEntry("/z.txt");
            Assert.That(e.Length, Is.EqualTo(0xFFFFFFFFL));
            Bounded(() => Assert.That(Assert.Throws<VirtualDiskException>(() => fs.OpenFile(e))!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoZisofsPointerOutOfRange)));
            Assert.That(fs.Verify().Select(d => d.Reason), Does.Contain(VirtualDiskErrorReason.IsoZisofsPointerOutOfRange));
        }
        // A block pointer past the file (Linux compress.c class): the read of that block fails, the others work.
        var bad = Features();
        BinaryPrimitives.WriteUInt32LittleEndian(bad.At(40)[(16 + 4)..], 0xFFFFFFF0);
        using (var fs = Open(bad.Image))
        {
            using var s = fs.OpenFile("/z.txt");
            var buf = new byte[100];
            var ex = Assert.Throws<VirtualDiskException>(() => s.ReadExactly(buf))!;
            Assert.That(ex.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoZisofsPointerOutOfRange));
            Assert.That(fs.Verify().Select(d => d.Reason), Does.Contain(VirtualDiskErrorReason.IsoZisofsPointerOutOfRange));
        }
        // An illegal block size.
        var log = Features();
        long z2 = Find(log.Image, 20, "Z.TXT;1");
        log.Image[z2 + log.Image.AsSpan((int)z2).IndexOf("ZF"u8) + 7] = 20;
        using (var fs = Open(log.Image))
        {
            Assert.That(Assert.Throws<VirtualDiskException>(() => fs.OpenFile("/z.txt"))!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoZisofsBlockSizeInvalid));
            Assert.That(fs.Verify().Select(d => d.Reason), Does.Contain(VirtualDiskErrorReason.IsoZisofsBlockSizeInvalid));
        }
    }

    [Test]
    public void DirectoryCycleIsSkippedAndReported()
    {
        // libarchive#522 class: /sub's extent is the root's.
        var iso = RockRidgeBase(out var at);
        Patch32(iso.Image, at.SubRecord + 2, 20);
        foreach (var ns in new[] { FileSystemNamespace.RockRidge, FileSystemNamespace.Iso9660 })
        {
            using var fs = Open(iso.Image, ns);
            Assert.That(WalkAll(fs).Select(e => e.Name.ToLowerInvariant()), Is.EquivalentTo(new[] { "hello.txt" }));
            var f = fs.Verify().First(d => d.Reason == VirtualDiskErrorReason.FileSystemDirectoryCycle);
            Assert.That(f.EntryPath!.ToLowerInvariant(), Is.EqualTo("/sub"));
            Assert.That(f.Offset, Is.EqualTo(at.SubRecord));
        }
    }

    [Test]
    public void RelocationLoopsAreRefused()
    {
        // /sub/inner becomes a CL placeholder for a directory at sector 26 whose "." record itself carries a CL (CL→CL).
        var iso = RockRidgeBase(out _);
        iso.Directory(26, 21, Sector, 1, [], Cat(Location("CL", 21)));
        var placeholder = Record(0, 0, 0, Name("INNER.;1"), Cat(Px(0x41ED), Nm("inner"), Location("CL", 26)));
        iso.At(21).Clear();
        iso.Directory(21, 20, Sector, 1, [placeholder]);
        using (var fs = Open(iso.Image))
        {
            Assert.That(WalkAll(fs).Select(e => e.Path), Is.EquivalentTo(new[] { "/hello.txt", "/sub" }));
            var f = fs.Verify().Single(d => d.Reason == VirtualDiskErrorReason.IsoRelocationLoop);
            Assert.That(f.EntryPath, Is.EqualTo("/sub/inner"));
        }
        // A CL that points at an ancestor (the root).
        var up = RockRidgeBase(out _);
        up.At(21).Clear();
        up.Directory(21, 20, Sector, 1, [Record(0, 0, 0, Name("INNER.;1"), Cat(Px(0x41ED), Nm("inner"), Location("CL", 20)))]);
        using (var fs = Open(up.Image))
        {
            WalkAll(fs);
            Assert.That(fs.Verify().Select(d => d.Reason), Does.Contain(VirtualDiskErrorReason.IsoRelocationLoop));
        }
        // A valid relocation: CL to a directory (sector 26) shown at the placeholder, its RE record hidden.
        var ok = RockRidgeBase(out _);
        ok.Directory(26, 21, Sector, 1, [Record(31, 5, 0, Name("DEEP.;1"), Cat(Px(0x81A4), Nm("deep")))], Cat(Px(0x41ED)));
        ok.At(21).Clear();
        ok.Directory(21, 20, Sector, 1, [Record(0, 0, 0, Name("INNER.;1"), Cat(Px(0x41ED), Nm("inner"), Location("CL", 26)))]);
        using (var fs = Open(ok.Image))
        {
            Assert.That(WalkAll(fs).Select(e => e.Path), Is.EquivalentTo(new[] { "/hello.txt", "/sub", "/sub/inner", "/sub/inner/deep" }));
            Assert.That(fs.GetEntry("/sub/inner").IsDirectory, Is.True);
        }
    }

    [Test]
    public void RecordCrossingASectorIsRefusedWithItsOffset()
    {
        // ECMA-119 §6.8.1.1: a 2-sector directory whose last record of sector 0 runs 10 bytes into sector 1.
        var iso = new CraftedIsoImage(30);
        iso.Descriptor(16, 1, 20, 2 * Sector).Terminator(17);
        iso.Directory(20, 20, 2 * Sector, 2, []);
        var rec = Record(25, 4, 0, Name("X.;1"));
        int pos = Sector - rec.Length + 10;
        // Fill sector 0 up to pos with padding records, then the straddling one.
        int p = 68;
        int n = 0;
        while (pos - p >= 40)
        {
            var filler = Record(25, 4, 0, Name($"F{n++:D3}.;1"));
            filler.CopyTo(iso.At(20)[p..]);
            p += filler.Length;
        }
        var straddle = Record(25, 4, 0, Name(new string('Y', Sector - p + 10 - 34)));
        straddle.AsSpan(0, Sector - p).CopyTo(iso.At(20)[p..]);
        straddle.AsSpan(Sector - p).CopyTo(iso.At(21));
        using var fs = Open(iso.Image);
        var e = Assert.Throws<VirtualDiskException>(() => WalkAll(fs))!;
        Assert.That(e.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoDirectoryRecordCrossesSector));
        Assert.That(e.Diagnostic.Offset, Is.EqualTo(20L * Sector + p));
        Assert.That(fs.Verify().Select(d => (d.Reason, d.Offset)), Does.Contain((VirtualDiskErrorReason.IsoDirectoryRecordCrossesSector, (long?)(20L * Sector + p))));
    }

    [Test]
    public void ExtentsBeyondTheEndAndHugeSizesAllocateNothing()
    {
        // A file claiming 4 GiB − 1 bytes at the last block; a directory claiming 4 GiB − 1 bytes.
        var iso = RockRidgeBase(out var at);
        Patch32(iso.Image, at.HelloRecord + 10, 0xFFFFFFFF);
        Patch32(iso.Image, at.SubRecord + 10, 0xFFFFFFFF);
        using var fs = Open(iso.Image);
        Bounded(() =>
        {
            var hello = fs.GetEntry("/hello.txt");
            Assert.That(hello.Length, Is.EqualTo(0xFFFFFFFFL));
            Assert.That(Assert.Throws<VirtualDiskException>(() => fs.OpenFile(hello))!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoExtentBeyondImageEnd));
            var sub = fs.GetEntry("/sub");
            Assert.That(Assert.Throws<VirtualDiskException>(() => fs.EnumerateDirectory(sub).ToList())!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoExtentBeyondImageEnd));
            var findings = fs.Verify();
            Assert.That(findings.Where(d => d.Reason == VirtualDiskErrorReason.IsoExtentBeyondImageEnd).Select(d => d.EntryPath), Is.SupersetOf(new[] { "/hello.txt", "/sub" }));
        });
    }

    [Test]
    public void MultiExtentChainsThatBreakAreReported()
    {
        // The first two sections flag "more to follow" but the directory ends: an incomplete chain.
        var iso = Features();
        long last = Find(iso.Image, 20, "BIG.BIN;1");
        // Rename the third section so that another name interrupts the chain.
        int third = (int)last + iso.Image[last] + iso.Image[last + iso.Image[last]];
        iso.Image[third + 33] = (byte)'C';
        using var fs = Open(iso.Image);
        Assert.That(Assert.Throws<VirtualDiskException>(() => WalkAll(fs))!.Reason, Is.EqualTo(VirtualDiskErrorReason.IsoMultiExtentChainBroken));
        var f = fs.Verify().First(d => d.Reason == VirtualDiskErrorReason.IsoMultiExtentChainBroken);
        Assert.That(f.EntryPath, Is.EqualTo("/BIG.BIN;1"));
        Assert.That(f.Offset, Is.EqualTo(last));
    }

    [Test]
    public void PathTableThatDisagreesIsReported()
    {
        // L path table at sector 26: the root (ok) and a directory "SUB" at the wrong extent.
        var iso = RockRidgeBase(out _);
        var table = new byte[] { 1, 0, 20, 0, 0, 0, 1, 0, 0, 0, 3, 0, 99, 0, 0, 0, 1, 0, (byte)'S', (byte)'U', (byte)'B', 0 };
        table.CopyTo(iso.At(26));
        var pvd = iso.At(16);
        Patch32(iso.Image, 16 * Sector + 132, (uint)table.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(pvd[140..], 26);
        using var fs = Open(iso.Image);
        var f = fs.Verify().Where(d => d.Reason == VirtualDiskErrorReason.IsoPathTableMismatch).ToList();
        Assert.That(f.Select(d => d.Detail), Has.Some.Contains("block 99"));
        Assert.That(f.Select(d => d.Detail), Has.Some.Contains("no record for the directory at block 21"));
    }

    [Test]
    public void BadElToritoChecksumAndImagesOutsideTheVolume()
    {
        var iso = Features();
        iso.At(25)[28] ^= 1;
        BinaryPrimitives.WriteUInt32LittleEndian(iso.At(25)[104..], 5000);
        using var fs = Open(iso.Image);
        Assert.That(fs.BootCatalog!.ChecksumValid, Is.False);
        Assert.That(fs.Verify().Select(d => d.Reason), Is.SupersetOf(new[] { VirtualDiskErrorReason.ElToritoChecksumMismatch, VirtualDiskErrorReason.ElToritoImageOutsideVolume }));
        var e = fs.BootCatalog.Entries[1];
        Assert.That(e.ImageSize, Is.EqualTo(0));
    }

    [Test]
    public void DeepTreesStopAtTheDepthCap()
    {
        // 1,100 nested directories: the walk stops at FileSystemReader.MaxDepth with a finding, without recursion.
        const int levels = 1100;
        var iso = new CraftedIsoImage(20 + levels + 2);
        iso.Descriptor(16, 1, 20, Sector).Terminator(17);
        for (int i = 0; i < levels; i++)
        {
            var child = i + 1 < levels ? new[] { Record((uint)(21 + i), Sector, 0x02, Name("D")) } : Array.Empty<byte[]>();
            iso.Directory(20 + i, (uint)Math.Max(20, 19 + i), Sector, 1, child);
        }
        using var fs = Open(iso.Image);
        Assert.That(Assert.Throws<VirtualDiskException>(() => WalkAll(fs))!.Reason, Is.EqualTo(VirtualDiskErrorReason.FileSystemTreeTooDeep));
        Assert.That(fs.Verify().Select(d => d.Reason), Does.Contain(VirtualDiskErrorReason.FileSystemTreeTooDeep));
    }

    [Test]
    public void SharedSubdirectoriesDoNotMakeTheWalkExponential()
    {
        // 40 levels, each directory holding two records ("A" and "B") for the same next directory: 2^40 paths as
        // recorded. Directories form a tree (ECMA-119 §6.8.2): only the first record is followed.
        const int levels = 40;
        var iso = new CraftedIsoImage(20 + levels + 1);
        iso.Descriptor(16, 1, 20, Sector).Terminator(17);
        for (int i = 0; i < levels; i++)
        {
            var children = i + 1 < levels
                ? new[] { Record((uint)(21 + i), Sector, 0x02, Name("A")), Record((uint)(21 + i), Sector, 0x02, Name("B")) }
                : Array.Empty<byte[]>();
            iso.Directory(20 + i, (uint)Math.Max(20, 19 + i), Sector, 1, children);
        }
        using var fs = Open(iso.Image);
        var all = WalkAll(fs);
        Assert.That(all.Select(e => e.Name).Distinct(), Is.EqualTo(new[] { "A" }), "B names a directory A already reached");
        Assert.That(all, Has.Count.EqualTo(levels - 1));
        var twice = fs.Verify().Where(d => d.Reason == VirtualDiskErrorReason.IsoDirectoryLinkedTwice).ToList();
        Assert.That(twice, Has.Count.EqualTo(levels - 1));
    }
}
