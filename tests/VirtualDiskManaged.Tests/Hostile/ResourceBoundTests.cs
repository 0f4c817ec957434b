using System.Buffers.Binary;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// Issue 7 part 2: one crafted image per integer-overflow / unbounded-allocation class seen in peers' VHD and VHDX
/// parsers (qemu vpc/vhdx 2014: block sizes and BAT sizes from the file used in allocations and offsets). Each must
/// end in the documented code (docs/open-path.md §8) with an allocation under a fixed cap, whatever the file claims.
/// </summary>
[TestFixture, Category("Hostile")]
public sealed class ResourceBoundTests
{
    private const uint VhdDriveFooterCorrupt = 0xC03A0003;
    private const uint VhdBatCorrupt = 0xC03A000A;
    private const uint VhdInvalidBlockSize = 0xC03A000B;
    private const uint VhdMetadataReadFailure = 0xC03A0010;
    private const uint VhdInvalidSize = 0xC03A0012;
    private const uint VhdInvalidFileSize = 0xC03A0013;
    private const uint ChainCycleOrTooDeep = 0xC03A0018;
    private const uint FileCorrupt = 1392;

    private static HostileFiles.Outcome Open(byte[] image, string name)
    {
        var outcome = HostileFiles.OpenAndRead(HostileFiles.Write(image, name));
        Assert.That(outcome.Allocated, Is.LessThan(HostileFiles.AllocationCap), () => $"allocation: {outcome}");
        return outcome;
    }

    private static void ExpectCode(byte[] image, string name, params uint[] codes)
    {
        var outcome = Open(image, name);
        Assert.That(codes, Does.Contain(outcome.Code), () => $"expected {string.Join(" or ", codes.Select(c => $"0x{c:X8}"))}, got {outcome}");
    }

    // ---------------- VHD (VHD spec "Dynamic Disk Header Format", "Block Allocation Table and Data Blocks"; docs/open-path.md §8) ----------------

    [TestCase(0u, TestName = "VHD block size 0")]
    [TestCase(256u, TestName = "VHD block size 256 (power of two below 512)")]
    [TestCase(0x300000u, TestName = "VHD block size 3 MiB (not a power of two)")]
    [TestCase(0x80000001u, TestName = "VHD block size 2^31+1")]
    [TestCase(0xFFFFFFFFu, TestName = "VHD block size 0xFFFFFFFF")]
    public void VhdBlockSizeNotAllowed(uint blockSize)
    {
        byte[] image = new CraftedVhd().Build();
        CraftedVhd.PatchHeader(image, 32, blockSize, 4);
        ExpectCode(image, "bs.vhd", VhdInvalidBlockSize);
    }

    [Test]
    public void VhdHugePowerOfTwoBlockSizeIsBoundedAllocation()
    {
        // 2 GiB blocks (a power of two ≥ 512, so allowed by the rule) with one BAT entry, no block allocated:
        // nothing may be sized by the block size (its bitmap alone would be 512 KiB, its data 2 GiB).
        var vhd = new CraftedVhd { BlockSize = 512 * 1024, AllocatedBlocks = [] };
        byte[] image = vhd.Build();
        CraftedVhd.PatchHeader(image, 32, 0x80000000, 4);
        CraftedVhd.PatchHeader(image, 28, 1, 4);
        var outcome = Open(image, "bs2g.vhd");
        if (outcome.Failure is null)
            Assert.That(outcome.Content!.All(b => b == 0), Is.True, "an unallocated block reads as zeros");
        else
            Assert.That(outcome.Code, Is.EqualTo(VhdInvalidBlockSize).Or.EqualTo(VhdBatCorrupt), outcome.ToString);
    }

    [Test]
    public void VhdMaxTableEntriesHuge()
    {
        // 0xFFFFFFFF entries = a 16 GiB BAT in a 3 MiB file: beyond the file (or, if only the entries the size needs
        // are read, "more entries than needed", a warning) — never a 16 GiB allocation or a 32-bit overflow.
        byte[] image = new CraftedVhd().Build();
        CraftedVhd.PatchHeader(image, 28, 0xFFFFFFFF, 4);
        var outcome = Open(image, "mte.vhd");
        if (outcome.Failure is null)
            Assert.That(outcome.Warnings.Select(w => w.Reason), Does.Contain(VirtualDiskErrorReason.VhdMaxTableEntriesTooLarge), outcome.ToString);
        else
            Assert.That(outcome.Code, Is.EqualTo(VhdBatCorrupt), outcome.ToString);
    }

    [Test]
    public void VhdMaxTableEntriesTooSmall()
    {
        byte[] image = new CraftedVhd().Build();
        CraftedVhd.PatchHeader(image, 28, 1, 4); // 4 MiB / 512 KiB needs 8
        ExpectCode(image, "mts.vhd", VhdBatCorrupt);
    }

    [TestCase(0xFFFFFFFFFFFFFE00UL, TestName = "VHD BAT offset 2^64-512")]
    [TestCase(0x7FFFFFFFFFFFFE00UL, TestName = "VHD BAT offset 2^63-512")]
    [TestCase(0xFFFFFFFFFFFFFFFFUL, TestName = "VHD BAT offset 2^64-1")]
    public void VhdBatOffsetNearTwoToThe64(ulong tableOffset)
    {
        byte[] image = new CraftedVhd().Build();
        CraftedVhd.PatchHeader(image, 16, tableOffset, 8);
        ExpectCode(image, "batoff.vhd", VhdBatCorrupt, 0xC03A0008 /* dynamic header field impossible */);
    }

    [Test]
    public void VhdBatEndsOneEntryPastTheFile()
    {
        var vhd = new CraftedVhd();
        byte[] image = vhd.Build();
        // Table offset such that the last entry straddles the end of the file.
        CraftedVhd.PatchHeader(image, 16, (ulong)(image.Length - 2), 8);
        ExpectCode(image, "batend.vhd", VhdBatCorrupt, 0xC03A0008);
    }

    [TestCase(0xFFFFFFFEu, TestName = "VHD BAT entry 0xFFFFFFFE (offset overflows 32 bits)")]
    [TestCase(0x7FFFFFFFu, TestName = "VHD BAT entry 0x7FFFFFFF")]
    public void VhdBatEntryBeyondTheFile(uint sector)
    {
        byte[] image = new CraftedVhd().Build();
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(CraftedVhd.BatOffset), sector);
        ExpectCode(image, "bate.vhd", VhdBatCorrupt);
    }

    [TestCase(0xFFFFFFFFFFFFFE00UL, TestName = "VHD footer data offset 2^64-512")]
    [TestCase(0x8000000000000000UL, TestName = "VHD footer data offset 2^63")]
    public void VhdDataOffsetNearTwoToThe64(ulong dataOffset)
    {
        byte[] image = new CraftedVhd().Build();
        CraftedVhd.PatchFooter(image, 16, dataOffset, 8);
        ExpectCode(image, "doff.vhd", VhdDriveFooterCorrupt);
    }

    [TestCase(0xFFFFFFFFFFFFFE00UL, TestName = "VHD current size 2^64-512")]
    [TestCase(0x8000000000000000UL, TestName = "VHD current size 2^63")]
    public void VhdVirtualSizeHuge(ulong size)
    {
        byte[] image = new CraftedVhd().Build();
        CraftedVhd.PatchFooter(image, 48, size, 8);
        ExpectCode(image, "size.vhd", VhdInvalidSize);
    }

    [Test]
    public void VhdFixedShorterThanItsSize()
    {
        byte[] image = new CraftedVhd { DiskType = 2, VirtualSize = 1024 * 1024 }.Build();
        CraftedVhd.PatchFooter(image, 48, 64UL * 1024 * 1024, 8);
        ExpectCode(image, "short.vhd", VhdInvalidFileSize);
    }

    [Test]
    public void VhdLocatorLengthAndOffsetHuge()
    {
        // The child's only path locator claims 4 GiB of data at 2^64-256; the parent name still names the parent.
        string folder = TestPaths.NewTempFolder("loc");
        var parent = new CraftedVhd();
        HostileFiles.Write(parent.Build(), "parent.vhd", folder);
        byte[] child = CraftedVhd.ChildOf(parent, "parent.vhd").Build();
        int entry = CraftedVhd.DynamicHeaderOffset + 576;
        BinaryPrimitives.WriteUInt32BigEndian(child.AsSpan(entry + 8), 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt64BigEndian(child.AsSpan(entry + 16), 0xFFFFFFFFFFFFFF00);
        CraftedVhd.FixChecksums(child);
        var outcome = HostileFiles.OpenAndRead(HostileFiles.Write(child, "child.vhd", folder));
        Assert.That(outcome.Allocated, Is.LessThan(HostileFiles.AllocationCap), outcome.ToString);
        // Either the broken locator is skipped and the parent name finds the parent, or the header is refused.
        Assert.That(outcome.Code, Is.EqualTo(0u).Or.EqualTo(0xC03A0008u), outcome.ToString);
    }

    [Test]
    public void VhdChainOf300IsRefusedAsTooDeep()
    {
        string folder = TestPaths.NewTempFolder("deep");
        string top = WriteChain(folder, 300);
        var outcome = HostileFiles.OpenAndRead(top, maxRead: 0);
        Assert.That(outcome.Code, Is.EqualTo(ChainCycleOrTooDeep), outcome.ToString);
        Assert.That(outcome.Failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ChainTooDeep));
    }

    [Test]
    public void VhdChainOf256ParentsOpens()
    {
        // docs/open-path.md §10: deeper than 256 fails; a child with exactly 256 parents is still accepted.
        string folder = TestPaths.NewTempFolder("deep256");
        string top = WriteChain(folder, 256);
        var outcome = HostileFiles.OpenAndRead(top);
        Assert.That(outcome.Failure, Is.Null, outcome.ToString);
        Assert.That(outcome.Content, Is.EqualTo(ChainBase.ExpectedContent()));
    }

    private static readonly CraftedVhd ChainBase = new() { VirtualSize = 1024 * 1024, BlockSize = 512 * 1024, AllocatedBlocks = [1] };

    /// <summary>A dynamic base d000.vhd and <paramref name="children"/> differencing files d001..dNNN, each the child of the previous one.</summary>
    internal static string WriteChain(string folder, int children)
    {
        var parent = ChainBase;
        HostileFiles.Write(parent.Build(), "d000.vhd", folder);
        string path = "";
        for (int i = 1; i <= children; i++)
        {
            var child = CraftedVhd.ChildOf(parent, $"d{i - 1:D3}.vhd");
            path = HostileFiles.Write(child.Build(), $"d{i:D3}.vhd", folder);
            parent = child;
        }
        return path;
    }

    // ---------------- VHDX (MS-VHDX §2.2.3–§2.6; docs/open-path.md §8) ----------------

    [TestCase(0u, TestName = "VHDX block size 0")]
    [TestCase(512u * 1024, TestName = "VHDX block size 512 KiB")]
    [TestCase(3u * 1024 * 1024, TestName = "VHDX block size 3 MiB")]
    [TestCase(512u * 1024 * 1024, TestName = "VHDX block size 512 MiB")]
    [TestCase(0x80000000u, TestName = "VHDX block size 2 GiB")]
    [TestCase(0xFFFFFFFFu, TestName = "VHDX block size 0xFFFFFFFF")]
    public void VhdxBlockSizeNotAllowed(uint blockSize)
    {
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.Patch(image, CraftedVhdx.MetadataOffset + 0x10000, blockSize, 4);
        ExpectCode(image, "bs.vhdx", VhdInvalidBlockSize);
    }

    [TestCase(0xFFF00000u, TestName = "VHDX BAT region length 4 GiB - 1 MiB")]
    [TestCase(0x80000000u, TestName = "VHDX BAT region length 2 GiB")]
    public void VhdxBatRegionHuge(uint length)
    {
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.PatchRegionEntry(image, 0, 24, length, 4);
        // A region beyond the file: the BAT beyond the file (0xC03A000A) or a region entry / overlap error (1392).
        ExpectCode(image, "batlen.vhdx", VhdBatCorrupt, FileCorrupt);
    }

    [TestCase(0, 0xFFFFFFFFFFF00000UL, TestName = "VHDX BAT region offset 2^64-1 MiB (offset+length wraps)")]
    [TestCase(1, 0xFFFFFFFFFFF00000UL, TestName = "VHDX metadata region offset 2^64-1 MiB (offset+length wraps)")]
    [TestCase(0, 0x7FFFFFFFFFF00000UL, TestName = "VHDX BAT region offset 2^63-1 MiB")]
    public void VhdxRegionOffsetPlusLengthOverflows(int entry, ulong offset)
    {
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.PatchRegionEntry(image, entry, 16, offset, 8);
        ExpectCode(image, "region.vhdx", FileCorrupt, VhdBatCorrupt, VhdMetadataReadFailure);
    }

    [Test]
    public void VhdxRegionEntryCountHuge()
    {
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.Patch(image, CraftedVhdx.Regions1 + 8, 0xFFFFFFFF, 4);
        CraftedVhdx.Patch(image, CraftedVhdx.Regions2 + 8, 0xFFFFFFFF, 4);
        ExpectCode(image, "regcount.vhdx", FileCorrupt);
    }

    [TestCase(0xFFFFFFF0u, 0x20u, TestName = "VHDX metadata item offset+length wraps 32 bits")]
    [TestCase(0x10000u, 0xFFFFFFFFu, TestName = "VHDX metadata item length 0xFFFFFFFF")]
    [TestCase(0x000FFFFCu, 8u, TestName = "VHDX metadata item straddles the region end")]
    [TestCase(0x80000000u, 8u, TestName = "VHDX metadata item offset 2 GiB")]
    public void VhdxMetadataEntryOutsideTheRegion(uint offset, uint length)
    {
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.PatchMetadataEntry(image, CraftedVhdx.EntryFileParameters, 16, offset, 4);
        CraftedVhdx.PatchMetadataEntry(image, CraftedVhdx.EntryFileParameters, 20, length, 4);
        ExpectCode(image, "meta.vhdx", VhdMetadataReadFailure);
    }

    [Test]
    public void VhdxMetadataEntryCountHuge()
    {
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.Patch(image, CraftedVhdx.MetadataOffset + 10, 0xFFFF, 2);
        ExpectCode(image, "metacount.vhdx", VhdMetadataReadFailure);
    }

    [TestCase(0x8000000000000000UL, TestName = "VHDX virtual size 2^63")]
    [TestCase(0xFFFFFFFFFFFFFE00UL, TestName = "VHDX virtual size 2^64-512")]
    [TestCase((1UL << 46) + 512, TestName = "VHDX virtual size 64 TiB + 512")]
    public void VhdxVirtualSizeHuge(ulong size)
    {
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.Patch(image, CraftedVhdx.MetadataOffset + 0x10008, size, 8);
        ExpectCode(image, "size.vhdx", VhdInvalidSize);
    }

    [Test]
    public void VhdxLogLengthHugeWithActiveLogGuid()
    {
        // A log GUID says the log matters, and the log claims 4 GiB - 1 MiB from 1 MiB: far beyond the 6 MiB file.
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.PatchHeaders(image, 48, 0x0123456789ABCDEF, 8);
        CraftedVhdx.PatchHeaders(image, 68, 0xFFF00000, 4);
        ExpectCode(image, "loglen.vhdx", FileCorrupt);
    }

    [Test]
    public void VhdxLogLengthHugeWithEmptyLog()
    {
        // No log GUID: the log is empty, but its location still overlaps the regions and runs past the file.
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.PatchHeaders(image, 68, 0xFFF00000, 4);
        ExpectCode(image, "loglen0.vhdx", FileCorrupt);
    }

    [TestCase(0xFFFFFFFFFFF00000UL, TestName = "VHDX log offset 2^64-1 MiB")]
    [TestCase(0x7FFFFFFFFFF00000UL, TestName = "VHDX log offset 2^63-1 MiB")]
    public void VhdxLogOffsetHuge(ulong offset)
    {
        byte[] image = new CraftedVhdx().Build();
        CraftedVhdx.PatchHeaders(image, 48, 0x0123456789ABCDEF, 8);
        CraftedVhdx.PatchHeaders(image, 72, offset, 8);
        ExpectCode(image, "logoff.vhdx", FileCorrupt);
    }

    [Test]
    public void CraftedImagesAreValidToBeginWith()
    {
        // The starting points of the tests above open and read back what was written (so each patch is what fails).
        var vhd = new CraftedVhd();
        var o1 = HostileFiles.OpenAndRead(HostileFiles.Write(vhd.Build(), "ok.vhd"));
        Assert.That(o1.Failure, Is.Null, o1.ToString);
        Assert.That(o1.Content, Is.EqualTo(vhd.ExpectedContent()));
        var vhdx = new CraftedVhdx();
        var o2 = HostileFiles.OpenAndRead(HostileFiles.Write(vhdx.Build(), "ok.vhdx"));
        Assert.That(o2.Failure, Is.Null, o2.ToString);
        Assert.That(o2.Content, Is.EqualTo(vhdx.ExpectedContent()));
    }
}
