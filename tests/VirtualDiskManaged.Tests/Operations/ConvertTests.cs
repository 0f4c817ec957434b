using VirtualDiskManaged.Tests.Cli;
using VirtualDiskManaged.Tests.Create;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// VirtualDiskOperations.Convert judged by qemu-img (compare, map, check, info) and vhdiinfo: sources made by qemu, by
/// the spec writers and by this library (a differencing chain with a raw mirror of its writes); every output format
/// and type; all-zero blocks not allocated; --azure passes the Azure profile; failures leave nothing at OUT.
/// </summary>
public sealed class ConvertTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;
    private const long Size = 24 * MiB;

    public static IEnumerable<TestCaseData> Outputs()
    {
        yield return new TestCaseData(ConvertFormat.Vhd, ConvertType.Dynamic, "vpc").SetName("{m}(VhdDynamic)");
        yield return new TestCaseData(ConvertFormat.Vhd, ConvertType.Fixed, "vpc").SetName("{m}(VhdFixed)");
        yield return new TestCaseData(ConvertFormat.Vhdx, ConvertType.Dynamic, "vhdx").SetName("{m}(VhdxDynamic)");
        yield return new TestCaseData(ConvertFormat.Vhdx, ConvertType.Fixed, "vhdx").SetName("{m}(VhdxFixed)");
        yield return new TestCaseData(ConvertFormat.Raw, ConvertType.Dynamic, "raw").SetName("{m}(Raw)");
    }

    private static string Ext(ConvertFormat f) => f switch { ConvertFormat.Vhd => ".vhd", ConvertFormat.Vhdx => ".vhdx", _ => ".raw" };

    /// <summary>Output judged against the source by qemu-img compare, and by qemu-img check (VHDX) and vhdiinfo.</summary>
    private static void Judge(string output, string outFormat, string reference, string refFormat, ConvertFormat format)
    {
        var (rc, text) = CreateTools.QemuCompare(reference, refFormat, output, outFormat);
        Assert.That(rc, Is.EqualTo(0), "qemu-img compare: " + text);
        if (format == ConvertFormat.Vhdx) OpsImages.Check(CreateTools.Run("qemu-img", "check", "-f", "vhdx", output), "qemu-img check");
        if (format != ConvertFormat.Raw && TestPaths_HasVhdiinfo) OpsImages.Check(CreateTools.Run("vhdiinfo", output), "vhdiinfo");
    }

    private static bool TestPaths_HasVhdiinfo => Support.TestPaths.HasTool("vhdiinfo");

    [TestCaseSource(nameof(Outputs))]
    public void QemuVhdSource(ConvertFormat format, ConvertType type, string outFormat)
    {
        string source = OpsImages.Qemu(Folder, "vpc", "dynamic", Size, "q.vhd");
        string output = Path.Combine(Folder, "out" + Ext(format));
        var result = VirtualDiskOperations.Convert(source, output, new ConvertOptions { Format = format, Type = type });
        Assert.That(result.OutputPath, Is.EqualTo(Path.GetFullPath(output)));
        Judge(output, outFormat, source, "vpc", format);
        Assert.That(CreateTools.TempLeftovers(Folder), Is.Empty);
    }

    [TestCaseSource(nameof(Outputs))]
    public void QemuVhdxSource(ConvertFormat format, ConvertType type, string outFormat)
    {
        string source = OpsImages.Qemu(Folder, "vhdx", "dynamic", Size, "q.vhdx");
        string output = Path.Combine(Folder, "out" + Ext(format));
        VirtualDiskOperations.Convert(source, output, new ConvertOptions { Format = format, Type = type });
        Judge(output, outFormat, source, "vhdx", format);
    }

    [TestCaseSource(nameof(Outputs))]
    public void SpecWriterSources(ConvertFormat format, ConvertType type, string outFormat)
    {
        var (vhd, expected) = OpsImages.SpecVhd(Folder, 8 * MiB);
        string o1 = Path.Combine(Folder, "from-vhd" + Ext(format));
        VirtualDiskOperations.Convert(vhd, o1, new ConvertOptions { Format = format, Type = type });
        Judge(o1, outFormat, expected, "raw", format);

        string vhdx = OpsImages.SpecVhdx(Folder, 8 * MiB);
        string o2 = Path.Combine(Folder, "from-vhdx" + Ext(format));
        VirtualDiskOperations.Convert(vhdx, o2, new ConvertOptions { Format = format, Type = type });
        Judge(o2, outFormat, vhdx, "vhdx", format);
    }

    /// <summary>A differencing VHDX chain (which qemu-img cannot read) flattened: the output equals the raw mirror of the writes.</summary>
    [TestCase(VirtualDiskFormat.Vhdx, ConvertFormat.Vhd)]
    [TestCase(VirtualDiskFormat.Vhdx, ConvertFormat.Raw)]
    [TestCase(VirtualDiskFormat.Vhd, ConvertFormat.Vhdx)]
    public void LibraryChainIsFlattened(VirtualDiskFormat chainFormat, ConvertFormat format)
    {
        CreateTools.Require("qemu-img");
        var (child, _, mirror) = OpsImages.LibraryChain(Folder, chainFormat, 16 * MiB);
        string output = Path.Combine(Folder, "flat" + Ext(format));
        VirtualDiskOperations.Convert(child, output, new ConvertOptions { Format = format });
        Judge(output, format switch { ConvertFormat.Vhd => "vpc", ConvertFormat.Vhdx => "vhdx", _ => "raw" }, mirror, "raw", format);
        if (format == ConvertFormat.Raw) return;
        using var flat = VirtualDisk.Open(output);
        Assert.That(flat.Info.Chain, Has.Count.EqualTo(1), "the output has no parent");
    }

    /// <summary>Blocks the source holds as written zeros are not allocated in a dynamic output (qemu-img map of the output: zero, no data).</summary>
    [Test]
    public void AllZeroBlocksAreNotAllocated()
    {
        string source = OpsImages.Qemu(Folder, "vpc", "dynamic", Size, "q.vhd");
        // The source holds 8 MiB..10 MiB as allocated blocks of written zeros (qemu-img map says data).
        Assert.That(OpsImages.QemuMap(source, "vpc").Any(r => r.Data && r.Start <= 8 * MiB && r.Start + r.Length >= 10 * MiB), Is.True);
        string output = Path.Combine(Folder, "out.vhd");
        VirtualDiskOperations.Convert(source, output);
        var map = OpsImages.QemuMap(output, "vpc");
        Assert.That(map.Where(r => r.Data).Any(r => r.Start < 10 * MiB && r.Start + r.Length > 8 * MiB), Is.False, "no data between 8 and 10 MiB");
        Assert.That(new FileInfo(output).Length, Is.LessThan(10 * MiB), "only the non-zero blocks are in the file");
    }

    /// <summary>A raw file whose length is not a sector multiple: the output is the file's bytes and zeros to the next sector.</summary>
    [Test]
    public void RawSource()
    {
        string raw = CreateTools.PatternRaw(Folder, "src.bin", 5 * MiB + 300, 0, 2 * MiB, 5 * MiB - 1000);
        string output = Path.Combine(Folder, "out.vhdx");
        var result = VirtualDiskOperations.Convert(raw, output, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw });
        Assert.That(result.VirtualSize, Is.EqualTo(5 * MiB + 512));
        Judge(output, "vhdx", raw, "raw", ConvertFormat.Vhdx);
    }

    /// <summary>--azure: a fixed VHD of a whole number of MiB (at least 20 MiB) that 'vdisk check --profile azure' passes; qemu-img info agrees.</summary>
    [Test]
    public void AzureFixedVhd()
    {
        string raw = CreateTools.PatternRaw(Folder, "src.bin", 21 * MiB + 4096 + 300, 0, 21 * MiB);
        string output = Path.Combine(Folder, "azure.vhd");
        var result = VirtualDiskOperations.Convert(raw, output, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw, Azure = true });
        Assert.That(result.VirtualSize, Is.EqualTo(22 * MiB));
        Assert.That(new FileInfo(output).Length, Is.EqualTo(22 * MiB + 512));
        var info = CreateTools.QemuInfo(output, "vpc");
        Assert.That(info.GetProperty("virtual-size").GetInt64(), Is.EqualTo(22 * MiB));
        Judge(output, "vpc", raw, "raw", ConvertFormat.Vhd);
        var check = CliRunner.Run("check", "--profile", "azure", output);
        Assert.That(check.ExitCode, Is.EqualTo(0), check.ToString());

        string small = CreateTools.PatternRaw(Folder, "small.bin", 3 * MiB, 0);
        string smallOut = Path.Combine(Folder, "small.vhd");
        Assert.That(VirtualDiskOperations.Convert(small, smallOut, new ConvertOptions { SourceFormat = VirtualDiskSourceFormat.Raw, Azure = true }).VirtualSize,
            Is.EqualTo(20 * MiB), "Azure's minimum");
    }

    [Test]
    public void FailuresLeaveNothingAtOut()
    {
        string source = CreateTools.PatternRaw(Folder, "src.bin", 4 * MiB, 0);
        string existing = Path.Combine(Folder, "exists.vhdx");
        File.WriteAllText(existing, "keep");
        Assert.That(VirtualDiskOperations.TryConvert(source, existing, new() { SourceFormat = VirtualDiskSourceFormat.Raw }, out _, out var f1), Is.False);
        Assert.That(f1!.Reason, Is.EqualTo(VirtualDiskErrorReason.ConvertTargetExists));
        Assert.That(f1.Code, Is.EqualTo(VirtualDiskError.FileExists));
        Assert.That(File.ReadAllText(existing), Is.EqualTo("keep"));

        Assert.That(VirtualDiskOperations.TryConvert(source, Path.Combine(Folder, "out.qcow2"), new() { SourceFormat = VirtualDiskSourceFormat.Raw }, out _, out var f2), Is.False);
        Assert.That(f2!.Reason, Is.EqualTo(VirtualDiskErrorReason.ConvertFormatNotDetermined));
        Assert.That(VirtualDiskOperations.TryConvert(source, Path.Combine(Folder, "out.vhdx"), new() { SourceFormat = VirtualDiskSourceFormat.Raw, Azure = true, Format = ConvertFormat.Vhdx }, out _, out var f3), Is.False);
        Assert.That(f3!.Reason, Is.EqualTo(VirtualDiskErrorReason.ConvertOptionsInvalid));
        Assert.That(VirtualDiskOperations.TryConvert(source, Path.Combine(Folder, "no", "out.vhd"), new() { SourceFormat = VirtualDiskSourceFormat.Raw }, out _, out var f4), Is.False);
        Assert.That(f4!.Reason, Is.EqualTo(VirtualDiskErrorReason.ConvertFolderNotFound));
        Assert.That(VirtualDiskOperations.TryConvert(Path.Combine(Folder, "missing.vhd"), Path.Combine(Folder, "out.vhd"), null, out _, out var f5), Is.False);
        Assert.That(f5!.Reason, Is.EqualTo(VirtualDiskErrorReason.OperationOpenFailed));
        Assert.That(f5.Code, Is.EqualTo(VirtualDiskError.FileNotFound));

        foreach (var fmt in new[] { ConvertFormat.Vhd, ConvertFormat.Raw })
        {
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            string output = Path.Combine(Folder, "canceled" + Ext(fmt));
            Assert.That(VirtualDiskOperations.TryConvert(source, output, new() { Format = fmt, SourceFormat = VirtualDiskSourceFormat.Raw, CancellationToken = cts.Token }, out _, out var f6), Is.False);
            Assert.That(f6!.Reason, Is.EqualTo(VirtualDiskErrorReason.ConvertCanceled));
            Assert.That(f6.Code, Is.EqualTo(VirtualDiskError.OperationAborted));
            Assert.That(File.Exists(output), Is.False);
        }
        Assert.That(Directory.GetFiles(Folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "src.bin", "exists.vhdx" }), "no temporary file left");
    }

    /// <summary>The CLI: exit 0 and one line; a usage error (2) for contradicting options; exit 1 with the code for an existing OUT.</summary>
    [Test]
    public void Cli()
    {
        CreateTools.Require("qemu-img");
        string source = OpsImages.Qemu(Folder, "vpc", "dynamic", Size, "q.vhd");
        string output = Path.Combine(Folder, "o.vhdx");
        var run = CliRunner.Run("convert", source, output, "--type", "fixed", "--block-size", "1M");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Stdout, Does.StartWith("converted ").And.Contain("VHDX fixed"));
        Assert.That(CreateTools.QemuCompare(source, "vpc", output, "vhdx").ExitCode, Is.EqualTo(0));
        var again = CliRunner.Run("convert", source, output);
        Assert.That(again.ExitCode, Is.EqualTo(1), again.ToString());
        Assert.That(again.Stderr, Does.Contain("ConvertTargetExists").And.Contain("80 (0x00000050)"));
        var usage = CliRunner.Run("convert", source, Path.Combine(Folder, "a.vhd"), "--azure", "--type", "dynamic");
        Assert.That(usage.ExitCode, Is.EqualTo(2), usage.ToString());
        Assert.That(File.Exists(Path.Combine(Folder, "a.vhd")), Is.False);
    }
}
