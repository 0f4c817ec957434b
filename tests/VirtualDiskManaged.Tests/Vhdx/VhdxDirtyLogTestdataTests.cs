using System.IO.Compression;
using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>
/// testdata/vhdx-log: VHDX images with a pending log, written by <see cref="VhdxWriter"/> from the spec (qemu-img cannot
/// be made to leave one behind). Their expected content is not ours: make.sh lets qemu-img replay the log in a copy
/// (`qemu-img check -r all`) and records the SHA-256 of `qemu-img convert -O raw` of the repaired copy.
/// </summary>
public sealed class VhdxDirtyLogTestdataTests
{
    private const long MiB = VhdxWriter.MiB;
    private static string Folder => Path.Combine(TestPaths.TestData, "vhdx-log");

    /// <summary>
    /// The images: a BAT that exists only in the log (one entry at the start of the log, the shape qemu's replay
    /// follows), data across block boundaries, and in the second image a zero descriptor over written data too.
    /// </summary>
    private static IEnumerable<(string Name, VhdxWriter Writer)> Images()
    {
        var batOnly = PendingLogWriter(8 * MiB, 0x00);
        batOnly.Fill(0, 8192, 0xA1).Fill(MiB - 2048, 4096, 0xA2).Fill(5 * MiB + 512, 4096, 0xA3).Fill(8 * MiB - 4096, 4096, 0xA4);
        yield return ("pending-bat.vhdx", batOnly);

        var withZero = PendingLogWriter(6 * MiB, 0x10);
        withZero.Fill(0, 65536, 0xB1).Fill(3 * MiB + 4096, 8192, 0xB2);
        // Zero the first 4 KiB of the first payload block (block 0, right after the BAT) through the log.
        withZero.LogZeroRanges.Add((VhdxWriter.BatOffset + withZero.BatLength, 4096));
        yield return ("pending-bat-zero.vhdx", withZero);
    }

    /// <summary>A writer whose BAT goes only into a one-entry log at the log's start; fixed ids (the last byte is <paramref name="idBase"/> + 1, 2, 3) so the images can be made again.</summary>
    private static VhdxWriter PendingLogWriter(long virtualSize, byte idBase) => new(virtualSize)
    {
        DeferBatToLog = true, LogEntryCount = 1, LogStartSector = 0,
        DataWriteGuid = new($"6f1c2a10-0000-4000-8000-0000000000{idBase + 1:x2}"),
        FileWriteGuid = new($"6f1c2a10-0000-4000-8000-0000000000{idBase + 2:x2}"),
        VirtualDiskId = new($"6f1c2a10-0000-4000-8000-0000000000{idBase + 3:x2}"),
    };

    /// <summary>Writes testdata/vhdx-log/*.vhdx.gz; testdata/vhdx-log/make.sh runs it, then records qemu's replay.</summary>
    [Test, Explicit("writes testdata/vhdx-log/*.vhdx.gz")]
    public void WriteDirtyLogTestdata()
    {
        Directory.CreateDirectory(Folder);
        foreach (var (name, writer) in Images())
        {
            using var output = File.Create(Path.Combine(Folder, name + ".gz"));
            using var gzip = new GZipStream(output, CompressionLevel.SmallestSize);
            gzip.Write(writer.Build());
        }
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        string expected = Path.Combine(Folder, "expected.json");
        if (!File.Exists(expected)) yield break;
        using var doc = JsonDocument.Parse(File.ReadAllText(expected));
        foreach (var image in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            var info = image.GetProperty("qemu_img_info_after_replay");
            yield return new TestCaseData(image.GetProperty("file").GetString(), info.GetProperty("virtual-size").GetInt64(),
                    image.GetProperty("raw_sha256_after_qemu_replay").GetString());
        }
    }

    [Test]
    public void EveryImageOfTheFolderHasExpectedResults()
    {
        var files = Directory.GetFiles(Folder, "*.vhdx.gz").Select(p => "vhdx-log/" + Path.GetFileName(p)).Order(StringComparer.Ordinal);
        var listed = Cases().Select(c => (string)c.Arguments[0]!).Order(StringComparer.Ordinal);
        Assert.That(listed, Is.EqualTo(files).And.Not.Empty);
    }

    /// <summary>Replayed into memory on a read-only open: qemu's content, the LogReplayed flag, the file untouched.</summary>
    [TestCaseSource(nameof(Cases))]
    public void ReplaysToWhatQemuReplaysAndWritesNothing(string file, long virtualSize, string sha256)
    {
        string path = TestPaths.TestDataImage(file);
        var before = FileSnapshot.Of(path);

        using (var disk = VirtualDisk.Open(path))
        {
            Assert.That(disk.LogReplayed, Is.True);
            Assert.That(disk.Warnings.Select(w => w.Reason), Does.Contain(VirtualDiskErrorReason.VhdxLogReplayed));
            Assert.That(disk.VirtualSize, Is.EqualTo(virtualSize));
            Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(sha256));
        }
        Assert.That(FileSnapshot.Of(path), Is.EqualTo(before), "length, modification time and bytes unchanged");
    }

    /// <summary>
    /// Opens that may write replay the log into the file before first use (issue 16; docs/write.md). The
    /// ATTACH_RW open replays into the file: the content is qemu's replay, the file changed, its log is clean afterwards
    /// (a read-only reopen replays nothing and reads the same), qemu-img check finds nothing, and the stream is writable.
    /// (This test pinned "a writable open replays into memory only" before the write path existed.)
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void WritableOpenReplaysIntoTheFile(string file, long virtualSize, string sha256)
    {
        string path = Path.Combine(TestPaths.NewTempFolder("dirty-rw"), Path.GetFileName(file)[..^3]);
        File.Copy(TestPaths.TestDataImage(file), path);
        var before = FileSnapshot.Of(path);

        using (var disk = VirtualDisk.Open(path, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo }))
        {
            Assert.That(disk.LogReplayed, Is.True);
            Assert.That(disk.Warnings.Select(w => w.Reason), Does.Contain(VirtualDiskErrorReason.VhdxLogReplayedIntoFile));
            Assert.That(disk.VirtualSize, Is.EqualTo(virtualSize));
            Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(sha256));
            using var stream = disk.OpenStream();
            Assert.That(stream.CanWrite, Is.True);
        }
        Assert.That(FileSnapshot.Of(path), Is.Not.EqualTo(before), "the log was replayed into the file");
        using (var clean = VirtualDisk.Open(path))
        {
            Assert.That(clean.LogReplayed, Is.False, "nothing left to replay");
            Assert.That(clean.Info.Top.LogGuid, Is.EqualTo(Guid.Empty));
            Assert.That(TestPaths.ContentSha256(clean), Is.EqualTo(sha256));
        }
        if (TestPaths.HasTool("qemu-img"))
        {
            var (code, output) = VhdxTestSupport.Run("qemu-img", "check", "-f", "vhdx", path);
            Assert.That(code, Is.EqualTo(0), output);
        }
    }

    /// <summary>The committed images are what the writer makes today, apart from the log's random guid and CRCs.</summary>
    [Test]
    public void TheWriterStillMakesTheseImages()
    {
        foreach (var (name, writer) in Images())
        {
            string gz = Path.Combine(Folder, name + ".gz");
            Assert.That(File.Exists(gz), Is.True, gz);
            byte[] committed = File.ReadAllBytes(TestPaths.Gunzip(gz));
            byte[] now = writer.Build();
            Assert.That(committed.Length, Is.EqualTo(now.Length), name);
            // Everything after the headers and the log (metadata, BAT region, payload) must be identical.
            long after = VhdxWriter.LogOffset + VhdxWriter.LogLength;
            Assert.That(committed.AsSpan((int)after).SequenceEqual(now.AsSpan((int)after)), Is.True, name);
        }
    }
}
