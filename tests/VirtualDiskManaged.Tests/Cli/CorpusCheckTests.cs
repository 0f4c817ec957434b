using System.Globalization;
using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// vdisk check over whole image collections: every shared-corpus image against its manifest's
/// contract.expected_code (made by independent tools), and the README's main job, `vdisk check testdata`.
/// </summary>
[TestFixture]
public sealed class CorpusCheckTests
{
    private static uint ParseCode(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetUInt32()
        : e.GetString()!.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.Parse(e.GetString()![2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : uint.Parse(e.GetString()!, CultureInfo.InvariantCulture);

    [Test]
    public void EveryCorpusImageGetsItsContractCode()
    {
        string? corpus = CliImages.Corpus;
        if (corpus is null) Assert.Ignore("the shared corpus (../shared/corpus or VDM_SHARED_CORPUS) is not present");
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(corpus!, "manifest.json"))).RootElement;
        var images = manifest.GetProperty("images").EnumerateArray().ToList();
        var paths = images.Select(i => Path.Combine(corpus!, i.GetProperty("file").GetString()!)).ToArray();

        // One process for all of them, explicit files (the corpus also holds .udf and .raw names a folder walk skips).
        var r = CliRunner.Run(["check", .. paths, "--format", "json"]);
        Assert.That(r.ExitCode, Is.AnyOf(0, 1), r.ToString());
        var results = r.Json().GetProperty("results").EnumerateArray().ToList();
        Assert.That(results.Select(x => x.GetProperty("path").GetString()), Is.EqualTo(paths), "input order");

        var wrong = new List<string>();
        for (int i = 0; i < images.Count; i++)
        {
            var contract = images[i].GetProperty("contract");
            uint expected = ParseCode(contract.GetProperty("expected_code"));
            var x = results[i];
            string file = images[i].GetProperty("file").GetString()!;
            if (x.GetProperty("code").ValueKind != JsonValueKind.Number)
            {
                wrong.Add($"{file}: no code ({x.GetProperty("internalError")}{x.GetProperty("inputError")})");
                continue;
            }
            uint got = x.GetProperty("code").GetUInt32();
            if (got != expected)
                wrong.Add($"{file}: expected 0x{expected:X8}, got 0x{got:X8} {x.GetProperty("reason")}: {x.GetProperty("message")}");
            else if (contract.TryGetProperty("expect_warning", out var w) && w.ValueKind == JsonValueKind.True && x.GetProperty("warnings").GetArrayLength() == 0)
                wrong.Add($"{file}: expected a warning, got none");
            else if (expected == 0 && x.GetProperty("status").GetString() != "ok")
                wrong.Add($"{file}: code 0 but status {x.GetProperty("status")}");
        }
        Assert.That(wrong, Is.Empty, $"{wrong.Count} of {images.Count} corpus images:\n" + string.Join("\n", wrong));
    }

    [Test]
    public void DeepHashOfSmallCorpusImagesMatchesTheIndependentTools()
    {
        string? corpus = CliImages.Corpus;
        if (corpus is null) Assert.Ignore("the shared corpus (../shared/corpus or VDM_SHARED_CORPUS) is not present");
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(corpus!, "manifest.json"))).RootElement;
        // Images that open (expected code 0) and whose content the tools measured at 64 MiB or less.
        var images = manifest.GetProperty("images").EnumerateArray()
            .Where(i => ParseCode(i.GetProperty("contract").GetProperty("expected_code")) == 0)
            .Where(i => i.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.Object
                && c.EnumerateObject().Any(t => t.Value.ValueKind == JsonValueKind.Object && t.Value.TryGetProperty("length", out var l) && l.GetInt64() <= 64L << 20))
            .ToList();
        var paths = images.Select(i => Path.Combine(corpus!, i.GetProperty("file").GetString()!)).ToArray();
        var r = CliRunner.Run(["check", .. paths, "--deep", "--hash", "--format", "json"]);
        Assert.That(r.ExitCode, Is.AnyOf(0, 1), r.ToString());
        var results = r.Json().GetProperty("results").EnumerateArray().ToList();
        var wrong = new List<string>();
        int compared = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var x = results[i];
            string file = images[i].GetProperty("file").GetString()!;
            if (x.GetProperty("status").GetString() != "ok") { wrong.Add($"{file}: {x.GetProperty("status")} {x.GetProperty("reason")} {x.GetProperty("message")}"); continue; }
            long size = x.GetProperty("virtualSize").GetInt64();
            Assert.That(x.GetProperty("deep").GetProperty("bytesRead").GetInt64(), Is.EqualTo(size), file);
            // The contract's own hash where tools disagree (log replay), else any tool that read exactly the virtual size.
            var candidates = new HashSet<string>(StringComparer.Ordinal);
            if (images[i].GetProperty("contract").TryGetProperty("content_sha256", out var cs) && cs.ValueKind == JsonValueKind.String) candidates.Add(cs.GetString()!);
            else
                foreach (var t in images[i].GetProperty("content").EnumerateObject())
                    if (t.Value.ValueKind == JsonValueKind.Object && t.Value.TryGetProperty("sha256", out var sha) && sha.ValueKind == JsonValueKind.String
                        && t.Value.TryGetProperty("length", out var len) && len.GetInt64() == size)
                        candidates.Add(sha.GetString()!);
            if (candidates.Count == 0) continue;
            compared++;
            string got = x.GetProperty("deep").GetProperty("sha256").GetString()!;
            if (!candidates.Contains(got)) wrong.Add($"{file}: sha256 {got} is none of {string.Join(", ", candidates)}");
        }
        Assert.That(wrong, Is.Empty, string.Join("\n", wrong));
        Assert.That(compared, Is.GreaterThan(20), "enough images were compared");
    }

    [Test]
    public void CheckTestdataReportsEveryImage()
    {
        string testdata = TestPaths.TestData;
        if (!Directory.Exists(testdata)) Assert.Ignore("testdata/ is not present yet");
        // Every image file under testdata (independent of the tool's walk): the known extensions, plain or .gz.
        string[] extensions = [".vhd", ".vhdx", ".avhd", ".avhdx", ".iso"];
        var expected = Directory.EnumerateFiles(testdata, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(TestPaths.RepoRoot, p))
            .Where(p => extensions.Any(e => p.EndsWith(e, StringComparison.OrdinalIgnoreCase) || p.EndsWith(e + ".gz", StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal).ToList();
        if (expected.Count == 0) Assert.Ignore("no images in testdata/ yet");

        // The README's command, run from the repository root with the built tool.
        var r = CliRunner.RunIn(TestPaths.RepoRoot, "check", "testdata", "--format", "json");
        Assert.That(r.ExitCode, Is.AnyOf(0, 1), r.ToString());
        var doc = r.Json();
        var results = doc.GetProperty("results").EnumerateArray().ToList();
        Assert.That(results.Select(x => x.GetProperty("path").GetString()), Is.EqualTo(expected));
        Assert.That(doc.GetProperty("summary").GetProperty("internalErrors").GetInt32(), Is.Zero);
        foreach (var x in results)
            Assert.That(x.GetProperty("code").ValueKind, Is.EqualTo(JsonValueKind.Number), x.ToString());

        // Where an area's expected.json names an image with an expected code, check agrees.
        var known = ExpectedCodes(testdata);
        foreach (var x in results)
        {
            string name = Path.GetFileName(x.GetProperty("path").GetString()!);
            if (known.TryGetValue(name, out uint code))
                Assert.That(x.GetProperty("code").GetUInt32(), Is.EqualTo(code), name);
        }

        var text = CliRunner.RunIn(TestPaths.RepoRoot, "check", "testdata");
        Assert.That(text.Stdout.TrimEnd().Split('\n')[^1], Does.Match(@"^\d+ images?: \d+ ok, \d+ failed$"));
    }

    /// <summary>
    /// Best effort over testdata/*/expected.json: any object with a file name ("file"/"image"/"name") and an
    /// "expected_code" (number or "0x…" string), wherever it sits in the document.
    /// </summary>
    private static Dictionary<string, uint> ExpectedCodes(string testdata)
    {
        var map = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (string f in Directory.EnumerateFiles(testdata, "expected.json", SearchOption.AllDirectories))
        {
            JsonElement root;
            try { root = JsonDocument.Parse(File.ReadAllBytes(f)).RootElement; }
            catch (JsonException) { continue; }
            Walk(root, null);
        }
        return map;

        void Walk(JsonElement e, string? key)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                string? name = null;
                foreach (var n in new[] { "file", "image", "name" })
                    if (e.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String) { name = v.GetString(); break; }
                name ??= key;
                if (name is not null && e.TryGetProperty("expected_code", out var c) && c.ValueKind is JsonValueKind.Number or JsonValueKind.String)
                {
                    try { map[Path.GetFileName(name)] = ParseCode(c); }
                    catch (FormatException) { }
                    catch (OverflowException) { }
                }
                foreach (var p in e.EnumerateObject()) Walk(p.Value, p.Name);
            }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var item in e.EnumerateArray()) Walk(item, null);
        }
    }
}
