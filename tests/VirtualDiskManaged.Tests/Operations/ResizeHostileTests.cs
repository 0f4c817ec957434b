using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Vhd;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Resize of damaged images: block tables (which carry no checksum in either format: VHD spec "Block Allocation Table",
/// MS-VHDX §2.5) and footers mutated at random. Every resize either fails with a diagnostic or succeeds with an image
/// that opens; none throws, and none makes the file larger than the grown image can need.
/// </summary>
public sealed class ResizeHostileTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;
    private static int Rounds => int.TryParse(Environment.GetEnvironmentVariable("VDM_RESIZE_FUZZ"), out int n) && n > 0 ? n : 150;

    [Test]
    public void MutatedVhdBatsNeverThrow()
    {
        var w = VhdWriter.NewDynamic(127 * 512 * 1024, 512 * 1024).Fill(0, 4096, 0x5a).Fill(3 * MiB + 512, 2048, 0x6b).Fill(127 * 512 * 1024 - 512, 512, 0x7c);
        byte[] original = w.Build().Bytes;
        Run(original, 1536, 512, 1000 * 512 * 1024, "m.vhd", 2);
    }

    [Test]
    public void MutatedVhdxBatsNeverThrow()
    {
        CreateTools.Require("qemu-img");
        string image = Path.Combine(Folder, "src.vhdx");
        OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", "vhdx", "-o", "subformat=dynamic,block_size=1M", image, (8 * MiB).ToString()), "qemu-img create");
        OpsImages.Check(CreateTools.Run("qemu-io", "-f", "vhdx", "-c", "write -P 0xa1 0 1M", "-c", $"write -P 0xb2 {7 * MiB} 4096", image), "qemu-io");
        byte[] original = File.ReadAllBytes(image);
        // qemu puts the BAT region at 2 MiB (the region table says so; the open checks it).
        Run(original, 2 * MiB, 64, 130L << 30, "m.vhdx", 8);
        Run(original, 2 * MiB, 64, 2 * MiB, "s.vhdx", 8, shrink: true);
    }

    private void Run(byte[] original, long at, int span, long newSize, string name, int growth, bool shrink = false)
    {
        var random = new Random(name.Sum(c => c) * 31 + newSize.GetHashCode());
        string path = Path.Combine(Folder, name);
        int succeeded = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var bytes = (byte[])original.Clone();
            for (int k = random.Next(1, 5); k > 0; k--)
            {
                long o = random.Next(3) == 0 ? random.NextInt64(bytes.Length) : at + random.Next(span);
                bytes[o] = (byte)random.Next(256);
            }
            File.WriteAllBytes(path, bytes);
            bool ok = false;
            VirtualDiskDiagnostic? failure = null;
            Assert.DoesNotThrow(() => ok = VirtualDiskOperations.TryResize(path, newSize, new ResizeOptions { AllowUnsafeShrink = shrink }, out _, out failure), $"round {round}");
            if (!ok) { Assert.That(failure, Is.Not.Null, $"round {round}"); continue; }
            succeeded++;
            Assert.That(VirtualDisk.TryOpen(path, null, out var disk, out VirtualDiskDiagnostic? reopen), Is.True, $"round {round}: {reopen}");
            using (disk) Assert.That(disk!.VirtualSize, Is.EqualTo(newSize), $"round {round}");
            Assert.That(new FileInfo(path).Length, Is.LessThan(original.Length + growth * MiB + (shrink ? 0 : 4 * MiB)), $"round {round}: the file stays small");
        }
        TestContext.Out.WriteLine($"{name}: {succeeded} of {Rounds} mutated images resized");
    }
}
