using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Vhd;

/// <summary>Every VHD of ../shared/corpus against the manifest's contract code, warning flag, size and content hash (made by qemu, libvhdi, 7-Zip).</summary>
public sealed class VhdCorpusTests
{
    public static IEnumerable<TestCaseData> Entries()
    {
        var corpus = TestPaths.SharedCorpus;
        if (corpus is null) yield break;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(corpus, "manifest.json")));
        foreach (var e in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            bool vhd = (e.TryGetProperty("opener", out var o) && o.GetString() == "vhd") || (e.TryGetProperty("format", out var f) && f.GetString() == "vhd");
            if (!vhd) continue;
            string file = e.GetProperty("file").GetString()!;
            yield return new TestCaseData(file, e.GetRawText()).SetName("Corpus " + file);
        }
    }

    [Test]
    public void CorpusIsPresent()
    {
        if (TestPaths.SharedCorpus is null) Assert.Ignore("../shared/corpus is absent");
        Assert.That(Entries().Count(), Is.GreaterThan(30));
    }

    [TestCaseSource(nameof(Entries))]
    public void OpensAsTheManifestSays(string file, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        var contract = e.GetProperty("contract");
        uint expected = Convert.ToUInt32(contract.GetProperty("expected_code").GetString()!, contract.GetProperty("expected_code").GetString()!.StartsWith("0x") ? 16 : 10);
        bool expectWarning = contract.TryGetProperty("expect_warning", out var w) && w.ValueKind == JsonValueKind.True;
        string image = TestPaths.Gunzip(Path.Combine(TestPaths.SharedCorpus!, file));

        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, image, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            OpenVirtualDiskFlags.None, null, out var handle);
        using (handle)
        {
            Assert.That(code, Is.EqualTo(expected), $"{file}: 0x{code:X8}, expected 0x{expected:X8}");
            // The .NET layer gives the same code.
            bool ok = VirtualDisk.TryOpen(image, new VirtualDiskOpenOptions { ParticipateInSharingRules = false }, out var second, out VirtualDiskDiagnostic? error);
            second?.Dispose();
            Assert.That(ok ? 0u : error!.ErrorCode, Is.EqualTo(expected));
            if (code != 0) return;

            Assert.That(handle!.Warnings.Count > 0, Is.EqualTo(expectWarning), $"warnings: {string.Join("; ", handle.Warnings.Select(x => x.Reason))}");
            if (e.TryGetProperty("structure", out var s) && s.TryGetProperty("footer_at_end", out var fe) && fe.ValueKind == JsonValueKind.Object)
            {
                var used = fe.TryGetProperty("checksum_ok", out var ck) && ck.ValueKind == JsonValueKind.True ? fe : s.GetProperty("footer_copy_at_0");
                Assert.That(handle.VirtualSize, Is.EqualTo(used.GetProperty("current_size").GetInt64()), "virtual size = CurrentSize of the footer in use");
            }

            string? sha = contract.TryGetProperty("content_sha256", out var cs) ? cs.GetString() : null;
            if (sha is null && e.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Object)
            {
                foreach (var tool in content.EnumerateObject())
                {
                    if (tool.Value.ValueKind == JsonValueKind.Object && tool.Value.TryGetProperty("length", out var len) && len.GetInt64() == handle.VirtualSize
                        && tool.Value.TryGetProperty("sha256", out var h))
                    {
                        sha = h.GetString();
                        break;
                    }
                }
            }
            if (sha is null) return; // no tool hashed the content at this size (e.g. 200 GiB)
            Assert.That(TestPaths.ContentSha256(handle), Is.EqualTo(sha), $"content of {file}");
        }
    }
}
