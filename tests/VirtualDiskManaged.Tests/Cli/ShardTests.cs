using System.Text.Json;
using System.Xml.Linq;
using VirtualDiskManaged.Cli.Check;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// vdisk check --shard K/N and --merge-reports: every image lands in exactly one shard whatever the walk order or
/// where the folder is, and the merged shard reports equal the unsharded run's results.
/// </summary>
[TestFixture]
public sealed class ShardTests
{
    private const int Shards = 4;
    private string _root = "";
    private string _folder = "";
    private readonly List<string> _relative = [];

    /// <summary>A tree of 24 images (good and broken ISOs, a footerless .vhd, a .gz) in nested folders.</summary>
    [OneTimeSetUp]
    public void Make()
    {
        _root = TestPaths.NewTempFolder("cli-shard");
        _folder = Path.Combine(_root, "images");
        Directory.CreateDirectory(_folder);
        string good = CliImages.Iso(_root, "seed.iso");
        for (int i = 0; i < 24; i++)
        {
            string rel = Path.Combine($"group{i % 3}", i % 2 == 0 ? "" : "deeper", $"disk{i:D2}" + (i % 7 == 0 ? ".vhd" : ".iso"));
            string path = Path.Combine(_folder, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (rel.EndsWith(".vhd", StringComparison.Ordinal)) File.WriteAllBytes(path, new byte[65536]);
            else
            {
                File.Copy(good, path);
                if (i % 5 == 0)
                    using (var f = File.OpenWrite(path)) f.SetLength(f.Length + 10);
            }
            if (i == 23) path = CliImages.Gzip(path);
            _relative.Add(Path.GetRelativePath(_folder, path).Replace('\\', '/'));
        }
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (_root.Length > 0 && Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    private static List<JsonElement> Results(CliResult r) => [.. r.Json().GetProperty("results").EnumerateArray()];

    private static string Key(JsonElement x) =>
        $"{x.GetProperty("path").GetString()}|{x.GetProperty("status").GetString()}|{x.GetProperty("code")}|{x.GetProperty("reason")}|{x.GetProperty("message")}|{x.GetProperty("inputError")}";

    [Test]
    public void Fnv1aMatchesThePublishedTestVectors()
    {
        // FNV-1a 64-bit test vectors (Fowler/Noll/Vo, "FNV test vectors": "", "a", "foobar").
        Assert.That(Shard.Fnv1a64(""), Is.EqualTo(0xcbf29ce484222325UL));
        Assert.That(Shard.Fnv1a64("a"), Is.EqualTo(0xaf63dc4c8601ec8cUL));
        Assert.That(Shard.Fnv1a64("foobar"), Is.EqualTo(0x85944171f73967e8UL));
    }

    [Test]
    public void EveryImageIsInExactlyOneShard()
    {
        var all = Results(CliRunner.Run("check", _folder, "--format", "json")).Select(x => x.GetProperty("path").GetString()!).ToList();
        Assert.That(all, Has.Count.EqualTo(24));
        var seen = new Dictionary<string, int>();
        for (int k = 1; k <= Shards; k++)
        {
            var r = CliRunner.Run("check", _folder, "--shard", $"{k}/{Shards}", "--format", "json");
            Assert.That(r.ExitCode, Is.AnyOf(0, 1), r.ToString());
            Assert.That(r.Json().GetProperty("options").GetProperty("shard").GetString(), Is.EqualTo($"{k}/{Shards}"));
            foreach (var x in Results(r))
            {
                string p = x.GetProperty("path").GetString()!;
                Assert.That(seen.TryAdd(p, k), Is.True, $"{p} is in shard {k} and in shard {(seen.TryGetValue(p, out int o) ? o : 0)}");
                // The shard is the FNV-1a hash of the path relative to the folder given, '/' separated.
                Assert.That(Shard.Of(Path.GetRelativePath(_folder, p).Replace('\\', '/'), Shards), Is.EqualTo(k), p);
            }
        }
        Assert.That(seen.Keys, Is.EquivalentTo(all));
    }

    [Test]
    public void TheShardOfAnImageDoesNotDependOnWhereTheFolderIsOrHowItIsNamed()
    {
        // The same tree reached by another path (a relative path from another working folder, and a symbolic link)
        // gives the same share: only the path below the folder given counts.
        string link = Path.Combine(_root, "link-to-images");
        if (!Directory.Exists(link)) Directory.CreateSymbolicLink(link, _folder);
        for (int k = 1; k <= Shards; k++)
        {
            var direct = Rel(Results(CliRunner.Run("check", _folder, "--shard", $"{k}/{Shards}", "--format", "json")), _folder);
            var viaLink = Rel(Results(CliRunner.Run("check", link, "--shard", $"{k}/{Shards}", "--format", "json")), link);
            var relative = Rel(Results(CliRunner.RunIn(_root, "check", "images", "--shard", $"{k}/{Shards}", "--format", "json")), "images", _root);
            Assert.That(viaLink, Is.EquivalentTo(direct), $"shard {k}");
            Assert.That(relative, Is.EquivalentTo(direct), $"shard {k}");
            Assert.That(direct, Is.EquivalentTo(_relative.Where(r => Shard.Of(r, Shards) == k)), $"shard {k}");
        }
    }

    private static List<string> Rel(List<JsonElement> results, string folder, string? workingFolder = null) =>
        [.. results.Select(x => Path.GetRelativePath(Path.GetFullPath(folder, workingFolder ?? Environment.CurrentDirectory),
            Path.GetFullPath(x.GetProperty("path").GetString()!, workingFolder ?? Environment.CurrentDirectory)).Replace('\\', '/'))];

    [Test]
    public void MergedJsonReportsEqualTheUnshardedRun()
    {
        var whole = CliRunner.Run("check", _folder, "--format", "json");
        string[] reports = [.. Enumerable.Range(1, Shards).Select(k => Path.Combine(_root, $"shard{k}.json"))];
        for (int k = 1; k <= Shards; k++)
            Assert.That(CliRunner.Run("check", _folder, "--shard", $"{k}/{Shards}", "--format", "json", "-o", reports[k - 1]).ExitCode, Is.AnyOf(0, 1));
        var merged = CliRunner.Run(["check", "--format", "json", "--merge-reports", .. reports]);
        Assert.That(merged.ExitCode, Is.EqualTo(whole.ExitCode), merged.ToString());
        Assert.That(Results(merged).Select(Key), Is.EqualTo(Results(whole).Select(Key)), "same results, same (ordinal path) order");
        Assert.That(merged.Json().GetProperty("summary").ToString(), Is.EqualTo(whole.Json().GetProperty("summary").ToString()));
        var schema = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "check-result.schema.json"))).RootElement;
        Assert.That(MiniSchema.Validate(schema, merged.Json()), Is.Empty);

        // Text output of the merge has the same summary line as the unsharded text run.
        var text = CliRunner.Run(["check", "--merge-reports", .. reports]);
        Assert.That(text.Stdout.TrimEnd().Split('\n')[^1], Is.EqualTo(CliRunner.Run("check", _folder).Stdout.TrimEnd().Split('\n')[^1]));
    }

    [Test]
    public void MergedJUnitReportsEqualTheUnshardedRun()
    {
        static List<string> Cases(string xml) => [.. XDocument.Parse(xml).Descendants("testcase")
            .Select(t => $"{t.Attribute("name")!.Value}|{t.Element("failure")?.Attribute("type")?.Value}|{t.Element("failure")?.Attribute("message")?.Value}|{t.Element("error") is not null}")];
        var whole = CliRunner.Run("check", _folder, "--format", "junit");
        string[] reports = [.. Enumerable.Range(1, Shards).Select(k => Path.Combine(_root, $"shard{k}.xml"))];
        for (int k = 1; k <= Shards; k++)
            CliRunner.Run("check", _folder, "--shard", $"{k}/{Shards}", "--format", "junit", "--output", reports[k - 1]);
        var merged = CliRunner.Run(["check", "--format", "junit", "--merge-reports", .. reports]);
        Assert.That(merged.ExitCode, Is.EqualTo(whole.ExitCode), merged.ToString());
        Assert.That(Cases(merged.Stdout), Is.EqualTo(Cases(whole.Stdout)));
        var suite = XDocument.Parse(merged.Stdout).Root!;
        Assert.That(suite.Attribute("tests")!.Value, Is.EqualTo("24"));
        Assert.That(suite.Attribute("failures")!.Value, Is.EqualTo(XDocument.Parse(whole.Stdout).Root!.Attribute("failures")!.Value));

        // JUnit shards merged into JSON keep each image's status and code.
        var json = CliRunner.Run(["check", "--format", "json", "--merge-reports", .. reports]);
        var expected = Results(CliRunner.Run("check", _folder, "--format", "json"))
            .Select(x => $"{x.GetProperty("path").GetString()}|{x.GetProperty("status").GetString()}|{x.GetProperty("code")}");
        Assert.That(Results(json).Select(x => $"{x.GetProperty("path").GetString()}|{x.GetProperty("status").GetString()}|{x.GetProperty("code")}"), Is.EqualTo(expected));
    }

    [Test]
    public void AnEmptyShardIsNotAnError()
    {
        string one = Path.Combine(_root, "single");
        Directory.CreateDirectory(one);
        File.Copy(Path.Combine(_root, "seed.iso"), Path.Combine(one, "only.iso"), overwrite: true);
        int mine = Shard.Of("only.iso", 5);
        int other = mine % 5 + 1;
        var r = CliRunner.Run("check", one, "--shard", $"{other}/5", "--format", "json");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(Results(r), Is.Empty);
        var m = CliRunner.Run("check", one, "--shard", $"{mine}/5", "--format", "json");
        Assert.That(Results(m), Has.Count.EqualTo(1));
    }

    [TestCase("0/4")]
    [TestCase("5/4")]
    [TestCase("1/0")]
    [TestCase("a/b")]
    [TestCase("2")]
    public void BadShardIsAUsageError(string shard)
    {
        var r = CliRunner.Run("check", _folder, "--shard", shard);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.StartWith("vdisk: --shard"));
    }

    [Test]
    public void MergeRefusesOverlapsAndBadFiles()
    {
        string report = Path.Combine(_root, "all.json");
        CliRunner.Run("check", _folder, "--format", "json", "-o", report);
        var twice = CliRunner.Run("check", "--merge-reports", report, report);
        Assert.That(twice.ExitCode, Is.EqualTo(1), twice.ToString());
        Assert.That(twice.Stderr, Does.Contain("is also in"));
        string junk = Path.Combine(_root, "junk.json");
        File.WriteAllText(junk, "{ \"hello\": 1 }");
        var bad = CliRunner.Run("check", "--merge-reports", junk);
        Assert.That(bad.ExitCode, Is.EqualTo(1), bad.ToString());
        Assert.That(bad.Stderr, Does.Contain("not a report written by vdisk check"));
        Assert.That(CliRunner.Run("check", _folder, "--merge-reports", report).ExitCode, Is.EqualTo(2), "PATH and --merge-reports");
        Assert.That(CliRunner.Run("check", "--deep", "--merge-reports", report).ExitCode, Is.EqualTo(2), "--deep and --merge-reports");
    }
}
