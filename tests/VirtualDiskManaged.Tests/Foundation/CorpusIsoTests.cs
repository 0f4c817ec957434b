using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// Every ISO/UDF image of the shared reference corpus (../shared/corpus, made by independent tools or taken from
/// other projects' test suites): a default-argument open gives the manifest's <c>contract.expected_code</c>, and an
/// image that opens streams exactly the bytes the manifest's SHA-256 names. The image is extracted under its
/// original name (TestPaths.Gunzip drops only ".gz"), so extension-based detection sees what the manifest meant.
/// </summary>
public sealed class CorpusIsoTests
{
    public sealed record Entry(string File, string Format, string? Opener, string ExpectedCode, string? Sha256)
    {
        public override string ToString() => File;
    }

    private static bool IsIsoEntry(Entry e) =>
        e.Opener == "iso" || e.Format.StartsWith("iso9660", StringComparison.Ordinal) || e.Format.StartsWith("udf", StringComparison.Ordinal) ||
        (e.Format == "unknown" && e.File.EndsWith(".iso.gz", StringComparison.OrdinalIgnoreCase));

    public static IEnumerable<TestCaseData> Entries()
    {
        var corpus = TestPaths.SharedCorpus;
        if (corpus is null)
        {
            yield return new TestCaseData(null).SetName("CorpusIso (corpus absent)");
            yield break;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(corpus, "manifest.json")));
        foreach (var e in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            string? Str(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            // The hash of the image as opened: "decompressed" when the stored file was itself a .gz of the image.
            string? sha = e.TryGetProperty("decompressed", out var d) ? Str(d, "sha256") : Str(e, "sha256");
            var entry = new Entry(Str(e, "file")!, Str(e, "format") ?? "", Str(e, "opener"),
                Str(e.GetProperty("contract"), "expected_code") ?? "", sha);
            if (IsIsoEntry(entry)) yield return new TestCaseData(entry).SetName($"CorpusIso {entry.File}");
        }
    }

    [Test]
    public void TheSelectionIsNotEmpty()
    {
        if (TestPaths.SharedCorpus is null) Assert.Ignore("../shared/corpus is absent");
        var entries = Entries().Select(t => (Entry)t.Arguments[0]!).ToList();
        Assert.That(entries, Has.Count.GreaterThan(40));
        Assert.That(entries.Select(e => e.ExpectedCode).Distinct(), Is.SupersetOf(new[] { "0", "1392" }));
    }

    [TestCaseSource(nameof(Entries))]
    public void DefaultOpen(Entry? entry)
    {
        if (entry is null) Assert.Ignore("../shared/corpus is absent");
        string path = TestPaths.Gunzip(Path.Combine(TestPaths.SharedCorpus!, entry.File));
        uint expected = IsoTestDataTests.ParseCode(entry.ExpectedCode);
        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, path, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            OpenVirtualDiskFlags.None, null, out var handle);
        using (handle)
        {
            Assert.That(code, Is.EqualTo(expected), $"0x{code:X8} for {entry.File}");
            if (code != 0 || entry.Sha256 is null) return;
            // An ISO's virtual disk is the image file itself.
            Assert.That(TestPaths.ContentSha256(handle!), Is.EqualTo(entry.Sha256));
        }
    }
}
