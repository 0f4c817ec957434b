using VirtualDiskManaged.Tests.Support;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Tests.Vhd;

/// <summary>
/// One crafted image per corruption class of docs/open-path.md §8.1, each checked for the code docs/open-path.md §8 requires
/// (through VirtDisk.OpenVirtualDisk and VirtualDisk.Open) and for the precise Reason.
/// </summary>
public sealed class VhdCorruptionTests
{
    private const long MiB = 1 << 20;

    private static string Folder() => TestPaths.NewTempFolder("vhdbad");

    private static VhdWriter SmallDynamic() => VhdWriter.NewDynamic(8 * MiB).Fill(0, 4096, 0xAB).Fill(4 * MiB, 512, 0xCD);

    /// <summary>Opens through both layers; asserts the code on each, and the reason on the .NET layer.</summary>
    private static void AssertFails(string path, uint code, R reason, VirtualDiskOpenOptions? options = null)
    {
        uint got = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, path, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            options?.Flags ?? OpenVirtualDiskFlags.None, null, out var handle);
        handle?.Dispose();
        Assert.That(got, Is.EqualTo(code), $"VirtDisk code 0x{got:X8}");
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(path, options))!;
        Assert.That(e.ErrorCode, Is.EqualTo(code));
        Assert.That(e.Reason, Is.EqualTo(reason), e.Message);
    }

    /// <summary>Opens (it must succeed) and asserts the warnings include <paramref name="warning"/>; strict mode fails with it.</summary>
    private static VirtualDiskHandle AssertWarns(string path, R warning)
    {
        var handle = VirtualDisk.Open(path);
        Assert.That(handle.Warnings.Select(w => w.Reason), Does.Contain(warning));
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(path, new VirtualDiskOpenOptions { Strict = true, ParticipateInSharingRules = false }))!;
        Assert.That(handle.Warnings.Select(w => w.Reason), Does.Contain(e.Reason));
        return handle;
    }

    private static string Save(VhdImage image, string name = "d.vhd") => image.SaveTo(Path.Combine(Folder(), name));

    [Test]
    public void NoCookieAnywhereIsFooterMissing()
    {
        var image = SmallDynamic().Build();
        image.TrailingFooter[7] = (byte)'X';
        image.FooterCopy[7] = (byte)'X';
        AssertFails(Save(image), 0xC03A0001, R.VhdFooterMissing);
    }

    [Test]
    public void FileShorterThanAFooterIsFooterMissing()
    {
        string path = Path.Combine(Folder(), "tiny.vhd");
        File.WriteAllBytes(path, "conectix"u8.ToArray());
        AssertFails(path, 0xC03A0001, R.VhdFooterMissing);
    }

    [Test]
    public void FixedFooterChecksumIsChecksumMismatch()
    {
        var image = VhdWriter.NewFixed(MiB).Build();
        image.TrailingFooter[67] ^= 0xFF;
        AssertFails(Save(image), 0xC03A0002, R.VhdFooterChecksumMismatch);
    }

    [Test]
    public void BothDynamicFootersBadIsChecksumMismatch()
    {
        var image = SmallDynamic().Build();
        image.TrailingFooter[100] ^= 1;
        image.FooterCopy[100] ^= 1;
        AssertFails(Save(image), 0xC03A0002, R.VhdFooterChecksumMismatch);
    }

    [Test]
    public void BadTrailingFooterFallsBackToTheCopy()
    {
        var writer = SmallDynamic();
        var image = writer.Build();
        image.TrailingFooter[100] ^= 1;
        using var handle = AssertWarns(Save(image), R.VhdFooterCopyUsed);
        Assert.That(ReadAll(handle), Is.EqualTo(writer.ExpectedContent()));
    }

    [Test]
    public void BlockOverADamagedTrailingFooterIsBatCorrupt()
    {
        // The copy at 0 stands in, but the damaged trailing footer still ends the block data area.
        var image = SmallDynamic().Build();
        image.TrailingFooter[100] ^= 1;
        image.SetBatEntry(3, (uint)((image.FooterOffset - (2 << 20)) / 512));
        AssertFails(Save(image), 0xC03A000A, R.BatEntryBeyondEndOfFile);
    }

    [Test]
    public void MissingTrailingFooterFallsBackToTheCopy()
    {
        var writer = SmallDynamic();
        var image = writer.Build();
        string path = Save(image);
        using (var f = File.OpenWrite(path)) f.SetLength(image.FooterOffset);
        using var handle = AssertWarns(path, R.VhdFooterCopyUsed);
        Assert.That(ReadAll(handle), Is.EqualTo(writer.ExpectedContent()));
    }

    [Test]
    public void DifferingCopiesUseTheTrailingFooter()
    {
        var image = SmallDynamic().Build();
        VhdWriterPatch.SetCopyOnly(image, 48, 16 * MiB);
        using var handle = AssertWarns(Save(image), R.VhdFooterCopiesDiffer);
        Assert.That(handle.VirtualSize, Is.EqualTo(8 * MiB));
    }

    [Test]
    public void FooterVersionIsUnsupported()
    {
        var image = SmallDynamic().Build().SetFooterField(12, 0x00020000, 4);
        AssertFails(Save(image), 0xC03A0005, R.VhdFormatVersionUnsupported);
    }

    [TestCase(0u)]
    [TestCase(1u)]
    [TestCase(5u)]
    [TestCase(6u)]
    public void DiskTypeOutsideTwoToFourIsInvalid(uint type)
    {
        var image = SmallDynamic().Build().SetFooterField(60, type, 4);
        AssertFails(Save(image), 0xC03A0003, R.VhdDiskTypeInvalid);
    }

    [TestCase(0ul)]
    [TestCase(100ul)]
    [TestCase(0x7FFF_FFFF_FFFF_FE00ul)]
    [TestCase(ulong.MaxValue)]
    public void DynamicDataOffsetOutsideTheFileIsInvalid(ulong dataOffset)
    {
        var image = SmallDynamic().Build().SetFooterField(16, dataOffset, 8);
        AssertFails(Save(image), 0xC03A0003, R.VhdDataOffsetInvalid);
    }

    [Test]
    public void FixedDataOffsetMustBeAllOnes()
    {
        var image = VhdWriter.NewFixed(MiB).Build().SetFooterField(16, 512, 8);
        AssertFails(Save(image), 0xC03A0003, R.VhdDataOffsetInvalid);
    }

    [Test]
    public void FixedSpecLiteralDataOffsetIsAWarning()
    {
        var image = VhdWriter.NewFixed(MiB).Build().SetFooterField(16, 0xFFFF_FFFF, 8);
        AssertWarns(Save(image), R.VhdFixedDataOffsetSpecLiteral).Dispose();
    }

    [Test]
    public void FeaturesWithoutReservedBitIsAWarning()
    {
        var image = VhdWriter.NewFixed(MiB).Build().SetFooterField(8, 0, 4);
        AssertWarns(Save(image), R.VhdFeaturesInvalid).Dispose();
    }

    [Test]
    public void ShortFooterOfOldVirtualPcIsAccepted()
    {
        var writer = VhdWriter.NewFixed(MiB).Fill(MiB - 512, 512, 0x5A);
        var image = writer.Build();
        // A 511-byte footer: the last reserved byte is absent (it is zero in the checksum).
        string path = Path.Combine(Folder(), "old.vhd");
        File.WriteAllBytes(path, image.Bytes[..^1]);
        using var handle = AssertWarns(path, R.VhdShortFooter);
        Assert.That(handle.VirtualSize, Is.EqualTo(MiB));
        Assert.That(ReadAll(handle), Is.EqualTo(writer.ExpectedContent()));
    }

    [Test]
    public void SizeZeroIsInvalidSize()
    {
        var image = VhdWriter.NewFixed(MiB).Build().SetFooterField(48, 0, 8);
        AssertFails(Save(image), 0xC03A0012, R.VirtualSizeZero);
    }

    [Test]
    public void SizeNotWholeSectorsIsInvalidSize()
    {
        var image = SmallDynamic().Build().SetFooterField(48, 8 * MiB - 100, 8);
        AssertFails(Save(image), 0xC03A0012, R.VirtualSizeNotSectorMultiple);
    }

    [Test]
    public void DynamicSizeAbove2040GiBIsTooLarge()
    {
        var image = SmallDynamic().Build().SetFooterField(48, 2041UL << 30, 8);
        AssertFails(Save(image), 0xC03A0012, R.VirtualSizeTooLarge);
    }

    [Test]
    public void FixedSizeAbove2040GiBIsTooLarge()
    {
        var image = VhdWriter.NewFixed(MiB).Build().SetFooterField(48, 2041UL << 30, 8);
        AssertFails(Save(image), 0xC03A0012, R.VirtualSizeTooLarge);
    }

    [Test]
    public void FixedFileShorterThanSizeIsFileTooShort()
    {
        var image = VhdWriter.NewFixed(MiB).Build().SetFooterField(48, 2 * MiB, 8);
        AssertFails(Save(image), 0xC03A0013, R.FileTooShortForLayout);
    }

    [Test]
    public void FixedFileLongerThanSizeIsAWarning()
    {
        var writer = VhdWriter.NewFixed(MiB).Fill(0, 512, 0x42);
        var image = writer.Build().SetFooterField(48, MiB - 4096, 8);
        using var handle = AssertWarns(Save(image), R.VhdFixedFileTooLong);
        Assert.That(handle.VirtualSize, Is.EqualTo(MiB - 4096));
        Assert.That(ReadAll(handle), Is.EqualTo(writer.ExpectedContent()[..(int)(MiB - 4096)]));
    }

    [Test]
    public void DynamicHeaderCookieIsSparseHeaderCorrupt()
    {
        var image = SmallDynamic().Build();
        image.Header[7] = (byte)'X';
        VhdImage.Seal(image.Header, 36);
        AssertFails(Save(image), 0xC03A0008, R.VhdDynamicHeaderCookieInvalid);
    }

    [Test]
    public void DynamicHeaderChecksumIsSparseHeaderChecksumMismatch()
    {
        var image = SmallDynamic().Build();
        image.Header[900] ^= 1; // a reserved byte: the checksum is over the raw bytes
        AssertFails(Save(image), 0xC03A0006, R.VhdDynamicHeaderChecksumMismatch);
    }

    [Test]
    public void DynamicHeaderVersionIsUnsupported()
    {
        var image = SmallDynamic().Build().SetHeaderField(24, 0x00010001, 4);
        AssertFails(Save(image), 0xC03A0007, R.VhdDynamicHeaderVersionUnsupported);
    }

    [TestCase(0u)]
    [TestCase(256u)]
    [TestCase(3u << 20)]
    [TestCase(0x8000_0001u)]
    public void BlockSizeNotAPowerOfTwoOfAtLeast512IsInvalid(uint blockSize)
    {
        var image = SmallDynamic().Build().SetHeaderField(32, blockSize, 4);
        AssertFails(Save(image), 0xC03A000B, R.VhdBlockSizeInvalid);
    }

    [Test]
    public void TooFewTableEntriesIsBatCorrupt()
    {
        var image = SmallDynamic().Build().SetHeaderField(28, 3, 4);
        AssertFails(Save(image), 0xC03A000A, R.VhdMaxTableEntriesTooSmall);
    }

    [Test]
    public void MoreTableEntriesThanNeededIsAWarning()
    {
        var writer = SmallDynamic();
        writer.MaxTableEntries = 5; // old qemu wrote one extra entry
        string path = Path.Combine(Folder(), "x.vhd");
        writer.Save(path);
        using var handle = AssertWarns(path, R.VhdMaxTableEntriesTooLarge);
        Assert.That(ReadAll(handle), Is.EqualTo(writer.ExpectedContent()));
    }

    [Test]
    public void BatBeyondTheFileIsBatCorrupt()
    {
        var image = SmallDynamic().Build().SetHeaderField(16, 1UL << 40, 8);
        AssertFails(Save(image), 0xC03A000A, R.BatBeyondEndOfFile);
    }

    [Test]
    public void BatRunningIntoTheTrailingFooterIsBatCorrupt()
    {
        var image = SmallDynamic().Build();
        image.SetHeaderField(16, (ulong)image.FooterOffset - 8, 8);
        AssertFails(Save(image), 0xC03A000A, R.BatBeyondEndOfFile);
    }

    [Test]
    public void BatOverTheDynamicHeaderIsSparseHeaderCorrupt()
    {
        var image = SmallDynamic().Build().SetHeaderField(16, 1024, 8);
        AssertFails(Save(image), 0xC03A0008, R.VhdDynamicHeaderFieldInvalid);
    }

    [Test]
    public void BatEntryBeyondTheFileIsBatCorrupt()
    {
        var image = SmallDynamic().Build().SetBatEntry(2, 0x0010_0000);
        AssertFails(Save(image), 0xC03A000A, R.BatEntryBeyondEndOfFile);
    }

    [Test]
    public void TruncatedDataBlockIsBatCorrupt()
    {
        var image = SmallDynamic().Build();
        string path = Save(image);
        using (var f = File.OpenWrite(path)) f.SetLength(image.FooterOffset - MiB); // the footer and half the last block gone
        AssertFails(path, 0xC03A000A, R.BatEntryBeyondEndOfFile);
    }

    [TestCase(1u)]    // the dynamic header
    [TestCase(0u)]    // the footer copy
    [TestCase(3u)]    // the BAT
    public void BatEntryOverMetadataIsBatCorrupt(uint sector)
    {
        var image = SmallDynamic().Build().SetBatEntry(2, sector);
        AssertFails(Save(image), 0xC03A000A, R.BatBlockOverlapsMetadata);
    }

    [Test]
    public void OverlappingBlocksAreBatCorrupt()
    {
        var image = SmallDynamic().Build();
        uint first = (uint)(image.BlockOffsets[0] / 512);
        image.SetBatEntry(1, first + 8); // inside block 0's bytes
        AssertFails(Save(image), 0xC03A000A, R.BatBlocksOverlap);
    }

    [Test]
    public void LocatorDataOutsideTheFileIsSparseHeaderCorrupt()
    {
        var parent = VhdWriter.NewDynamic(8 * MiB);
        var child = VhdWriter.NewDifferencing(parent).Locator(VhdWriter.W2ru, @".\p.vhd");
        var image = child.Build();
        image.SetHeaderField(576 + 16, 1UL << 40, 8);
        AssertFails(Save(image), 0xC03A0008, R.VhdParentLocatorInvalid);
    }

    [Test]
    public void CorruptionFoundLazilyInALargeTableFailsTheRead()
    {
        // 2040 GiB with 2 MiB blocks: 1,044,480 entries, beyond the eager limit, so pages load on first use.
        var writer = VhdWriter.NewDynamic(2040L << 30).Fill(5 * 2 * MiB, 512, 0x99);
        var image = writer.Build();
        image.SetBatEntry(1_000_000, 0x7000_0000);
        string path = Save(image);
        using var handle = VirtualDisk.Open(path);
        Assert.That(handle.VirtualSize, Is.EqualTo(2040L << 30));
        using var stream = handle.OpenStream();
        var buffer = new byte[512];
        stream.Position = 10 * MiB;
        stream.ReadExactly(buffer);
        Assert.That(buffer, Is.All.EqualTo(0x99));
        stream.Position = 1_000_000 * 2 * MiB;
        var e = Assert.Throws<VirtualDiskException>(() => stream.ReadExactly(buffer))!;
        Assert.That(e.Reason, Is.EqualTo(R.BatEntryBeyondEndOfFile));
        Assert.That(e.ErrorCode, Is.EqualTo(0xC03A000Au));
    }

    internal static byte[] ReadAll(VirtualDiskHandle handle)
    {
        using var stream = handle.OpenStream();
        var bytes = new byte[handle.VirtualSize];
        stream.ReadExactly(bytes);
        return bytes;
    }
}

/// <summary>Patches that touch only one footer copy (the shared helpers keep both in step).</summary>
internal static class VhdWriterPatch
{
    public static void SetCopyOnly(VhdImage image, int offset, long value)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(image.FooterCopy[offset..], (ulong)value);
        VhdImage.Seal(image.FooterCopy, 64);
    }
}
