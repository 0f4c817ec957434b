using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.Vhdx.VhdxTestSupport;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>Damaged structures (seeded random byte changes, with and without re-sealed checksums) never escape as anything but a diagnostic.</summary>
public sealed class VhdxHostileTests
{
    [Test]
    public void RandomDamageGivesACodeOrADiagnostic()
    {
        var rng = new Random(20261122);
        var writer = new VhdxWriter(8 * VhdxWriter.MiB) { DeferBatToLog = true }.Fill(0, 4096, 1).Fill(5 * VhdxWriter.MiB, 8192, 2);
        byte[] good = writer.Build();
        (int Start, int Length)[] areas =
        [
            ((int)VhdxWriter.Header1Offset, 80), ((int)VhdxWriter.Header2Offset, 80),
            ((int)VhdxWriter.RegionTable1Offset, 80), ((int)VhdxWriter.RegionTable2Offset, 80),
            ((int)VhdxWriter.MetadataOffset, 256), ((int)(VhdxWriter.MetadataOffset + VhdxWriter.MetadataItemsOffset), 64),
            ((int)VhdxWriter.BatOffset, 64), ((int)VhdxWriter.LogOffset, 8192),
        ];
        string folder = TestPaths.NewTempFolder("hostile");
        string path = Path.Combine(folder, "h.vhdx");
        var buffer = new byte[1 << 20];
        int opened = 0, refused = 0;
        for (int i = 0; i < 80; i++)
        {
            byte[] image = (byte[])good.Clone();
            var (start, length) = areas[rng.Next(areas.Length)];
            for (int k = rng.Next(1, 5); k > 0; k--) image[start + rng.Next(length)] = (byte)rng.Next(256);
            if (rng.Next(2) == 0) VhdxWriter.FixChecksums(image);
            File.WriteAllBytes(path, image);
            uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, path, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
                OpenVirtualDiskFlags.None, null, out var handle);
            if (code != 0) { refused++; Assert.That(handle, Is.Null); continue; }
            opened++;
            using (handle)
            {
                try
                {
                    for (long at = 0; at < handle!.VirtualSize; at += buffer.Length) handle.Read(at, buffer);
                    _ = handle.Info;
                    _ = handle.TopLayerForTests().Verify();
                }
                catch (VirtualDiskException) { }
            }
        }
        Assert.That(opened, Is.GreaterThan(0), "some damage is tolerated (warnings)");
        Assert.That(refused, Is.GreaterThan(0), "some damage is refused");
    }
}
