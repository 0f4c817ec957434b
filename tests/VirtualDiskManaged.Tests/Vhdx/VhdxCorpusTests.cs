using System.Globalization;
using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>
/// Every image of ../shared/corpus whose manifest entry has "opener": "vhdx": the open code must be the manifest's
/// contract.expected_code (both API layers), a warning must be present when contract.expect_warning says so, and the
/// content hash must equal contract.content_sha256, else content.qemu.sha256 (qemu-img convert -O raw).
/// </summary>
public sealed class VhdxCorpusTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var corpus = TestPaths.SharedCorpus;
        if (corpus is null) yield break;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(corpus, "manifest.json")));
        foreach (var image in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            if (!image.TryGetProperty("opener", out var opener) || opener.GetString() != "vhdx") continue;
            if (!image.TryGetProperty("contract", out var contract)) continue;
            string file = image.GetProperty("file").GetString()!;
            string code = contract.GetProperty("expected_code").GetString()!;
            bool warn = contract.TryGetProperty("expect_warning", out var w) && w.ValueKind == JsonValueKind.True;
            string? sha = contract.TryGetProperty("content_sha256", out var c) ? c.GetString() : null;
            if (sha is null && image.TryGetProperty("content", out var content) && content.TryGetProperty("qemu", out var q)
                && q.ValueKind == JsonValueKind.Object && q.TryGetProperty("sha256", out var qs))
                sha = qs.GetString();
            yield return new TestCaseData(file, code, warn, sha).SetName($"Corpus({file})");
        }
    }

    private static uint ParseCode(string code) => code.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        ? uint.Parse(code.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
        : uint.Parse(code, CultureInfo.InvariantCulture);

    [TestCaseSource(nameof(Cases))]
    public void OpensAsTheManifestSays(string file, string expectedCode, bool expectWarning, string? sha256)
    {
        string image = TestPaths.Gunzip(Path.Combine(TestPaths.SharedCorpus!, file));
        uint expected = ParseCode(expectedCode);

        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, image, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            OpenVirtualDiskFlags.None, null, out var handle);
        handle?.Dispose();
        Assert.That(code, Is.EqualTo(expected), $"0x{code:X8} instead of {expectedCode}");

        bool ok = VirtualDisk.TryOpen(image, null, out var disk, out VirtualDiskDiagnostic? failure);
        if (expected != 0)
        {
            Assert.That(ok, Is.False);
            Assert.That(failure!.ErrorCode, Is.EqualTo(expected), failure.ToString());
            return;
        }
        Assert.That(ok, Is.True, failure?.ToString());
        using (disk)
        {
            if (expectWarning) Assert.That(disk!.Warnings, Is.Not.Empty);
            if (sha256 is not null) Assert.That(TestPaths.ContentSha256(disk!), Is.EqualTo(sha256));
        }
    }
}

/// <summary>The precise reason (failure or warning) for the corpus images whose manifest entry describes what is wrong.</summary>
public sealed class VhdxCorpusReasonTests
{
    [TestCase("images/invalid/vhdx/vhdx-bad-both-hdrs.vhdx.gz", VirtualDiskErrorReason.VhdxHeadersInvalid)]
    [TestCase("images/invalid/vhdx/vhdx-bad-both-rt.vhdx.gz", VirtualDiskErrorReason.VhdxRegionTablesInvalid)]
    [TestCase("images/invalid/vhdx/vhdx-bad-metadata-sig.vhdx.gz", VirtualDiskErrorReason.VhdxMetadataTableInvalid)]
    [TestCase("images/invalid/vhdx/vhdx-bad-signature.vhdx.gz", VirtualDiskErrorReason.VhdxFileIdentifierMissing)]
    [TestCase("images/invalid/misc/empty.vhdx.gz", VirtualDiskErrorReason.VhdxFileIdentifierMissing)]
    [TestCase("images/invalid/vhdx/vhdx-bat-bad-state.vhdx.gz", VirtualDiskErrorReason.BatEntryStateInvalid)]
    [TestCase("images/invalid/vhdx/vhdx-bat-overlaps-header.vhdx.gz", VirtualDiskErrorReason.BatBlockOverlapsMetadata)]
    [TestCase("images/invalid/vhdx/vhdx-bat-partial-nodiff.vhdx.gz", VirtualDiskErrorReason.VhdxPartialBlockNotDifferencing)]
    [TestCase("images/invalid/vhdx/vhdx-bat-past-eof.vhdx.gz", VirtualDiskErrorReason.BatEntryBeyondEndOfFile)]
    [TestCase("images/invalid/vhdx/vhdx-trunc-half.vhdx.gz", VirtualDiskErrorReason.BatEntryBeyondEndOfFile)]
    public void FailsWithReason(string file, VirtualDiskErrorReason reason)
    {
        var corpus = TestPaths.SharedCorpus;
        if (corpus is null) Assert.Ignore("../shared/corpus is absent");
        string image = TestPaths.Gunzip(Path.Combine(corpus, file));
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(image).Dispose())!;
        Assert.That(e.Reason, Is.EqualTo(reason), e.Message);
    }

    [TestCase("images/invalid/vhdx/vhdx-bad-hdr1.vhdx.gz", VirtualDiskErrorReason.VhdxHeaderInvalid)]
    [TestCase("images/invalid/vhdx/vhdx-bad-hdr2.vhdx.gz", VirtualDiskErrorReason.VhdxHeaderInvalid)]
    [TestCase("images/invalid/vhdx/vhdx-bad-rt1.vhdx.gz", VirtualDiskErrorReason.VhdxRegionTableInvalid)]
    [TestCase("images/invalid/vhdx/vhdx-log-pending.vhdx.gz", VirtualDiskErrorReason.VhdxLogReplayed)]
    [TestCase("images/invalid/vhdx/vhdx-log-applied-guid-set.vhdx.gz", VirtualDiskErrorReason.VhdxLogReplayed)]
    [TestCase("images/invalid/vhdx/vhdx-log-guid-no-entry.vhdx.gz", VirtualDiskErrorReason.VhdxLogGuidWithoutEntries)]
    [TestCase("images/invalid/vhdx/vhdx-log-torn-entry.vhdx.gz", VirtualDiskErrorReason.VhdxLogGuidWithoutEntries)]
    [TestCase("real/DiscUtils/vhdx-log-replay.vhdx.gz", VirtualDiskErrorReason.VhdxLogReplayed)]
    public void OpensWithWarning(string file, VirtualDiskErrorReason warning)
    {
        var corpus = TestPaths.SharedCorpus;
        if (corpus is null) Assert.Ignore("../shared/corpus is absent");
        string image = TestPaths.Gunzip(Path.Combine(corpus, file));
        using var disk = VirtualDisk.Open(image);
        Assert.That(disk.Warnings.Select(w => w.Reason), Does.Contain(warning));
        Assert.That(disk.LogReplayed, Is.EqualTo(warning == VirtualDiskErrorReason.VhdxLogReplayed));
        Assert.That(disk.Info.Top.LogReplayed, Is.EqualTo(warning == VirtualDiskErrorReason.VhdxLogReplayed));
    }

    /// <summary>qemu cannot open 4096-byte-sector VHDX; libvhdi and 7-Zip read this one (manifest content.libvhdi / content.7zip).</summary>
    [Test]
    public void FourKSectorImageMatchesLibvhdiAnd7Zip()
    {
        var corpus = TestPaths.SharedCorpus;
        if (corpus is null) Assert.Ignore("../shared/corpus is absent");
        string image = TestPaths.Gunzip(Path.Combine(corpus, "images/vhdx/vhdx-dyn-16M-4kn-patched.vhdx.gz"));
        using var disk = VirtualDisk.Open(image);
        Assert.That(disk.LogicalSectorSize, Is.EqualTo(4096));
        Assert.That(disk.PhysicalSectorSize, Is.EqualTo(4096));
        Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo("7c1f71892e158e93da5cf0c047ff1ff2caa493b02d3f957d4a028c37f6ae3391"));
    }
}
