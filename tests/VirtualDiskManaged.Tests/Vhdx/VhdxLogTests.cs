using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.Vhdx.VhdxTestSupport;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>Pending logs written by <see cref="VhdxWriter"/> (MS-VHDX §2.3): replayed into memory, the file untouched.</summary>
public sealed class VhdxLogTests
{
    private const long MiB = VhdxWriter.MiB;

    /// <summary>
    /// 16 MiB disk whose BAT lives only in the log: a 3-entry sequence (the BAT sector in the first, a zero range in the
    /// last) that wraps around the end of the 1 MiB log (entries at 4 KiB sectors 254, 0 and 1).
    /// </summary>
    private static ModelDisk PendingLogDisk(long? flushed = null, bool zeroFirstPayloadSector = true, int entries = 3, int startSector = 254)
    {
        var writer = new VhdxWriter(16 * MiB) { DeferBatToLog = true, LogEntryCount = entries, LogStartSector = startSector, LogFlushedFileOffset = flushed };
        var model = new ModelDisk(writer).Fill(0, 8192, 0xA1).Fill(6 * MiB + 512, 4096, 0xA2).Fill(11 * MiB, (int)MiB, 0xA3);
        if (zeroFirstPayloadSector)
        {
            // A zero descriptor over the first 4 KiB of the first payload block (block 0, placed right after the BAT).
            writer.LogZeroRanges.Add((VhdxWriter.BatOffset + writer.BatLength, 4096));
            model.Content.AsSpan(0, 4096).Clear();
        }
        return model;
    }

    [Test]
    public void PendingLogIsReplayedInMemory_FileUnchanged()
    {
        var model = PendingLogDisk();
        string path = Save(model.Writer, TestPaths.NewTempFolder("log"), "dirty.vhdx");
        var before = FileSnapshot.Of(path);

        using (var disk = VirtualDisk.Open(path))
        {
            Assert.That(disk.LogReplayed, Is.True);
            Assert.That(disk.Warnings.Select(w => w.Reason), Does.Contain(VirtualDiskErrorReason.VhdxLogReplayed));
            Assert.That(disk.Info.Top.LogReplayed, Is.True);
            Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(model.Sha256));
        }
        Assert.That(FileSnapshot.Of(path), Is.EqualTo(before), "length, modification time and bytes unchanged");
    }

    [Test]
    public void QemuReplaysTheWritersLogToTheSameContent()
    {
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        // One entry at the start of the log: qemu's log search does not follow a sequence's Tail, so a sequence that
        // wraps with more than one entry is replayed differently by it (checked by hand: it skips the entries before the wrap).
        var model = PendingLogDisk(zeroFirstPayloadSector: false, entries: 1, startSector: 0);
        string folder = TestPaths.NewTempFolder("log");
        string path = Save(model.Writer, folder, "dirty.vhdx");
        using (var disk = VirtualDisk.Open(path)) Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(model.Sha256));
        // qemu replays a pending log when repairing a copy; its converted content must match too.
        string copy = Path.Combine(folder, "copy.vhdx");
        File.Copy(path, copy);
        var (rc, output) = Run("qemu-img", "check", "-r", "all", "-f", "vhdx", copy);
        Assert.That(rc, Is.EqualTo(0), output);
        string raw = Path.Combine(folder, "copy.raw");
        (rc, output) = Run("qemu-img", "convert", "-f", "vhdx", "-O", "raw", copy, raw);
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(raw))).ToLowerInvariant(), Is.EqualTo(model.Sha256));
    }

    [Test]
    public void TruncatedFileIsRefused()
    {
        var model = PendingLogDisk(flushed: 64 * 1024 * MiB);
        string path = Save(model.Writer, TestPaths.NewTempFolder("log"), "trunc.vhdx");
        AssertFails(path, VirtualDiskErrorReason.VhdxLogFileTruncated, 1392);
    }

    [Test]
    public void DescriptorIntoTheHeaderSectionIsRefused()
    {
        var writer = new VhdxWriter(16 * MiB) { DeferBatToLog = true };
        writer.Fill(0, 4096, 1);
        writer.LogZeroRanges.Add((0, 4096));
        string path = Save(writer, TestPaths.NewTempFolder("log"), "bad.vhdx");
        AssertFails(path, VirtualDiskErrorReason.VhdxLogCorrupt, 1392);
    }

    [Test]
    public void LogBeyondTheFileIsRefused()
    {
        var writer = new VhdxWriter(16 * MiB) { DeferBatToLog = true };
        writer.Fill(0, 4096, 1);
        byte[] image = writer.Build();
        foreach (long h in new[] { VhdxWriter.Header1Offset, VhdxWriter.Header2Offset })
            BitConverter.TryWriteBytes(image.AsSpan((int)h + 72), 1024UL * (ulong)MiB); // LogOffset = 1 GiB
        VhdxWriter.FixChecksums(image);
        string path = Save(image, TestPaths.NewTempFolder("log"), "far.vhdx");
        AssertFails(path, VirtualDiskErrorReason.VhdxLogCorrupt, 1392);
    }

    [Test]
    public void TornEntryMeansAnEmptyLog()
    {
        var writer = new VhdxWriter(16 * MiB) { DeferBatToLog = true };
        writer.Fill(0, 4096, 1);
        byte[] image = writer.Build();
        image[VhdxWriter.LogOffset + 4096 + 100] ^= 0xFF; // inside the data sector: the entry's CRC no longer matches
        string path = Save(image, TestPaths.NewTempFolder("log"), "torn.vhdx");
        using var disk = VirtualDisk.Open(path);
        Assert.That(disk.LogReplayed, Is.False);
        Assert.That(disk.Warnings.Select(w => w.Reason), Does.Contain(VirtualDiskErrorReason.VhdxLogGuidWithoutEntries));
        var buffer = new byte[4096];
        disk.Read(0, buffer);
        Assert.That(buffer, Is.All.EqualTo(0), "the stale BAT (never updated) says nothing was written");
    }

    [Test]
    public void OlderSequenceIsNotReplayed()
    {
        // Two sequences in the log: the active one is the one whose head has the greater sequence number.
        var older = new VhdxWriter(16 * MiB) { DeferBatToLog = true, LogFirstSequence = 5 }.Fill(0, 4096, 0x01);
        byte[] oldImage = older.Build();
        var newer = new VhdxWriter(16 * MiB) { DeferBatToLog = true, LogFirstSequence = 9, LogStartSector = 100, DataWriteGuid = older.DataWriteGuid,
            FileWriteGuid = older.FileWriteGuid, VirtualDiskId = older.VirtualDiskId }.Fill(0, 4096, 0x02);
        byte[] image = newer.Build();
        // Copy the older entry (same LogGuid needed): re-target its GUID to the newer header's LogGuid.
        var logGuid = new Guid(image.AsSpan((int)VhdxWriter.Header1Offset + 48, 16));
        var entry = oldImage.AsSpan((int)VhdxWriter.LogOffset, 8192).ToArray();
        logGuid.TryWriteBytes(entry.AsSpan(32));
        entry.AsSpan(4, 4).Clear();
        BitConverter.TryWriteBytes(entry.AsSpan(4), VhdxWriter.Crc32CReference(entry));
        entry.CopyTo(image, VhdxWriter.LogOffset);
        // Both payload blocks sit at the same file offset, so the block content decides which BAT won: the newer one's.
        string path = Save(image, TestPaths.NewTempFolder("log"), "two.vhdx");
        using var disk = VirtualDisk.Open(path);
        Assert.That(disk.LogReplayed, Is.True);
        var buffer = new byte[4096];
        disk.Read(0, buffer);
        Assert.That(buffer, Is.All.EqualTo(0x02));
    }

    private static void AssertFails(string path, VirtualDiskErrorReason reason, uint code)
    {
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, path, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            OpenVirtualDiskFlags.None, null, out var handle), Is.EqualTo(code));
        Assert.That(handle, Is.Null);
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(path).Dispose())!;
        Assert.That(e.Reason, Is.EqualTo(reason), e.Message);
        Assert.That(e.ErrorCode, Is.EqualTo(code));
    }
}
