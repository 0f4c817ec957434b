using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Vhd;

/// <summary>
/// Bounded, deterministic byte mutations of the metadata of small images: every outcome is a success or a
/// VirtualDiskDiagnostic (and reads after a successful open fail only with VirtualDiskException), never another exception.
/// </summary>
public sealed class VhdMutationTests
{
    [TestCase(VhdWriter.Fixed, 1)]
    [TestCase(VhdWriter.Dynamic, 2)]
    [TestCase(VhdWriter.Differencing, 3)]
    public void MutatedMetadataNeverEscapesAsAnotherException(int type, int seed)
    {
        var parent = VhdWriter.NewDynamic(3 << 20, 1 << 20).Fill(0, 4096, 0x10);
        VhdWriter writer = type switch
        {
            VhdWriter.Fixed => VhdWriter.NewFixed(2 << 20),
            VhdWriter.Dynamic => VhdWriter.NewDynamic(3 << 20, 1 << 20),
            _ => VhdWriter.NewDifferencing(parent, 1 << 20).Locator(VhdWriter.W2ru, @".\p.vhd").Locator(VhdWriter.W2ku, @"C:\p.vhd"),
        };
        writer.Fill(0, 1024, 0x20).Fill(1 << 20, 512, 0x21);
        var original = writer.Build();
        string folder = TestPaths.NewTempFolder("mut");
        parent.Save(Path.Combine(folder, "p.vhd"));
        var rng = new Random(seed);
        // Metadata: both footers, the header, the BAT and the first block's bitmap.
        var regions = type == VhdWriter.Fixed
            ? new[] { (original.FooterOffset, 512L) }
            : new[] { (0L, 512L), (original.FooterOffset, 512L), (512L, 1024L), (original.BatOffset, 512L), (original.BlockOffsets.Values.Min(), 512L) };
        for (int i = 0; i < 100; i++)
        {
            var bytes = (byte[])original.Bytes.Clone();
            int changes = rng.Next(1, 4);
            for (int c = 0; c < changes; c++)
            {
                var (start, length) = regions[rng.Next(regions.Length)];
                long at = start + rng.NextInt64(length);
                bytes[at] = rng.Next(3) == 0 ? (byte)0xFF : (byte)rng.Next(256);
            }
            // Re-seal checksums half the time so deeper rules are reached.
            if (rng.Next(2) == 0)
            {
                VhdImage.Seal(bytes.AsSpan((int)original.FooterOffset, 512), 64);
                if (type != VhdWriter.Fixed)
                {
                    VhdImage.Seal(bytes.AsSpan(0, 512), 64);
                    VhdImage.Seal(bytes.AsSpan(512, 1024), 36);
                }
            }
            string path = Path.Combine(folder, $"m{i}.vhd");
            File.WriteAllBytes(path, bytes);
            uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, path, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
                OpenVirtualDiskFlags.None, null, out var handle);
            if (code != 0) continue;
            using (handle)
            {
                try
                {
                    using var stream = handle!.OpenStream();
                    var buffer = new byte[Math.Min(handle.VirtualSize, 8 << 20)];
                    stream.ReadExactly(buffer);
                    _ = handle.Info;
                }
                catch (VirtualDiskException)
                {
                    // A lazily found corruption or a parent that cannot be read: an allowed outcome.
                }
            }
        }
    }
}
