using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhdx;

namespace VirtualDiskManaged.Tests.Write;

/// <summary>
/// Interop with independent tools: images qemu-img made, written here (unaligned writes of mixed sizes), must equal a
/// raw mirror of the same writes (<c>qemu-img compare</c>), read back in qemu as the mirror (<c>qemu-img convert -O raw</c>
/// hash), pass <c>qemu-img check</c> (VHDX) and open in <c>vhdiinfo</c>; a VHDX left with a pending log by a cut replays
/// in <c>qemu-img check -r all</c> to the content this library replays.
/// </summary>
public sealed class WriteInteropTests
{
    private const long Size = 24 * WriteImages.MiB;

    public static IEnumerable<TestCaseData> QemuImages()
    {
        yield return new TestCaseData("vpc", "subformat=fixed,force_size=on").SetName("QemuVhdFixed");
        yield return new TestCaseData("vpc", "subformat=dynamic,force_size=on").SetName("QemuVhdDynamic");
        yield return new TestCaseData("vhdx", "subformat=fixed,block_state_zero=off").SetName("QemuVhdxFixed");
        yield return new TestCaseData("vhdx", "subformat=fixed").SetName("QemuVhdxFixedZeroBlocks");
        yield return new TestCaseData("vhdx", "subformat=dynamic").SetName("QemuVhdxDynamic");
        yield return new TestCaseData("vhdx", "subformat=dynamic,block_size=1M,log_size=1M").SetName("QemuVhdxDynamic1M");
    }

    [TestCaseSource(nameof(QemuImages))]
    public void QemuImagesWrittenHereReadInQemu(string format, string options)
    {
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        string folder = TestPaths.NewTempFolder("interop");
        try
        {
            string image = Path.Combine(folder, "disk." + (format == "vpc" ? "vhd" : "vhdx"));
            string raw = Path.Combine(folder, "mirror.raw");
            WriteImages.Qemu("create", "-q", "-f", format, "-o", options, image, Size.ToString());
            long size;
            using (var probe = VirtualDisk.Open(image)) size = probe.VirtualSize;
            var random = new Random(format.Length * 31 + options.Length);
            using (var mirror = new FileStream(raw, FileMode.Create))
            {
                mirror.SetLength(size);
                using var disk = VirtualDisk.Open(image, WriteImages.ReadWrite);
                for (int i = 0; i < 80; i++)
                {
                    int length = random.Next(3) switch { 0 => random.Next(1, 5000), 1 => random.Next(1, 200000), _ => random.Next(1, 5 << 20) };
                    long offset = random.NextInt64(size - length + 1);
                    var data = new byte[length];
                    random.NextBytes(data);
                    disk.Write(offset, data);
                    mirror.Position = offset;
                    mirror.Write(data);
                    if (i % 25 == 0) disk.Flush();
                }
            }
            string fmt = format;
            var (code, output) = VhdxTestSupport.Run("qemu-img", "compare", "-f", fmt, "-F", "raw", image, raw);
            Assert.That(code, Is.EqualTo(0), "qemu-img compare: " + output);
            string converted = Path.Combine(folder, "converted.raw");
            WriteImages.Qemu("convert", "-f", fmt, "-O", "raw", image, converted);
            Assert.That(Hash(converted), Is.EqualTo(Hash(raw)), "qemu-img convert -O raw");
            if (format == "vhdx")
            {
                (code, output) = VhdxTestSupport.Run("qemu-img", "check", "-f", "vhdx", image);
                Assert.That(code, Is.EqualTo(0), "qemu-img check: " + output);
            }
            if (TestPaths.HasTool("vhdiinfo"))
            {
                (code, output) = VhdxTestSupport.Run("vhdiinfo", image);
                Assert.That(code, Is.EqualTo(0), "vhdiinfo: " + output);
            }
            using (var reopened = VirtualDisk.Open(image))
                Assert.That(TestPaths.ContentSha256(reopened), Is.EqualTo(Hash(raw)));
        }
        finally { Directory.Delete(folder, true); }
    }

    private static string Hash(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
    }

    /// <summary>Cuts (process kill) that leave a pending log: qemu's replay (check -r all) gives what this library's replay gives.</summary>
    [TestCase(true, TestName = "PendingLogReplaysInQemuAsHere(qemu-made dynamic)")]
    [TestCase(false, TestName = "PendingLogReplaysInQemuAsHere(test-writer dynamic)")]
    public void PendingLogReplaysInQemuAsHere(bool qemuMade)
    {
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        string folder = TestPaths.NewTempFolder("pending");
        try
        {
            var (path, _) = WriteImages.Create(WriteKind.VhdxDynamic, folder, 8 * WriteImages.MiB, preferQemu: qemuMade);
            byte[] original = File.ReadAllBytes(path);
            var (ops, _) = CrashConsistencyTests.Run(path, CrashConsistencyTests.Workload(new Random(5), 20));
            string crash = Path.Combine(folder, "crash.vhdx");
            int pending = 0;
            for (int cut = 0; cut <= ops.Count && pending < 3; cut++)
            {
                // Right after a completed flush that follows a log entry, before its pages are applied.
                if (ops[cut - 1 < 0 ? 0 : cut - 1] is not FaultInjectingStore.FlushOp) continue;
                File.WriteAllBytes(crash, FaultInjectingStore.Prefix(original, ops, cut));
                string ours;
                using (var disk = VirtualDisk.Open(crash))
                {
                    if (!disk.LogReplayed) continue;
                    ours = TestPaths.ContentSha256(disk);
                }
                var (code, output) = VhdxTestSupport.Run("qemu-img", "check", "-r", "all", "-f", "vhdx", crash);
                Assert.That(code, Is.EqualTo(0), $"cut {cut}: qemu-img check -r all: {output}");
                string converted = Path.Combine(folder, "converted.raw");
                WriteImages.Qemu("convert", "-f", "vhdx", "-O", "raw", crash, converted);
                Assert.That(Hash(converted), Is.EqualTo(ours), $"cut {cut}: qemu's replay differs from this library's");
                File.Delete(converted);
                pending++;
            }
            Assert.That(pending, Is.GreaterThan(0), "no cut left a pending log");
        }
        finally { Directory.Delete(folder, true); }
    }
}
