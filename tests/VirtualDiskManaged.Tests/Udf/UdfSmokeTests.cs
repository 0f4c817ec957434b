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

[TestFixture]
public sealed class UdfCraftDump
{
    [Test, Explicit]
    public void Write()
    {
        System.IO.File.WriteAllBytes("/tmp/udfw/c-phys.udf", UdfCraftedTests.Sample(UdfTestLayout.Physical).Build());
        System.IO.File.WriteAllBytes("/tmp/udfw/c-s4096.udf", UdfCraftedTests.Sample(UdfTestLayout.Physical, strategy4096: true).Build());
        System.IO.File.WriteAllBytes("/tmp/udfw/c-meta.udf", UdfCraftedTests.Sample(UdfTestLayout.Metadata).Build());
        try { using var fs = FileSystem.Open(new MemoryStream(UdfCraftedTests.Sample(UdfTestLayout.Physical, strategy4096: true).Build())); foreach (var p in new[]{"/hello.txt","/big.bin","/tiny"}) { using var st = fs.OpenFile(p); st.CopyTo(Stream.Null);} }
        catch (VirtualDiskException e) { TestContext.Out.WriteLine(e.Diagnostic.Message); }
        catch (Exception e) { TestContext.Out.WriteLine(e.ToString()); }
        TestContext.Out.WriteLine("done");
    }
}
