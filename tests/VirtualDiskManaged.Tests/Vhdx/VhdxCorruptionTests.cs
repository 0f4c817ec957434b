using System.Buffers.Binary;
using System.Text;
using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.Vhdx.VhdxTestSupport;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>
/// One crafted image per corruption class of docs/open-path.md §8.2 / §8: a good <see cref="VhdxWriter"/> image,
/// patched; each asserts the code on both API layers and the precise reason.
/// </summary>
public sealed class VhdxCorruptionTests
{
    private const long MiB = VhdxWriter.MiB;
    private const int Metadata = (int)VhdxWriter.MetadataOffset;
    private const int H1 = (int)VhdxWriter.Header1Offset, H2 = (int)VhdxWriter.Header2Offset;
    private const int RT1 = (int)VhdxWriter.RegionTable1Offset, RT2 = (int)VhdxWriter.RegionTable2Offset;

    // Metadata entries as the writer orders them.
    private const int FileParameters = 0, VirtualDiskSize = 1, VirtualDiskId = 2, LogicalSector = 3, PhysicalSector = 4, ParentLocator = 5;

    private static VhdxWriter Good() => new VhdxWriter(8 * MiB).Fill(0, 4096, 0x5A).Fill(3 * MiB, 4096, 0x5B);

    private static int EntryAt(int item) => Metadata + 32 + 32 * item;

    private static int ItemAt(byte[] image, int item) => Metadata + (int)BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(EntryAt(item) + 16));

    private static byte[] Patch(VhdxWriter writer, Action<byte[]> patch, bool reseal = true)
    {
        byte[] image = writer.Build();
        patch(image);
        if (reseal) VhdxWriter.FixChecksums(image);
        return image;
    }

    private static void AssertFails(byte[] image, VirtualDiskErrorReason reason, uint code)
    {
        string path = Save(image, TestPaths.NewTempFolder("bad"), "bad.vhdx");
        uint got = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, path, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            OpenVirtualDiskFlags.None, null, out var handle);
        handle?.Dispose();
        Assert.That(got, Is.EqualTo(code), $"0x{got:X8}");
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(path).Dispose())!;
        Assert.That(e.Reason, Is.EqualTo(reason), e.Message);
        Assert.That(e.ErrorCode, Is.EqualTo(code));
    }

    private static VirtualDiskHandle AssertOpensWithWarning(byte[] image, VirtualDiskErrorReason warning)
    {
        string path = Save(image, TestPaths.NewTempFolder("warn"), "warn.vhdx");
        var disk = VirtualDisk.Open(path);
        Assert.That(disk.Warnings.Select(w => w.Reason), Does.Contain(warning));
        var strict = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(path, new VirtualDiskOpenOptions { Strict = true }).Dispose())!;
        Assert.That(strict.Reason, Is.EqualTo(disk.Warnings[0].Reason));
        return disk;
    }

    // ---- file type identifier, headers ----

    [Test]
    public void NoFileIdentifier() => AssertFails(Patch(Good(), i => i[7] = (byte)'X'), VirtualDiskErrorReason.VhdxFileIdentifierMissing, 0xC03A0004);

    [Test]
    public void OneHeaderBad_OtherUsed()
    {
        using var disk = AssertOpensWithWarning(Patch(Good(), i => i[H2 + 100] ^= 1, reseal: false), VirtualDiskErrorReason.VhdxHeaderInvalid);
        var buffer = new byte[4096];
        disk.Read(0, buffer);
        Assert.That(buffer, Is.All.EqualTo(0x5A));
    }

    [Test]
    public void BothHeadersBad() =>
        AssertFails(Patch(Good(), i => { i[H1 + 100] ^= 1; i[H2] = (byte)'x'; }, reseal: false), VirtualDiskErrorReason.VhdxHeadersInvalid, 1392);

    [Test]
    public void EqualSequenceIdenticalHeaders() =>
        AssertOpensWithWarning(Patch(Good(), i => i.AsSpan(H1, 4096).CopyTo(i.AsSpan(H2))), VirtualDiskErrorReason.VhdxHeadersIdentical).Dispose();

    [Test]
    public void EqualSequenceDifferentHeaders() =>
        AssertFails(Patch(Good(), i => { i[H2 + 8] = 1; i[H2 + 16] ^= 0xFF; }), VirtualDiskErrorReason.VhdxHeaderSequenceTie, 1392);

    [Test]
    public void HeaderVersion2() =>
        AssertFails(Patch(Good(), i => { i[H1 + 66] = 2; i[H2 + 66] = 2; }), VirtualDiskErrorReason.VhdxHeaderVersionUnsupported, 0xC03A0005);

    [Test]
    public void LogVersion1() =>
        AssertFails(Patch(Good(), i => { i[H1 + 64] = 1; i[H2 + 64] = 1; }), VirtualDiskErrorReason.VhdxLogVersionUnsupported, 0xC03A0005);

    [Test]
    public void LogOffsetUnaligned() =>
        AssertFails(Patch(Good(), i => { i[H1 + 72] = 0x10; i[H2 + 72] = 0x10; }), VirtualDiskErrorReason.VhdxLogLocationInvalid, 1392);

    // ---- region tables ----

    [Test]
    public void RegionTable1Bad_Table2Used() =>
        AssertOpensWithWarning(Patch(Good(), i => i[RT1 + 40] ^= 1, reseal: false), VirtualDiskErrorReason.VhdxRegionTableInvalid).Dispose();

    [Test]
    public void BothRegionTablesBad() =>
        AssertFails(Patch(Good(), i => { i[RT1 + 40] ^= 1; i[RT2 + 9] = 0xFF; }, reseal: false), VirtualDiskErrorReason.VhdxRegionTablesInvalid, 1392);

    [Test]
    public void RegionTablesDiffer() =>
        AssertOpensWithWarning(Patch(Good(), i => i[RT2 + 28 + 16] = 0), VirtualDiskErrorReason.VhdxRegionTablesDiffer).Dispose(); // BAT entry's Required bit cleared in table 2

    [Test]
    public void RegionOffsetUnaligned() =>
        AssertFails(Patch(Good(), i => { i[RT1 + 16 + 16] = 0x01; i[RT2 + 16 + 16] = 0x01; }), VirtualDiskErrorReason.VhdxRegionEntryInvalid, 1392);

    [Test]
    public void UnknownRequiredRegion() => AssertFails(Patch(Good(), i =>
    {
        foreach (int t in new[] { RT1, RT2 })
        {
            i[t + 8] = 3;
            var e = i.AsSpan(t + 16 + 64, 32);
            Guid.NewGuid().TryWriteBytes(e);
            BinaryPrimitives.WriteUInt64LittleEndian(e[16..], 100 * (ulong)MiB);
            BinaryPrimitives.WriteUInt32LittleEndian(e[24..], (uint)MiB);
            BinaryPrimitives.WriteUInt32LittleEndian(e[28..], 1);
        }
    }), VirtualDiskErrorReason.VhdxRegionUnknownRequired, 1392);

    [Test]
    public void MetadataRegionMissing() =>
        AssertFails(Patch(Good(), i => { i[RT1 + 8] = 1; i[RT2 + 8] = 1; }), VirtualDiskErrorReason.VhdxRegionMissingOrDuplicate, 1392);

    [Test]
    public void RegionsOverlap() => // metadata region moved onto the BAT
        AssertFails(Patch(Good(), i => { i[RT1 + 48 + 16 + 2] = 0x30; i[RT2 + 48 + 16 + 2] = 0x30; }), VirtualDiskErrorReason.VhdxStructuresOverlap, 1392);

    [Test]
    public void RegionOverlapsLog() => // metadata region moved onto the log at 1 MiB
        AssertFails(Patch(Good(), i => { i[RT1 + 48 + 16 + 2] = 0x10; i[RT2 + 48 + 16 + 2] = 0x10; }), VirtualDiskErrorReason.VhdxStructuresOverlap, 1392);

    // ---- metadata ----

    [Test]
    public void MetadataSignature() => AssertFails(Patch(Good(), i => i[Metadata + 7] = (byte)'X'), VirtualDiskErrorReason.VhdxMetadataTableInvalid, 0xC03A0010);

    [Test]
    public void MetadataEntryCountTooLarge() =>
        AssertFails(Patch(Good(), i => BinaryPrimitives.WriteUInt16LittleEndian(i.AsSpan(Metadata + 10), 2048)), VirtualDiskErrorReason.VhdxMetadataTableInvalid, 0xC03A0010);

    [Test]
    public void MetadataItemInsideTheTable() =>
        AssertFails(Patch(Good(), i => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(EntryAt(VirtualDiskId) + 16), 4096)), VirtualDiskErrorReason.VhdxMetadataEntryInvalid, 0xC03A0010);

    [Test]
    public void MetadataItemOutsideTheRegion() =>
        AssertFails(Patch(Good(), i => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(EntryAt(VirtualDiskId) + 16), (uint)MiB - 8)), VirtualDiskErrorReason.VhdxMetadataEntryInvalid, 0xC03A0010);

    [Test]
    public void MetadataItemsOverlap() =>
        AssertFails(Patch(Good(), i => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(EntryAt(VirtualDiskId) + 16), (uint)(ItemAt(i, VirtualDiskSize) - Metadata))), VirtualDiskErrorReason.VhdxMetadataEntryInvalid, 0xC03A0010);

    [Test]
    public void MetadataDuplicateItem() =>
        AssertFails(Patch(Good(), i => i.AsSpan(EntryAt(LogicalSector), 16).CopyTo(i.AsSpan(EntryAt(PhysicalSector)))), VirtualDiskErrorReason.VhdxMetadataItemDuplicate, 0xC03A0010);

    [Test]
    public void MetadataUnknownRequiredItem() =>
        AssertFails(Patch(Good(), i => Guid.NewGuid().TryWriteBytes(i.AsSpan(EntryAt(VirtualDiskId)))), VirtualDiskErrorReason.VhdxMetadataUnknownRequired, 1392);

    [Test]
    public void MetadataItemWrongLength() =>
        AssertFails(Patch(Good(), i => i[EntryAt(VirtualDiskSize) + 20] = 4), VirtualDiskErrorReason.VhdxMetadataItemLengthInvalid, 0xC03A0010);

    [Test]
    public void MetadataRequiredItemMissing() => // the file parameters entry renamed to an unknown, optional item
        AssertFails(Patch(Good(), i => { Guid.NewGuid().TryWriteBytes(i.AsSpan(EntryAt(FileParameters))); i[EntryAt(FileParameters) + 24] = 0; }),
            VirtualDiskErrorReason.VhdxMetadataRequiredMissing, 1392);

    [TestCase(3u * 1024 * 1024)]
    [TestCase(512u * 1024)]
    [TestCase(512u * 1024 * 1024)]
    public void BlockSizeNotAllowed(uint blockSize) =>
        AssertFails(Patch(Good(), i => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(ItemAt(i, FileParameters)), blockSize)), VirtualDiskErrorReason.VhdxBlockSizeInvalid, 0xC03A000B);

    [Test]
    public void FileParameterReservedFlags() =>
        AssertFails(Patch(Good(), i => i[ItemAt(i, FileParameters) + 4] = 4), VirtualDiskErrorReason.VhdxFileParametersInvalid, 0xC03A0010);

    [TestCase(LogicalSector, 1024u)]
    [TestCase(PhysicalSector, 520u)]
    public void SectorSizeNotAllowed(int item, uint value) =>
        AssertFails(Patch(Good(), i => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(ItemAt(i, item)), value)), VirtualDiskErrorReason.VhdxSectorSizeInvalid, 0xC03A0010);

    [TestCase(0UL, VirtualDiskErrorReason.VirtualSizeZero)]
    [TestCase(8UL * 1024 * 1024 + 100, VirtualDiskErrorReason.VirtualSizeNotSectorMultiple)]
    [TestCase((64UL << 40) + 512, VirtualDiskErrorReason.VirtualSizeTooLarge)]
    public void VirtualSizeNotAllowed(ulong size, VirtualDiskErrorReason reason) =>
        AssertFails(Patch(Good(), i => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(ItemAt(i, VirtualDiskSize)), size)), reason, 0xC03A0012);

    [Test]
    public void FourKSizeMustBeA4KMultiple()
    {
        var writer = new VhdxWriter(8 * MiB, logicalSectorSize: 4096);
        AssertFails(Patch(writer, i => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(ItemAt(i, VirtualDiskSize)), 8 * (ulong)MiB - 512)),
            VirtualDiskErrorReason.VirtualSizeNotSectorMultiple, 0xC03A0012);
    }

    // ---- parent locator ----

    private static VhdxWriter Child() => new(8 * MiB) { Parent = new VhdxParentSpec(Guid.NewGuid(), "parent.vhdx") };

    [Test]
    public void HasParentWithoutLocator() =>
        AssertFails(Patch(Child(), i => { i[Metadata + 10] = 5; i.AsSpan(EntryAt(ParentLocator), 32).Clear(); }), VirtualDiskErrorReason.VhdxParentLocatorMissing, 0xC03A0010);

    [Test]
    public void LocatorTypeUnknown() =>
        AssertFails(Patch(Child(), i => i[ItemAt(i, ParentLocator)] ^= 0xFF), VirtualDiskErrorReason.VhdxParentLocatorInvalid, 0xC03A0010);

    [Test]
    public void LocatorWithoutParentLinkage() => AssertFails(Patch(Child(), i =>
    {
        // Rename the key "parent_linkage" to "parent_linkagX".
        int at = ItemAt(i, ParentLocator);
        int keyOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(i.AsSpan(at + 20));
        i[at + keyOffset + 26] = (byte)'X';
    }), VirtualDiskErrorReason.VhdxParentLocatorInvalid, 0xC03A0010);

    [Test]
    public void LocatorKeyOutsideTheItem() => AssertFails(Patch(Child(), i =>
        BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(ItemAt(i, ParentLocator) + 20), 60_000)), VirtualDiskErrorReason.VhdxParentLocatorInvalid, 0xC03A0010);

    // ---- BAT ----

    private static int BatEntryAt(VhdxWriter w, long block) => (int)(VhdxWriter.BatOffset + w.PayloadIndex(block) * 8);

    [Test]
    public void BatStateReserved()
    {
        var w = Good();
        AssertFails(Patch(w, i => i[BatEntryAt(w, 3)] = (byte)((i[BatEntryAt(w, 3)] & ~7) | 4)), VirtualDiskErrorReason.BatEntryStateInvalid, 0xC03A000A);
    }

    [Test]
    public void PartiallyPresentInDynamicDisk()
    {
        var w = Good();
        AssertFails(Patch(w, i => i[BatEntryAt(w, 3)] |= 7), VirtualDiskErrorReason.VhdxPartialBlockNotDifferencing, 0xC03A000A);
    }

    [Test]
    public void BlockBeyondEndOfFile()
    {
        var w = Good();
        AssertFails(Patch(w, i => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(BatEntryAt(w, 3)), (4096UL << 20) | 6)), VirtualDiskErrorReason.BatEntryBeyondEndOfFile, 0xC03A000A);
    }

    [TestCase(0UL)]
    [TestCase(1UL)]  // the log
    [TestCase(2UL)]  // the metadata region
    [TestCase(3UL)]  // the BAT region
    public void BlockOverlapsMetadata(ulong offsetMb)
    {
        var w = Good();
        AssertFails(Patch(w, i => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(BatEntryAt(w, 3)), (offsetMb << 20) | 6)), VirtualDiskErrorReason.BatBlockOverlapsMetadata, 0xC03A000A);
    }

    [Test]
    public void BlocksOverlap()
    {
        var w = Good();
        AssertFails(Patch(w, i => i.AsSpan(BatEntryAt(w, 0), 8).CopyTo(i.AsSpan(BatEntryAt(w, 3)))), VirtualDiskErrorReason.BatBlocksOverlap, 0xC03A000A);
    }

    [Test]
    public void BatRegionTooSmall()
    {
        // 8 MiB of virtual size need 8 entries; a 1 MiB BAT holds 131 072, so claim a size needing more.
        var w = new VhdxWriter(200L * 1024 * MiB);
        AssertFails(Patch(w, i => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(ItemAt(i, VirtualDiskSize)), 1UL << 40)), VirtualDiskErrorReason.BatRegionTooSmall, 0xC03A000A);
    }

    [Test]
    public void BatReservedBitsAreAWarning()
    {
        var w = Good();
        using var disk = AssertOpensWithWarning(Patch(w, i => i[BatEntryAt(w, 0) + 1] |= 0x01), VirtualDiskErrorReason.BatEntryReservedBitsSet);
    }

    [Test]
    public void SectorBitmapEntryInDynamicDiskIsIgnored()
    {
        var w = new VhdxWriter(5L * 1024 * MiB).Fill(0, 4096, 1); // > 4 GiB: one sector bitmap entry at index 4096
        using var disk = AssertOpensWithWarning(Patch(w, i => i[(int)VhdxWriter.BatOffset + 4096 * 8] = 6), VirtualDiskErrorReason.VhdxSectorBitmapEntryIgnored);
    }

    [Test]
    public void PartiallyPresentBlockWithoutItsSectorBitmap()
    {
        string folder = TestPaths.NewTempFolder("bad");
        var parent = new VhdxWriter(8 * MiB);
        Save(parent, folder, "parent.vhdx");
        var child = new VhdxWriter(8 * MiB) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "parent.vhdx") }.Fill(4096, 4096, 9);
        byte[] image = child.Build();
        int sbEntry = (int)(VhdxWriter.BatOffset + child.ChunkRatio * 8); // chunk 0's sector bitmap entry
        image.AsSpan(sbEntry, 8).Clear();
        string path = Save(image, folder, "child.vhdx");
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(path).Dispose())!;
        Assert.That(e.Reason, Is.EqualTo(VirtualDiskErrorReason.VhdxSectorBitmapMissing));
        Assert.That(e.ErrorCode, Is.EqualTo(0xC03A000Au));
    }

    [Test]
    public void SectorBitmapStateInvalidInDifferencingDisk()
    {
        var child = Child().Fill(4096, 4096, 9);
        AssertFails(Patch(child, i => i[(int)(VhdxWriter.BatOffset + child.ChunkRatio * 8)] = (byte)((i[(int)(VhdxWriter.BatOffset + child.ChunkRatio * 8)] & ~7) | 3)),
            VirtualDiskErrorReason.BatEntryStateInvalid, 0xC03A000A);
    }

    [Test]
    public void HostileCountsDoNotAllocate()
    {
        // Every count field at its maximum with valid checksums: open fails cleanly (no exception type other than ours).
        var w = Good();
        byte[] image = Patch(w, i =>
        {
            BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(RT1 + 8), 2047);
            BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(RT2 + 8), 2047);
        });
        AssertFails(image, VirtualDiskErrorReason.VhdxRegionEntryInvalid, 1392);
        Assert.That(Encoding.ASCII.GetString(image, 0, 8), Is.EqualTo("vhdxfile"));
    }
}
