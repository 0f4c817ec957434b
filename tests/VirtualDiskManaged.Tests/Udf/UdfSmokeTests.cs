using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Udf;

namespace VirtualDiskManaged.Tests.Udf;

[TestFixture]
public sealed class UdfSmokeTests
{
    [Test, Explicit]
    public void Dump()
    {
        string image = Environment.GetEnvironmentVariable("UDF_IMAGE") ?? "/tmp/udfw/hd2048.img";
        using var fs = (UdfFileSystem)UdfTools.Open(image);
        TestContext.Out.WriteLine($"rev {fs.RevisionText} bs {fs.BlockSize} label {fs.VolumeLabel} integrity {fs.Integrity.State} files {fs.Integrity.NumberOfFiles}");
        foreach (var p in fs.Partitions) TestContext.Out.WriteLine($"part {p.ReferenceNumber} {p.Kind} pn {p.PartitionNumber} start {p.StartSector} len {p.LengthInSectors} blocks {p.BlockCount}");
        foreach (var w in fs.Warnings) TestContext.Out.WriteLine("warn " + w.Message);
        foreach (var (k, v) in UdfTools.ReaderView(fs)) TestContext.Out.WriteLine($"{k} {v}");
    }
}
