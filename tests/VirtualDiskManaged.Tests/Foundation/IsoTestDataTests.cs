using System.Globalization;
using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// testdata/iso: images made by testdata/iso/make.sh with xorriso, genisoimage and mkudffs plus crafted edge files.
/// expected.json records what isoinfo/xorriso/udfinfo say and the code docs/open-path.md §5/§6 requires of a default open.
/// </summary>
public sealed class IsoTestDataTests
{
    public sealed record Image(string File, string MadeBy, string Deterministic, long Size, string Sha256, string ExpectedCode,
        string ExpectedReason, string[] IsoInfo, int IsoInfoRc, string[] UdfInfo, int UdfInfoRc, string[] PvdInfo)
    {
        public override string ToString() => File;
    }

    private static string ExpectedJson => Path.Combine(TestPaths.TestData, "iso", "expected.json");

    internal static (Dictionary<string, string> Versions, List<Image> Images) Load(string path)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
        var versions = doc.RootElement.GetProperty("tool_versions").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var images = new List<Image>();
        foreach (var e in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            static string[] Lines(JsonElement a) => a.EnumerateArray().Select(x => x.GetString()!).ToArray();
            images.Add(new Image(
                e.GetProperty("file").GetString()!, e.GetProperty("made_by").GetString()!, e.GetProperty("deterministic").GetString()!,
                e.GetProperty("size").GetInt64(), e.GetProperty("sha256").GetString()!, e.GetProperty("expected_code").GetString()!,
                e.GetProperty("expected_reason").GetString()!,
                Lines(e.GetProperty("isoinfo_d").GetProperty("output")), e.GetProperty("isoinfo_d").GetProperty("rc").GetInt32(),
                Lines(e.GetProperty("udfinfo").GetProperty("output")), e.GetProperty("udfinfo").GetProperty("rc").GetInt32(),
                Lines(e.GetProperty("xorriso_pvd_info"))));
        }
        return (versions, images);
    }

    public static IEnumerable<TestCaseData> Images() =>
        Load(ExpectedJson).Images.Select(i => new TestCaseData(i).SetName($"IsoTestData {i.File}"));

    internal static uint ParseCode(string code) => code.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        ? uint.Parse(code.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
        : uint.Parse(code, CultureInfo.InvariantCulture);

    [Test]
    public void TheTestDataCoversWhatTheContractAsks()
    {
        var images = Load(ExpectedJson).Images;
        Assert.That(images, Has.Count.GreaterThanOrEqualTo(13));
        Assert.That(images.Select(i => i.ExpectedReason), Is.SupersetOf(new[] { "None", "IsoSizeNotMultipleOf2048", "IsoTooSmall", "IsoNoVolumeDescriptor" }));
        Assert.That(images.Select(i => i.Size), Is.SupersetOf(new long[] { 34815, 34816 }));
        long total = Directory.GetFiles(Path.Combine(TestPaths.TestData, "iso")).Sum(f => new FileInfo(f).Length);
        Assert.That(total, Is.LessThan(2_000_000), "testdata/iso stays small");
    }

    [TestCaseSource(nameof(Images))]
    public void StoredImageIsTheRecordedOne(Image image)
    {
        string path = TestPaths.TestDataImage("iso/" + image.File);
        Assert.That(Path.GetFileName(path), Is.EqualTo(image.File[..^3]));
        Assert.That(new FileInfo(path).Length, Is.EqualTo(image.Size));
        Assert.That(Files.Sha256(path), Is.EqualTo(image.Sha256));
    }

    [TestCaseSource(nameof(Images))]
    public void DefaultOpenGivesTheContractCode(Image image)
    {
        string path = TestPaths.TestDataImage("iso/" + image.File);
        bool ok = VirtualDisk.TryOpen(path, null, out var handle, out VirtualDiskDiagnostic? failure);
        using (handle)
        {
            Assert.That(failure?.ErrorCode ?? 0, Is.EqualTo(ParseCode(image.ExpectedCode)), failure?.ToString());
            Assert.That((failure?.Reason ?? VirtualDiskErrorReason.None).ToString(), Is.EqualTo(image.ExpectedReason));
            if (!ok) return;
            // The virtual disk is the file itself.
            Assert.That(handle!.VirtualSize, Is.EqualTo(image.Size));
            Assert.That(TestPaths.ContentSha256(handle), Is.EqualTo(image.Sha256));
        }
    }

    [TestCaseSource(nameof(Images))]
    public void DescriptionAgreesWithIsoinfoAndUdfinfo(Image image)
    {
        if (image.ExpectedCode != "0") Assert.Pass("fails to open: nothing to describe");
        using var handle = VirtualDisk.Open(TestPaths.TestDataImage("iso/" + image.File));
        var top = handle.Info.Top;
        if (image.IsoInfo.FirstOrDefault() == "CD-ROM is in ISO 9660 format")
        {
            string volumeId = image.IsoInfo.Single(l => l.StartsWith("Volume id: ", StringComparison.Ordinal))["Volume id: ".Length..];
            Assert.That(top.VolumeLabel, Is.EqualTo(volumeId), "isoinfo's volume id");
        }
        Assert.That(top.HasElTorito, Is.EqualTo(image.IsoInfo.Any(l => l.StartsWith("El Torito VD", StringComparison.Ordinal))), "isoinfo's El Torito line");
        Assert.That(top.HasUdf, Is.EqualTo(image.UdfInfoRc == 0), "udfinfo found a UDF volume");
    }

    [Test]
    public void GeneratorIsReproducible()
    {
        foreach (var tool in new[] { "bash", "xorriso", "genisoimage", "mkudffs", "isoinfo", "udfinfo", "gzip", "sha256sum", "openssl" })
            if (!TestPaths.HasTool(tool)) Assert.Ignore($"{tool} is not installed (CI installs it)");
        string output = TestPaths.NewTempFolder("isogen");
        int rc = Files.Run("bash", $"\"{Path.Combine(TestPaths.TestData, "iso", "make.sh")}\" \"{output}\"", out var log);
        Assert.That(rc, Is.EqualTo(0), log);

        var (recordedVersions, recorded) = Load(ExpectedJson);
        var (versions, regenerated) = Load(Path.Combine(output, "expected.json"));
        Assert.That(regenerated.Select(i => i.File), Is.EqualTo(recorded.Select(i => i.File)));
        bool SameVersion(string tool) => versions[tool] == recordedVersions[tool];
        var notes = new List<string>();
        foreach (var (old, now) in recorded.Zip(regenerated))
        {
            Assert.That(now.ExpectedCode, Is.EqualTo(old.ExpectedCode), old.File);
            Assert.That(Files.Sha256(TestPaths.Gunzip(Path.Combine(output, now.File))), Is.EqualTo(now.Sha256), "the written .gz holds the recorded image");
            // Bytes: crafted files always; xorriso's when the same xorriso version runs. genisoimage and mkudffs
            // write the current time (mkudffs also a random serial): their tool reports are compared instead.
            bool compareBytes = old.Deterministic == "yes" || (old.Deterministic == "xorriso" && SameVersion("xorriso"));
            if (compareBytes) Assert.That(now.Sha256, Is.EqualTo(old.Sha256), $"{old.File}: bytes differ");
            else notes.Add($"{old.File}: bytes not compared ({old.MadeBy})");
            Assert.That(now.Size, Is.EqualTo(old.Size), old.File);
            if (SameVersion("isoinfo")) Assert.That(now.IsoInfo, Is.EqualTo(old.IsoInfo), $"{old.File}: isoinfo -d");
            if (SameVersion("udfinfo")) Assert.That(now.UdfInfo, Is.EqualTo(old.UdfInfo), $"{old.File}: udfinfo");
            if (SameVersion("xorriso")) Assert.That(now.PvdInfo, Is.EqualTo(old.PvdInfo), $"{old.File}: xorriso -pvd_info");
        }
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, notes));
    }
}
