using System.Buffers.Binary;
using System.Text;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Udf;

namespace VirtualDiskManaged.Tests.Udf;

/// <summary>
/// One crafted image per bug class of the UDF research sheet (Linux, 7-Zip, libcdio CVEs and fixes): each must fail
/// with its precise reason (a VirtualDiskException, never another exception, a hang or a huge allocation), and the deep
/// check must name it with the path and offset.
/// </summary>
[TestFixture]
public sealed class UdfHostileTests
{
    private const int Bs = 2048;

    private static (byte[] Image, UdfTestWriter Writer) Make(UdfTestLayout layout = UdfTestLayout.Physical, bool strategy4096 = false, bool aed = false)
    {
        var w = UdfCraftedTests.Sample(layout, strategy4096: strategy4096, aed: aed);
        return (w.Build(), w);
    }

    private static FileSystemReader Open(byte[] image) =>
        FileSystem.Open(new MemoryStream(image, writable: false), new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf });

    private static VirtualDiskErrorReason OpenFails(byte[] image)
    {
        Assert.That(FileSystem.TryOpen(new MemoryStream(image, writable: false), new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf }, out var r, out var failure), Is.False);
        r?.Dispose();
        return failure!.Reason;
    }

    /// <summary>Walks the whole tree and reads every file; returns the reason of the first failure (None when all is read).</summary>
    private static VirtualDiskErrorReason WalkFails(FileSystemReader fs)
    {
        try
        {
            foreach (var e in fs.EnumerateTree("/"))
                if (e.Kind == FileSystemEntryKind.File) { using var s = fs.OpenFile(e); s.CopyTo(Stream.Null); }
            return VirtualDiskErrorReason.None;
        }
        catch (VirtualDiskException e)
        {
            return e.Diagnostic.Reason;
        }
    }

    private static void AssertVerifyNames(FileSystemReader fs, VirtualDiskErrorReason reason)
    {
        var found = fs.Verify();
        Assert.That(found.Select(d => d.Reason), Does.Contain(reason), string.Join("; ", found.Select(d => d.Message)));
        var d = found.First(x => x.Reason == reason);
        Assert.That(d.Offset is not null || d.EntryPath is not null, Is.True, "a finding has a path or an offset");
    }

    /// <summary>The byte offset of the FID whose name is <paramref name="name"/> (the writer records no implementation use).</summary>
    private static int FidOf(byte[] image, string name)
    {
        var needle = UdfTestWriter.Cs0(name);
        for (int at = image.AsSpan().IndexOf(needle); at >= 0;)
        {
            int fid = at - 38;
            if (fid >= 0 && BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(fid)) == 257 && image[fid + 19] == needle.Length) return fid;
            int next = image.AsSpan(at + 1).IndexOf(needle);
            at = next < 0 ? -1 : at + 1 + next;
        }
        throw new InvalidOperationException("FID not found: " + name);
    }

    private static int FidLength(byte[] image, int fid) => (38 + BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(fid + 36)) + image[fid + 19] + 3) & ~3;

    private static void ResealFid(byte[] image, int fid) => UdfTestWriter.Reseal(image, fid, (38 + image[fid + 19] + 3) & ~3);

    private static uint TagLocation(byte[] image, long offset) => BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)offset + 12));

    [Test]
    public void IndirectEntryPointingAtItself()
    {
        // CVE-2014-6410: an Indirect Entry (4/14.7) that names its own block.
        var (image, w) = Make();
        int fe = (int)w.Offsets["/hello.txt"];
        uint lbn = TagLocation(image, fe);
        var ie = new byte[Bs];
        ie[16 + 11] = 3;
        BinaryPrimitives.WriteUInt16LittleEndian(ie.AsSpan(16 + 4), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(ie.AsSpan(36), Bs);
        BinaryPrimitives.WriteUInt32LittleEndian(ie.AsSpan(40), lbn);
        UdfTestWriter.Seal(ie, 259, lbn, 52 - 16);
        ie.CopyTo(image, fe);
        using var fs = Open(image);
        Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfIndirectIcbLoop));
        AssertVerifyNames(fs, VirtualDiskErrorReason.UdfIndirectIcbLoop);
    }

    [Test]
    public void Strategy4096IndirectEntryLoopingBack()
    {
        // Strategy 4096: the ICB's second block is an IE naming the first block again.
        var (image, w) = Make(strategy4096: true);
        int fe = (int)w.Offsets["/hello.txt"];
        uint lbn = TagLocation(image, fe);
        var ie = new byte[Bs];
        ie[16 + 11] = 3;
        BinaryPrimitives.WriteUInt16LittleEndian(ie.AsSpan(16 + 4), 4096);
        BinaryPrimitives.WriteUInt32LittleEndian(ie.AsSpan(36), 2 * Bs);
        BinaryPrimitives.WriteUInt32LittleEndian(ie.AsSpan(40), lbn);
        UdfTestWriter.Seal(ie, 259, lbn + 1, 52 - 16);
        ie.CopyTo(image, fe + Bs);
        using var fs = Open(image);
        Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfIndirectIcbLoop));
    }

    [Test]
    public void FidImplementationUseLengthPastTheDirectory()
    {
        // libcdio PR #63 / Linux udf_verify_fi: L_IU and L_FI bounded by the directory and one block.
        var (image, _) = Make();
        int fid = FidOf(image, "hello.txt");
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(fid + 36), 0xFFFF);
        ResealFid(image, fid);
        using var fs = Open(image);
        Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfFileIdentifierInvalid));
        AssertVerifyNames(fs, VirtualDiskErrorReason.UdfFileIdentifierInvalid);
    }

    private static void PatchBothLvds(byte[] image, UdfTestWriter w, Action<Span<byte>> patch)
    {
        foreach (var key in new[] { "lvd", "reserve-lvd" })
        {
            int at = (int)w.Offsets[key];
            patch(image.AsSpan(at, Bs));
            UdfTestWriter.Reseal(image, at, Bs);
        }
    }

    [Test]
    public void PartitionMapCountAndLengths()
    {
        // Linux 1a11201668e8 (map count), CVE-2012-3400 (map and table lengths).
        var (image, w) = Make();
        PatchBothLvds(image, w, d => BinaryPrimitives.WriteUInt32LittleEndian(d[268..], 0xFFFF_FFFF));
        Assert.That(OpenFails(image), Is.EqualTo(VirtualDiskErrorReason.UdfPartitionMapInvalid));
        (image, w) = Make();
        PatchBothLvds(image, w, d => d[440 + 1] = 0);
        Assert.That(OpenFails(image), Is.EqualTo(VirtualDiskErrorReason.UdfPartitionMapInvalid));
        (image, w) = Make();
        PatchBothLvds(image, w, d => BinaryPrimitives.WriteUInt32LittleEndian(d[264..], 0x7FFF_FFFF));
        Assert.That(OpenFails(image), Is.EqualTo(VirtualDiskErrorReason.UdfPartitionMapInvalid));
        (image, w) = Make();
        PatchBothLvds(image, w, d => BinaryPrimitives.WriteUInt16LittleEndian(d[(440 + 4)..], 77));
        Assert.That(OpenFails(image), Is.EqualTo(VirtualDiskErrorReason.UdfPartitionNotFound));
    }

    [Test]
    public void AllocationExtentDescriptorLoop()
    {
        // Linux b0918d9f476a: endless AED chains.
        var (image, w) = Make(aed: true);
        int aed = (int)w.Offsets["aed:/big.bin"];
        uint lbn = TagLocation(image, aed);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(aed + 24), (3u << 30) | Bs);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(aed + 28), lbn);
        UdfTestWriter.Reseal(image, aed, Bs);
        using var fs = Open(image);
        Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfAllocationExtentChainInvalid));
        AssertVerifyNames(fs, VirtualDiskErrorReason.UdfAllocationExtentChainInvalid);
    }

    [Test]
    public void AllocationExtentDescriptorLengthPastItsBlock()
    {
        // CVE-2024-50143 / CVE-2025-40044: L_AD of an AED beyond its block.
        var (image, w) = Make(aed: true);
        int aed = (int)w.Offsets["aed:/big.bin"];
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(aed + 20), 0xFFFF_FFF0);
        UdfTestWriter.Reseal(image, aed, Bs);
        using var fs = Open(image);
        Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfAllocationExtentChainInvalid));
    }

    [Test]
    public void HugeLengthsInAFileEntry()
    {
        // CVE-2014-9729 / CVE-2015-4167 / FreeBSD 32-bit wrap: L_EA, L_AD, information length.
        foreach (var (offset, value) in new[] { (208, 0xFFFF_FFF0u), (212, 0xFFFF_FFF0u), (208, 0x8000_0000u) })
        {
            var (image, w) = Make();
            int fe = (int)w.Offsets["/big.bin"];
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(fe + offset), value);
            UdfTestWriter.Reseal(image, fe, Bs);
            using var fs = Open(image);
            Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfFileEntryInvalid), $"offset {offset}");
        }
        {
            var (image, w) = Make();
            int fe = (int)w.Offsets["/tiny"];
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(fe + 56), ulong.MaxValue);
            UdfTestWriter.Reseal(image, fe, Bs);
            using var fs = Open(image);
            Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfFileEntryInvalid));
        }
        {
            // A recorded extent of 1 GiB at the end of the partition: the reader maps it and refuses it as out of range.
            var (image, w) = Make();
            int fe = (int)w.Offsets["/big.bin"];
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(fe + 56), 0x3FFF_F800);
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(fe + 216), 0x3FFF_F800);
            UdfTestWriter.Reseal(image, fe, Bs);
            using var fs = Open(image);
            Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfExtentOutOfRange));
        }
    }

    [Test]
    public void TagChecksumCrcAndLocation()
    {
        var (image, w) = Make();
        image[(int)w.Offsets["root"] + 4] ^= 0x55;
        Assert.That(OpenFails(image), Is.EqualTo(VirtualDiskErrorReason.UdfTagChecksumMismatch));

        (image, w) = Make();
        image[(int)w.Offsets["/dir1"] + 40] ^= 0x55; // gid byte, inside the CRC
        using (var fs = Open(image))
        {
            Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfTagCrcMismatch));
            AssertVerifyNames(fs, VirtualDiskErrorReason.UdfTagCrcMismatch);
        }

        (image, w) = Make();
        int fe = (int)w.Offsets["/hello.txt"];
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(fe + 12), TagLocation(image, fe) + 1);
        UdfTestWriter.Reseal(image, fe, Bs);
        using (var fs = Open(image)) Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfTagLocationMismatch));
    }

    [Test]
    public void DirectoryCycle()
    {
        // A subdirectory whose FID names the root ICB: the walk must stop (never loop or recurse forever).
        var (image, w) = Make();
        uint rootLbn = TagLocation(image, w.Offsets["root"]);
        int fid = FidOf(image, "dir2");
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(fid + 24), rootLbn);
        ResealFid(image, fid);
        using var fs = Open(image);
        Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.FileSystemDirectoryCycle));
        AssertVerifyNames(fs, VirtualDiskErrorReason.FileSystemDirectoryCycle);
    }

    [Test]
    public void NamesSymlinksAndReferences()
    {
        var (image, w) = Make();
        int fid = FidOf(image, "hello.txt");
        image[fid + 38] = 9; // compression id 9 (OSTA UDF 2.60 §2.1.1 knows 8 and 16)
        ResealFid(image, fid);
        using (var fs = Open(image)) Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfNameInvalid));

        (image, w) = Make();
        int link = (int)w.Offsets["/link"];
        image[link + 216 + 1] = 0xFF; // first component's identifier length past the link data
        UdfTestWriter.Reseal(image, link, Bs);
        using (var fs = Open(image)) Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfSymlinkInvalid));

        (image, w) = Make();
        fid = FidOf(image, "tiny");
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(fid + 28), 7); // CVE-2016-2335: PRN used unchecked
        ResealFid(image, fid);
        using (var fs = Open(image)) Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.UdfPartitionReferenceInvalid));
    }

    [Test]
    public void VatHeaderLongerThanTheVat()
    {
        // CVE-2026-64323: LengthOfHeader beyond the VAT's size.
        var (image, w) = Make(UdfTestLayout.Virtual20);
        int vat = (int)w.Offsets["vat"];
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(vat + 216), 0xFFFF);
        UdfTestWriter.Reseal(image, vat, Bs);
        Assert.That(OpenFails(image), Is.EqualTo(VirtualDiskErrorReason.UdfVatInvalid));
        (image, w) = Make(UdfTestLayout.Virtual20);
        image.AsSpan((int)w.Offsets["vat"], Bs).Clear();
        Assert.That(OpenFails(image), Is.EqualTo(VirtualDiskErrorReason.UdfVatNotFound));
    }

    [Test]
    public void SparingTableEntryCountAsBytes()
    {
        // CVE-2026-64322: RT_L is a count of 8-byte entries.
        var (image, w) = Make(UdfTestLayout.Sparable);
        int st = (int)w.Offsets["sparing"];
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(st + 48), 0xFFFF);
        UdfTestWriter.Reseal(image, st, Bs);
        Assert.That(OpenFails(image), Is.EqualTo(VirtualDiskErrorReason.UdfSparingTableInvalid));
    }

    [Test]
    public void MetadataMirrorUsedAndMismatch()
    {
        // Main metadata file entry destroyed: the mirror is read, with a warning; the content is intact.
        var (image, w) = Make(UdfTestLayout.Metadata);
        image.AsSpan((int)w.Offsets["meta-main"], Bs).Clear();
        using (var fs = Open(image))
        {
            Assert.That(fs.Warnings.Select(x => x.Reason), Does.Contain(VirtualDiskErrorReason.UdfMetadataMirrorUsed));
            Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.None));
            Assert.That(((UdfFileSystem)fs).Partitions[1].MirrorInUse, Is.True);
        }
        // One damaged block in the main copy (the file set descriptor): that block comes from the mirror.
        (image, w) = Make(UdfTestLayout.Metadata);
        image[(int)w.Offsets["meta-main-data"] + 100] ^= 0xFF;
        using (var fs = Open(image))
        {
            Assert.That(fs.Warnings.Select(x => x.Reason), Does.Contain(VirtualDiskErrorReason.UdfMetadataMirrorUsed));
            Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.None));
            AssertVerifyNames(fs, VirtualDiskErrorReason.UdfMetadataMirrorMismatch);
        }
    }

    [Test]
    public void AnchorsSequencesAndIntegrity()
    {
        // Anchor 256 destroyed: N-256 / N are used; the deep check says the anchors are short.
        var (image, w) = Make();
        image.AsSpan((int)w.Offsets["avdp"], 512).Clear();
        using (var fs = Open(image))
        {
            Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.None));
            AssertVerifyNames(fs, VirtualDiskErrorReason.UdfAnchorMismatch);
        }
        // The main sequence's LVD damaged: the reserve sequence is read, with a warning.
        (image, w) = Make();
        image[(int)w.Offsets["lvd"] + 300] ^= 0xFF;
        using (var fs = Open(image))
        {
            Assert.That(fs.Warnings.Select(x => x.Reason), Does.Contain(VirtualDiskErrorReason.UdfReserveSequenceUsed));
            Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.None));
        }
        // An open integrity (a volume not cleanly closed) is a warning, as a dirty VHDX log is.
        var open = new UdfTestWriter { IntegrityOpen = true }.File("/a", [1, 2, 3]).Build();
        using (var fs = Open(open))
        {
            Assert.That(fs.Warnings.Select(x => x.Reason), Does.Contain(VirtualDiskErrorReason.UdfIntegrityOpen));
            Assert.That(((UdfFileSystem)fs).Integrity.State, Is.EqualTo(UdfIntegrityState.Open));
        }
    }

    [Test]
    public void TruncatedImage()
    {
        var (image, w) = Make();
        // Cut inside big.bin's data: listing works, reading fails with a read error, the deep check names the extent.
        using var probe = Open(image);
        long cut = probe.GetEntry("/big.bin").Extents[0].Offset + 10_000;
        var truncated = image.AsSpan(0, (int)cut).ToArray();
        using var fs = FileSystem.Open(new MemoryStream(truncated), new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf });
        Assert.That(WalkFails(fs), Is.EqualTo(VirtualDiskErrorReason.FileSystemReadFailed).Or.EqualTo(VirtualDiskErrorReason.UdfTagChecksumMismatch));
        var found = fs.Verify().Select(d => d.Reason).ToList();
        Assert.That(found, Does.Contain(VirtualDiskErrorReason.UdfExtentOutOfRange).Or.Contain(VirtualDiskErrorReason.FileSystemReadFailed));
    }

    [Test]
    public void NoHangOnGarbage()
    {
        // A VRS and an anchor followed by random bytes: every failure is a VirtualDiskException.
        var (image, _) = Make();
        var rng = new Random(12345);
        for (int round = 0; round < 200; round++)
        {
            var copy = (byte[])image.Clone();
            for (int i = 0; i < 20; i++) copy[rng.Next(256 * Bs, copy.Length)] = (byte)rng.Next(256);
            if (!FileSystem.TryOpen(new MemoryStream(copy), new FileSystemOpenOptions { Namespace = FileSystemNamespace.Udf }, out var fs, out _)) continue;
            using (fs) { WalkFails(fs!); fs!.Verify(); }
        }
        Assert.Pass();
    }
}
