using System.Text.Json;
using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// MBR and GPT tables made by sfdisk (util-linux), read through VHD and VHDX images: the partitions sfdisk --json
/// lists, and the smallest safe virtual size from UEFI 2.10 §5.3.1 (the last partition's end, plus the backup entry
/// array and header for GPT). Damaged tables report problems and give no shrink room.
/// </summary>
public sealed class PartitionTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    private string Partitioned(string script, string name) => OpsImages.PartitionedRaw(Folder, name, 64 * MiB, script);

    private static JsonElement SfdiskJson(string raw)
    {
        var (rc, output) = CreateTools.Run("sfdisk", "--json", raw);
        Assert.That(rc, Is.EqualTo(0), output);
        return JsonDocument.Parse(output).RootElement.GetProperty("partitiontable").Clone();
    }

    private const string MbrScript = "label: dos\n2048,8192,83,*\n10240,8192,7\n20480,30000,5\n22528,4096,83\n28672,8192,82\n";
    private const string GptScript = "label: gpt\nstart=2048, size=8192, type=L, name=alpha\nstart=12288, size=4096, type=U\nstart=20480, size=10000, type=L, name=gamma, attrs=LegacyBIOSBootable\n";

    [TestCase(ConvertFormat.Vhdx)]
    [TestCase(ConvertFormat.Vhd)]
    public void MbrAsSfdiskListsIt(ConvertFormat format)
    {
        string raw = Partitioned(MbrScript, "mbr");
        var table = SfdiskJson(raw);
        string image = Path.Combine(Folder, "mbr" + (format == ConvertFormat.Vhd ? ".vhd" : ".vhdx"));
        VirtualDiskOperations.Convert(raw, image, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw });
        using var disk = VirtualDisk.Open(image);
        var layout = VirtualDiskOperations.ReadPartitions(disk);
        Assert.That(layout.Scheme, Is.EqualTo(PartitionScheme.Mbr));
        Assert.That(layout.Problems, Is.Empty);
        Assert.That(layout.MbrDiskSignature, Is.EqualTo(Convert.ToUInt32(table.GetProperty("id").GetString(), 16)));
        var expected = table.GetProperty("partitions").EnumerateArray().Select(p => (
            int.Parse(p.GetProperty("node").GetString()![(raw.Length)..], System.Globalization.CultureInfo.InvariantCulture),
            p.GetProperty("start").GetInt64() * 512, p.GetProperty("size").GetInt64() * 512,
            (byte?)Convert.ToByte(p.GetProperty("type").GetString(), 16), p.TryGetProperty("bootable", out var b) && b.GetBoolean())).ToList();
        Assert.That(layout.Partitions.Select(p => (p.Number, p.Offset, p.Length, p.MbrType, p.Bootable)), Is.EqualTo(expected));
        long end = expected.Max(p => p.Item2 + p.Item3);
        Assert.That(layout.SmallestSafeVirtualSize, Is.EqualTo(end));
    }

    [Test]
    public void GptAsSfdiskListsIt()
    {
        string raw = Partitioned(GptScript, "gpt");
        var table = SfdiskJson(raw);
        string image = Path.Combine(Folder, "gpt.vhdx");
        VirtualDiskOperations.Convert(raw, image, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw });
        using var disk = VirtualDisk.Open(image);
        var layout = VirtualDiskOperations.ReadPartitions(disk);
        Assert.That(layout.Scheme, Is.EqualTo(PartitionScheme.Gpt));
        Assert.That(layout.Problems, Is.Empty);
        Assert.That(layout.DiskGuid, Is.EqualTo(Guid.Parse(table.GetProperty("id").GetString()!)));
        var expected = table.GetProperty("partitions").EnumerateArray().Select(p => (
            p.GetProperty("start").GetInt64() * 512, p.GetProperty("size").GetInt64() * 512,
            (Guid?)Guid.Parse(p.GetProperty("type").GetString()!), (Guid?)Guid.Parse(p.GetProperty("uuid").GetString()!),
            p.TryGetProperty("name", out var n) ? n.GetString() : "")).ToList();
        Assert.That(layout.Partitions.Select(p => (p.Offset, p.Length, p.TypeGuid, p.UniqueGuid, p.Name)), Is.EqualTo(expected));
        Assert.That(layout.Partitions.Select(p => p.Bootable), Is.EqualTo(new[] { false, false, true }), "LegacyBIOSBootable is attribute bit 2");
        // UEFI 2.10 §5.3.1: after the last partition the backup array (128 entries × 128 bytes = 32 sectors) and header (1 sector).
        long lastEnd = expected.Max(p => p.Item1 + p.Item2);
        Assert.That(layout.SmallestSafeVirtualSize, Is.EqualTo(lastEnd + 33 * 512));

        var info = CliRunner.Run("info", "--json", image);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.ToString());
        var partitions = info.Json().GetProperty("partitions");
        Assert.That(partitions.GetProperty("scheme").GetString(), Is.EqualTo("gpt"));
        Assert.That(partitions.GetProperty("smallestSafeVirtualSize").GetInt64(), Is.EqualTo(lastEnd + 33 * 512));
        Assert.That(partitions.GetProperty("entries").GetArrayLength(), Is.EqualTo(3));
        var text = CliRunner.Run("info", image);
        Assert.That(text.Stdout, Does.Contain("partitions:      gpt, 3 partitions").And.Contain("\"gamma\""));
    }

    [Test]
    public void DamagedTablesReportProblems()
    {
        string raw = Partitioned(GptScript, "gpt");
        var bytes = File.ReadAllBytes(raw);
        // The primary header's CRC broken: the backup header at the last LBA is used (UEFI 2.10 §5.3.2).
        bytes[512 + 60] ^= 0xFF;
        File.WriteAllBytes(raw, bytes);
        string image = Path.Combine(Folder, "g1.vhdx");
        VirtualDiskOperations.Convert(raw, image, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw });
        using (var disk = VirtualDisk.Open(image))
        {
            var layout = VirtualDiskOperations.ReadPartitions(disk);
            Assert.That(layout.Partitions, Has.Count.EqualTo(3));
            Assert.That(layout.Problems, Has.Some.Contains("backup"));
            Assert.That(layout.SmallestSafeVirtualSize, Is.EqualTo(64 * MiB), "a damaged table gives no shrink room");
        }
        // Both headers broken: GPT without partitions, problems, no shrink room.
        bytes[bytes.Length - 512 + 60] ^= 0xFF;
        File.WriteAllBytes(raw, bytes);
        string image2 = Path.Combine(Folder, "g2.vhdx");
        VirtualDiskOperations.Convert(raw, image2, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw });
        using (var disk = VirtualDisk.Open(image2))
        {
            var layout = VirtualDiskOperations.ReadPartitions(disk);
            Assert.That(layout.Scheme, Is.EqualTo(PartitionScheme.Gpt));
            Assert.That(layout.Partitions, Is.Empty);
            Assert.That(layout.Problems, Has.Count.EqualTo(2));
            Assert.That(layout.SmallestSafeVirtualSize, Is.EqualTo(64 * MiB));
        }
        // No table at all.
        string blank = Path.Combine(Folder, "blank.vhdx");
        using (var d = VirtualDisk.Create(blank, new VirtualDiskCreateOptions { Size = 8 * MiB }))
        {
            var layout = VirtualDiskOperations.ReadPartitions(d);
            Assert.That((layout.Scheme, layout.SmallestSafeVirtualSize), Is.EqualTo((PartitionScheme.None, 8 * MiB)));
        }
    }
}
