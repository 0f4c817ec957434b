using System.Text.RegularExpressions;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Extraction;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.FileSystemsCli;

/// <summary>
/// Every ISO of ../shared/corpus (images/iso and real/*/*.iso) listed and extracted by the library and, at test
/// time, by bsdtar and 7-Zip. Where the two tools agree on the names, the library lists exactly those; where they
/// agree on an entry's bytes, the library extracts the same bytes. Where they disagree the library is held to the
/// tool that reads the namespace it reads: bsdtar for Rock Ridge and plain ISO 9660 (libarchive prefers Rock Ridge,
/// then Joliet, as the library does), 7-Zip for Joliet and UDF (libarchive does not read UDF). Images neither tool
/// can read must still give the library's own error, never another exception. Skipped when the corpus is absent.
/// </summary>
[TestFixture]
public sealed class CorpusFileSystemTests
{
    public static IEnumerable<TestCaseData> Images()
    {
        string? corpus = TestPaths.SharedCorpus;
        if (corpus is null)
        {
            yield return new TestCaseData("(corpus absent)").SetName("CorpusAbsent");
            yield break;
        }
        var files = Directory.EnumerateFiles(Path.Combine(corpus, "images", "iso"), "*.iso.gz")
            .Concat(Directory.EnumerateDirectories(Path.Combine(corpus, "real")).SelectMany(d => Directory.EnumerateFiles(d, "*.iso*")))
            .Order(StringComparer.Ordinal);
        foreach (string f in files) yield return new TestCaseData(Path.GetRelativePath(corpus, f)).SetArgDisplayNames(Path.GetRelativePath(corpus, f));
    }

    private static void RequireTools()
    {
        if (TestPaths.SharedCorpus is null) Assert.Ignore("../shared/corpus is absent");
        foreach (string t in new[] { "bsdtar", "7zz" })
            if (!TestPaths.HasTool(t)) Assert.Ignore(t + " is not installed (libarchive-tools, 7zip)");
    }

    private static string Expand(string relative)
    {
        string p = Path.Combine(TestPaths.SharedCorpus!, relative);
        return p.EndsWith(".gz", StringComparison.Ordinal) ? TestPaths.Gunzip(p) : p;
    }

    /// <summary>A tool run with a short timeout: null when it hangs (bsdtar 3.6 loops forever on the CE-loop image).</summary>
    private static string? Run(string tool, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(20_000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return null;
        }
        return p.ExitCode == 0 ? stdout.Result : null;
    }

    private static SortedSet<string>? BsdtarListing(string iso)
    {
        string? stdout = Run("bsdtar", "-tf", iso);
        if (stdout is null) return null;
        return new(stdout.Split('\n').Select(l => l.StartsWith("./", StringComparison.Ordinal) ? l[2..] : l)
            .Where(l => l.Length > 0 && l != ".").Select(l => "/" + l.TrimEnd('/')), StringComparer.Ordinal);
    }

    private static (SortedSet<string> Paths, string Type)? SevenZipListing(string iso)
    {
        string? stdout = Run("7zz", "l", "-slt", "-sccUTF-8", iso);
        if (stdout is null) return null;
        var type = Regex.Match(stdout, @"^Type = (.*)$", RegexOptions.Multiline).Groups[1].Value.Trim();
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string block in stdout.Replace("\r", "").Split("\n\n"))
        {
            var m = Regex.Match(block, @"^Path = (.*)$", RegexOptions.Multiline);
            if (m.Success && block.Contains("Folder = ", StringComparison.Ordinal))
            {
                string p = "/" + m.Groups[1].Value;
                if (p != "/[BOOT]" && !p.StartsWith("/[BOOT]/", StringComparison.Ordinal)) set.Add(p);
            }
        }
        return (set, type);
    }

    private static SortedDictionary<string, HostEntry>? ExtractWith(string tool, string iso, string target)
    {
        Directory.CreateDirectory(target);
        string? ok = tool == "bsdtar" ? Run("bsdtar", "-xf", iso, "-C", target) : Run("7zz", "x", "-y", "-snl", "-sccUTF-8", "-o" + target, iso);
        return ok is null ? null : FsTestSupport.Walk(target);
    }

    /// <summary>The manifest's "expect" of each corpus file ("ok", "corrupt", "invalid-iso-size", …).</summary>
    private static readonly Lazy<Dictionary<string, string>> Expect = new(() =>
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.SharedCorpus!, "manifest.json")));
        return doc.RootElement.GetProperty("images").EnumerateArray()
            .ToDictionary(e => e.GetProperty("file").GetString()!, e => e.GetProperty("expect").GetString()!, StringComparer.Ordinal);
    });

    /// <summary>
    /// A damaged image (manifest: not "ok"): tools' views are not a reference. Every namespace is walked and
    /// extracted; only the library's own errors may come out.
    /// </summary>
    private static void Robust(string iso, string expect)
    {
        using var probe = new FileStream(iso, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (!FileSystem.TryOpen(probe, null, out var auto, out var failure))
        {
            Assert.Pass($"manifest: {expect}; the library does not open it: {failure!.Reason}");
            return;
        }
        var seen = new List<string>();
        using (auto)
        {
            foreach (var ns in auto!.AvailableNamespaces)
            {
                if (!FileSystem.TryOpen(probe, new FileSystemOpenOptions { Namespace = ns }, out var reader, out var f))
                {
                    seen.Add($"{ns}: {f!.Reason}");
                    continue;
                }
                using (reader)
                {
                    try
                    {
                        seen.Add($"{ns}: {reader!.EnumerateTree().Count()} entries");
                    }
                    catch (VirtualDiskException e)
                    {
                        seen.Add($"{ns}: {e.Diagnostic.Reason}");
                    }
                    string target = TestPaths.NewTempFolder("corpus-bad");
                    try
                    {
                        var r = FileSystemExtractor.Extract(reader!, target);
                        seen.Add($"{ns}: extracted {r.FilesExtracted}, {r.Failures.Count} refused");
                    }
                    finally
                    {
                        Directory.Delete(target, recursive: true);
                    }
                }
            }
        }
        Assert.Pass($"manifest: {expect}; " + string.Join("; ", seen));
    }

    /// <summary>The namespace bsdtar reads (Rock Ridge, else Joliet, else ISO 9660), or null on a UDF-only volume.</summary>
    private static FileSystemNamespace? BsdtarNamespace(IReadOnlyList<FileSystemNamespace> available) =>
        available.Contains(FileSystemNamespace.RockRidge) ? FileSystemNamespace.RockRidge
        : available.Contains(FileSystemNamespace.Joliet) ? FileSystemNamespace.Joliet
        : available.Contains(FileSystemNamespace.Iso9660) ? FileSystemNamespace.Iso9660 : null;

    [TestCaseSource(nameof(Images))]
    public void ListsAndExtractsLikeBsdtarAnd7Zip(string relative)
    {
        RequireTools();
        string iso = Expand(relative);
        if (Expect.Value.GetValueOrDefault(relative.Replace('\\', '/'), "ok") is var expect && expect != "ok")
        {
            Robust(iso, expect);
            return;
        }
        var bsdtar = BsdtarListing(iso);
        var sevenZip = SevenZipListing(iso);

        IReadOnlyList<FileSystemNamespace> available;
        using (var probe = new FileStream(iso, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            if (!FileSystem.TryOpen(probe, null, out var auto, out var failure))
            {
                Assert.That(bsdtar is null && sevenZip is null, $"the library cannot open it ({failure}) but a tool can");
                Assert.Pass($"no tool reads it either; the library says {failure!.Reason}");
            }
            using (auto) available = auto!.AvailableNamespaces;
        }
        var bsdtarNs = BsdtarNamespace(available);
        string work = TestPaths.NewTempFolder("corpus-fs");
        try
        {
            var notes = new List<string>();
            // Names: each namespace the library offers, against the tools.
            var listings = new Dictionary<FileSystemNamespace, SortedSet<string>>();
            foreach (var ns in available)
            {
                var (file, reader) = FsTestSupport.Open(iso, ns);
                using (file)
                using (reader)
                    listings[ns] = FsTestSupport.Listing(reader);
            }
            FileSystemNamespace? extractNs = bsdtarNs;
            if (bsdtar is not null && sevenZip is { } sz && bsdtar.SetEquals(sz.Paths))
            {
                var listed = listings[bsdtarNs ?? available[0]];
                Assert.That(listed, Is.EqualTo(bsdtar), "bsdtar and 7-Zip agree: " + FsTestSupport.Difference(bsdtar, listed));
            }
            else if (bsdtar is not null || sevenZip is not null)
            {
                // They disagree: the library must offer a namespace that reads as one of them reads. bsdtar reads
                // Rock Ridge, else Joliet, else ISO 9660 (and no UDF); 7-Zip reads UDF, else Joliet.
                var matchB = bsdtar is null ? null : listings.Where(l => l.Value.SetEquals(bsdtar)).Select(l => (FileSystemNamespace?)l.Key).FirstOrDefault();
                var matchS = sevenZip is not { } s7 ? null : listings.Where(l => l.Value.SetEquals(s7.Paths)).Select(l => (FileSystemNamespace?)l.Key).FirstOrDefault();
                if (matchB is { } mb) notes.Add($"names: the tools disagree; {mb} reads as bsdtar does");
                if (matchS is { } ms) notes.Add($"names: the tools disagree; {ms} reads as 7-Zip does");
                Assert.That(matchB is not null || matchS is not null,
                    $"no namespace of the library reads as bsdtar or 7-Zip does. bsdtar vs {bsdtarNs}: "
                    + (bsdtar is null ? "(failed)" : FsTestSupport.Difference(bsdtar, listings[bsdtarNs ?? available[0]]))
                    + "; 7-Zip: " + (sevenZip is null ? "(failed)" : string.Join(", ", listings.Select(l => $"{l.Key}: {FsTestSupport.Difference(sevenZip.Value.Paths, l.Value)}"))));
                extractNs = matchB ?? bsdtarNs;
            }
            // Bytes: where bsdtar's and 7-Zip's extractions agree on an entry, the library's matches it.
            var b = bsdtar is null ? null : ExtractWith("bsdtar", iso, Path.Combine(work, "bsdtar"));
            var s = sevenZip is null ? null : ExtractWith("7zz", iso, Path.Combine(work, "7zz"));
            if (b is null || s is null)
            {
                TestContext.Out.WriteLine($"an extraction failed in a tool; names checked only ({string.Join("; ", notes)})");
                return;
            }
            var agreed = new SortedDictionary<string, HostEntry>(StringComparer.Ordinal);
            foreach (var (path, e) in b)
                if (e.Type == "file" && s.TryGetValue(path, out var o) && o.Type == "file" && o.Sha256 == e.Sha256) agreed[path] = e;
            string mine = Path.Combine(work, "library");
            var (f2, r2) = FsTestSupport.Open(iso, extractNs ?? FileSystemNamespace.Auto);
            FileSystemExtractionResult result;
            using (f2)
            using (r2)
                result = FileSystemExtractor.Extract(r2, mine);
            var walked = FsTestSupport.Walk(mine);
            var problems = new List<string>();
            foreach (var (path, e) in agreed)
            {
                if (!walked.TryGetValue(path, out var a)) problems.Add($"{path}: not extracted");
                else if (a.Sha256 != e.Sha256 || a.Size != e.Size) problems.Add($"{path}: {a.Size} bytes {a.Sha256}, both tools {e.Size} bytes {e.Sha256}");
            }
            Assert.That(problems, Is.Empty, string.Join("\n", problems.Take(20)) + "\nfailures: " + string.Join("\n", result.Failures.Take(10)));
            if (notes.Count > 0) TestContext.Out.WriteLine(string.Join("\n", notes));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
