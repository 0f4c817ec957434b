using System.Buffers.Binary;
using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhdx;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged.Tests.Perf;

/// <summary>
/// Opening a differencing VHDX reads and keeps only the BAT entries the disk has (issue 12, item 9). MS-VHDX §2.5:
/// with 512-byte sectors and 1 MiB blocks the chunk ratio is 2^23·512 / 2^20 = 4,096, so a 16 MiB differencing disk's
/// table spans one whole chunk, 4,097 entries (§2.5.1), of which it uses 17: 16 payload entries and the chunk's
/// sector bitmap entry (the last one). Sizes and counts here come from the spec, not from the reader.
/// </summary>
[TestFixture]
public sealed class DifferencingBatTests
{
    private const long MiB = VhdxWriter.MiB;
    private const long Size = 16 * MiB;
    private const long SpanEntries = 4097;                  // (16 / 4096 rounded up) · (4096 + 1)
    private const long BitmapEntryIndex = 4096;             // chunk 0's bitmap: 0 · 4097 + 4096
    private string _folder = "";
    private string _child = "";
    private byte[] _expected = [];

    [OneTimeSetUp]
    public void Make()
    {
        _folder = TestPaths.NewTempFolder("diffbat");
        var parent = new VhdxWriter(Size, blockSize: (uint)MiB).Fill(0, (int)MiB, 0x41).Fill(9 * MiB, 4096, 0x42);
        parent.Save(Path.Combine(_folder, "parent.vhdx"));
        var child = new VhdxWriter(Size, blockSize: (uint)MiB) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "parent.vhdx") }
            .Fill(4096, 8192, 0x51)          // partially present block 0: needs chunk 0's sector bitmap
            .Fill(15 * MiB, (int)MiB, 0x52); // the last block, fully present
        _child = Path.Combine(_folder, "child.vhdx");
        child.Save(_child);
        _expected = new byte[Size];
        _expected.AsSpan(0, (int)MiB).Fill(0x41);
        _expected.AsSpan((int)(9 * MiB), 4096).Fill(0x42);
        _expected.AsSpan(4096, 8192).Fill(0x51);
        _expected.AsSpan((int)(15 * MiB), (int)MiB).Fill(0x52);
    }

    [Test]
    public void OnlyTheEntriesInUseAreReadAndKept()
    {
        using var disk = VirtualDisk.Open(_child);
        var table = ((VhdxLayer)disk.TopLayerForTests()).BlockTable;
        Assert.That(table.EntryCount, Is.EqualTo(SpanEntries), "the table spans the whole chunk (§2.5.1)");
        Assert.That(table.EntriesInUse, Is.EqualTo(17));
        Assert.That(table.LoadedEntryBytes, Is.EqualTo(17 * 8), "only the 17 entries in use are held");
        using var stream = disk.OpenStream();
        var content = new byte[Size];
        stream.ReadExactly(content);
        Assert.That(content.AsSpan().SequenceEqual(_expected), Is.True, "the chain's content (the partial block uses the bitmap entry)");
    }

    [Test]
    public void OpeningTheChainAllocatesLessThanOneChunkOfEntries()
    {
        // Reading the whole chunk held 4,097 · 8 = 32,776 bytes for the child alone.
        long bytes = AllocationTests.Allocated(() =>
        {
            using var disk = VirtualDisk.Open(_child);
            _ = disk.VirtualSize;
        });
        Assert.That(bytes, Is.LessThan(SpanEntries * 8), $"{bytes} bytes per open");
    }

    [Test]
    public void TheLastChunksBitmapEntryIsStillValidated()
    {
        // §2.5.1.2: a sector bitmap entry is SB_BLOCK_NOT_PRESENT (0) or SB_BLOCK_PRESENT (6); 3 is neither.
        byte[] image = File.ReadAllBytes(_child);
        long at = VhdxWriter.BatOffset + BitmapEntryIndex * 8;
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan((int)at));
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan((int)at), (entry & ~7UL) | 3);
        string bad = VhdxTestSupport.Save(image, _folder, "bad-bitmap.vhdx");
        var ex = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(bad).Dispose())!;
        Assert.That(ex.Reason, Is.EqualTo(VirtualDiskErrorReason.BatEntryStateInvalid));
        Assert.That(ex.Diagnostic.Offset, Is.EqualTo(at));
    }

    [Test]
    public void AMissingBitmapForAPartialBlockIsStillFound()
    {
        // §2.5.1.2: a partially present block needs its chunk's sector bitmap; clear that (last) entry.
        byte[] image = File.ReadAllBytes(_child);
        long at = VhdxWriter.BatOffset + BitmapEntryIndex * 8;
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan((int)at), 0);
        string bad = VhdxTestSupport.Save(image, _folder, "no-bitmap.vhdx");
        var ex = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(bad).Dispose())!;
        Assert.That(ex.Reason, Is.EqualTo(VirtualDiskErrorReason.VhdxSectorBitmapMissing));
    }

    [Test]
    public void UnusedEntriesInTheLastChunkAreNotRead()
    {
        // Entries 16..4095 describe no block of a 16 MiB disk (§2.5): garbage there changes nothing.
        byte[] image = File.ReadAllBytes(_child);
        for (long i = 16; i < BitmapEntryIndex; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan((int)(VhdxWriter.BatOffset + i * 8)), 0xFFFF_FFFF_FFFF_FFFCUL);
        string odd = VhdxTestSupport.Save(image, _folder, "gap-garbage.vhdx");
        using var disk = VirtualDisk.Open(odd);
        Assert.That(disk.Warnings, Is.Empty);
        Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(_expected)).ToLowerInvariant()));
    }
}
