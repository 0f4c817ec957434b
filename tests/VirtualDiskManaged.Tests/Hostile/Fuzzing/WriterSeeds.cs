using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Vhdx;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// Seeds made with the format owners' test writers (Vhd/VhdWriter.cs, Vhdx/VhdxWriter.cs): the structures the crafted
/// seeds lack — a VHDX with a pending log that wraps, a VHDX differencing chain with partially present blocks and a
/// parent locator, 4 KiB sectors, a VHD differencing chain with both locator kinds.
/// </summary>
internal static class WriterSeeds
{
    public static IEnumerable<Seed> For(string format)
    {
        if (format == "vhdx")
        {
            var log = new VhdxWriter(6 * VhdxWriter.MiB) { DeferBatToLog = true, LogEntryCount = 2, LogStartSector = 250 };
            log.Fill(0, 8192, 0x11).Fill(3 * VhdxWriter.MiB + 4096, 4096, 0x22);
            log.LogZeroRanges.Add((VhdxWriter.MetadataOffset + 256 * 1024, 8192));
            yield return new Seed(format, "w-log.vhdx", log.Build(), [], "VhdxWriter pending log, 2 entries wrapping");

            var parent = new VhdxWriter(4 * VhdxWriter.MiB);
            parent.Fill(0, 65536, 0x33).Fill(2 * VhdxWriter.MiB, 4096, 0x44);
            byte[] parentBytes = parent.Build();
            var child = new VhdxWriter(4 * VhdxWriter.MiB) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "w-parent.vhdx", "/nonexistent/w-parent.vhdx") };
            child.Fill(512, 1024, 0x55).Fill(VhdxWriter.MiB, 4096, 0x66);
            yield return new Seed(format, "w-child.vhdx", child.Build(), [("w-parent.vhdx", parentBytes)], "VhdxWriter differencing child of w-parent.vhdx");

            var fourK = new VhdxWriter(4 * VhdxWriter.MiB, logicalSectorSize: 4096);
            fourK.Fill(4096, 8192, 0x77);
            yield return new Seed(format, "w-4k.vhdx", fourK.Build(), [], "VhdxWriter 4 KiB logical sectors");
        }
        else if (format == "vhd")
        {
            var parent = VhdWriter.NewDynamic(2 * 1024 * 1024, blockSize: 512 * 1024);
            parent.Fill(0, 4096, 0x12).Fill(1024 * 1024, 512, 0x34);
            byte[] parentBytes = parent.Build().Bytes;
            var child = VhdWriter.NewDifferencing(parent, blockSize: 512 * 1024);
            child.ParentName = "w-parent.vhd";
            child.Locator(VhdWriter.W2ru, ".\\w-parent.vhd").Locator(VhdWriter.W2ku, "C:\\x\\w-parent.vhd");
            child.Fill(512, 1024, 0x56);
            yield return new Seed(format, "w-child.vhd", child.Build().Bytes, [("w-parent.vhd", parentBytes)], "VhdWriter differencing child of w-parent.vhd");
        }
    }
}
