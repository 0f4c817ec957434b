using System.Globalization;
using VirtualDiskManaged.Tests.Hostile.Fuzzing;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// Issue 7 part 1: the mutation fuzzer over every seed image of each format. Allowed outcomes for every mutant and
/// every open combination: success, or the library's own error with a contract code; a different exception, a hang
/// or an allocation beyond the cap fails the test and the mutant is saved under testdata/regressions/.
/// Budget: VDM_FUZZ_ITERATIONS mutants per format (default <see cref="DefaultIterations"/>); base seed VDM_FUZZ_SEED.
/// </summary>
[TestFixture, Category("Fuzz")]
public sealed class FuzzTests
{
    /// <summary>Mutants per format in an ordinary test run (CI): small enough for well under a minute in all.</summary>
    public const long DefaultIterations = 400;

    internal static long Iterations =>
        long.TryParse(Environment.GetEnvironmentVariable("VDM_FUZZ_ITERATIONS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0 ? n : DefaultIterations;

    internal static ulong BaseSeed
    {
        get
        {
            string? s = Environment.GetEnvironmentVariable("VDM_FUZZ_SEED");
            if (s is null) return 0x5EED_F022;
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) return ulong.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return ulong.Parse(s, CultureInfo.InvariantCulture);
        }
    }

    internal static string RegressionsFolder => Path.Combine(TestPaths.TestData, "regressions");

    [TestCase("iso")]
    [TestCase("isofs")]
    [TestCase("vhd")]
    [TestCase("vhdx")]
    public void MutantsOpenOrFailWithAContractCode(string format)
    {
        // VDM_FUZZ_FORMATS=vhd,vhdx limits a soak to some formats (one process per format uses both cores).
        string? only = Environment.GetEnvironmentVariable("VDM_FUZZ_FORMATS");
        if (!string.IsNullOrWhiteSpace(only) && !only.Split(',', StringSplitOptions.TrimEntries).Contains(format, StringComparer.OrdinalIgnoreCase))
            Assert.Ignore($"VDM_FUZZ_FORMATS={only}");
        var seeds = SeedCatalog.For(format);
        Assert.That(seeds, Is.Not.Empty, "no seed images");
        var runner = new FuzzRunner
        {
            RegressionsFolder = RegressionsFolder,
            BaseSeed = BaseSeed,
            Progress = line => TestContext.Progress.WriteLine(line),
        };
        var report = runner.Run(format, seeds, Iterations);
        TestContext.Progress.WriteLine(report.ToString());
        TestContext.Progress.WriteLine(report.Timing);
        string? reportFile = Environment.GetEnvironmentVariable("VDM_FUZZ_REPORT");
        if (!string.IsNullOrEmpty(reportFile))
            File.AppendAllText(reportFile, $"{DateTime.UtcNow:u} seed 0x{BaseSeed:x} {report}{Environment.NewLine}");
        Assert.That(report.Findings, Is.Empty, () => string.Join("\n\n", report.Findings.Select(f =>
            $"{f.Seed} #{f.Iteration} [{f.Mutation}] saved as {f.SavedAs}:\n{f.Problem}")));
        Assert.That(report.Mutants, Is.EqualTo(Iterations), "every mutant was judged");
    }

    /// <summary>The crafted and writer-made seeds are valid images (so mutants start from something that opens).</summary>
    [TestCase("iso")]
    [TestCase("vhd")]
    [TestCase("vhdx")]
    public void GeneratedSeedsOpenAndRead(string format)
    {
        foreach (var seed in SeedCatalog.For(format).Where(s => !s.Origin.StartsWith("testdata", StringComparison.Ordinal)))
        {
            using var workspace = new FuzzWorkspace("seed");
            foreach (var (name, bytes) in seed.Siblings) workspace.Put(name, bytes);
            string path = workspace.Put(seed.Name, seed.Bytes);
            var outcome = HostileFiles.OpenAndRead(path);
            Assert.That(outcome.Failure, Is.Null, () => $"{seed.Name}: {outcome}");
            Assert.That(outcome.Content!.Any(b => b != 0), Is.True, $"{seed.Name} holds data");
        }
    }

    /// <summary>
    /// Writes the hand-crafted hostile inputs of testdata/regressions/crafted-*.gz (one per overflow class of
    /// <see cref="ResourceBoundTests"/>), so the replay test has permanent inputs besides the fuzzer's findings.
    /// Run explicitly to regenerate them: dotnet test --filter "Name=WriteCraftedRegressionInputs".
    /// </summary>
    [Test, Explicit("writes testdata/regressions/crafted-*")]
    public void WriteCraftedRegressionInputs()
    {
        Directory.CreateDirectory(RegressionsFolder);
        var inputs = new List<(string Name, byte[] Bytes, string Why)>();
        byte[] Vhd(Action<byte[]> patch) { var b = new CraftedVhd { UniqueId = new Guid("11111111-2222-3333-4444-555555555555") }.Build(); patch(b); return b; }
        byte[] Vhdx(Action<byte[]> patch)
        {
            var b = new CraftedVhdx { DataWriteGuid = new Guid("66666666-7777-8888-9999-000000000000") }.Build();
            // Fixed GUIDs for reproducible files: the builder draws new ones for the headers and the disk id.
            foreach (int h in new[] { CraftedVhdx.Header1, CraftedVhdx.Header2 }) new Guid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee").ToByteArray().CopyTo(b, h + 16);
            new Guid("12121212-3434-5656-7878-909090909090").ToByteArray().CopyTo(b, (int)CraftedVhdx.MetadataOffset + 0x10010);
            CraftedVhdx.FixChecksums(b);
            patch(b);
            return b;
        }
        inputs.Add(("crafted-vhd-blocksize-ffffffff.vhd", Vhd(b => CraftedVhd.PatchHeader(b, 32, 0xFFFFFFFF, 4)), "VHD block size 0xFFFFFFFF"));
        inputs.Add(("crafted-vhd-blocksize-2g.vhd", Vhd(b => { CraftedVhd.PatchHeader(b, 32, 0x80000000, 4); CraftedVhd.PatchHeader(b, 28, 1, 4); }), "VHD block size 2^31 with one BAT entry"));
        inputs.Add(("crafted-vhd-mte-ffffffff.vhd", Vhd(b => CraftedVhd.PatchHeader(b, 28, 0xFFFFFFFF, 4)), "VHD MaxTableEntries 0xFFFFFFFF"));
        inputs.Add(("crafted-vhd-bat-offset-2e64.vhd", Vhd(b => CraftedVhd.PatchHeader(b, 16, 0xFFFFFFFFFFFFFE00, 8)), "VHD BAT offset 2^64-512"));
        inputs.Add(("crafted-vhd-bat-entry-fffffffe.vhd", Vhd(b => { System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(CraftedVhd.BatOffset), 0xFFFFFFFE); }), "VHD BAT entry 0xFFFFFFFE"));
        inputs.Add(("crafted-vhd-size-2e64.vhd", Vhd(b => CraftedVhd.PatchFooter(b, 48, 0xFFFFFFFFFFFFFE00, 8)), "VHD current size 2^64-512"));
        inputs.Add(("crafted-vhdx-blocksize-2g.vhdx", Vhdx(b => CraftedVhdx.Patch(b, CraftedVhdx.MetadataOffset + 0x10000, 0x80000000, 4)), "VHDX block size 2 GiB"));
        inputs.Add(("crafted-vhdx-bat-region-4g.vhdx", Vhdx(b => CraftedVhdx.PatchRegionEntry(b, 0, 24, 0xFFF00000, 4)), "VHDX BAT region length 4 GiB - 1 MiB"));
        inputs.Add(("crafted-vhdx-region-wrap.vhdx", Vhdx(b => CraftedVhdx.PatchRegionEntry(b, 0, 16, 0xFFFFFFFFFFF00000, 8)), "VHDX BAT region offset+length wraps 2^64"));
        inputs.Add(("crafted-vhdx-metadata-wrap.vhdx", Vhdx(b => { CraftedVhdx.PatchMetadataEntry(b, 0, 16, 0xFFFFFFF0, 4); CraftedVhdx.PatchMetadataEntry(b, 0, 20, 0x20, 4); }), "VHDX metadata item offset+length wraps 2^32"));
        inputs.Add(("crafted-vhdx-log-4g.vhdx", Vhdx(b => { CraftedVhdx.PatchHeaders(b, 48, 0x0123456789ABCDEF, 8); CraftedVhdx.PatchHeaders(b, 68, 0xFFF00000, 4); }), "VHDX log length 4 GiB - 1 MiB with a log GUID"));
        inputs.Add(("crafted-vhdx-size-2e63.vhdx", Vhdx(b => CraftedVhdx.Patch(b, CraftedVhdx.MetadataOffset + 0x10008, 0x8000000000000000, 8)), "VHDX virtual size 2^63"));
        foreach (var (name, bytes, why) in inputs)
        {
            using (var gz = new System.IO.Compression.GZipStream(File.Create(Path.Combine(RegressionsFolder, name + ".gz")), System.IO.Compression.CompressionLevel.SmallestSize))
                gz.Write(bytes);
            File.WriteAllText(Path.Combine(RegressionsFolder, name + ".txt"), $"hand-crafted by FuzzTests.WriteCraftedRegressionInputs: {why}\n");
        }
    }

    /// <summary>Every input ever saved by the fuzzer (and every crafted regression) must keep an allowed outcome.</summary>
    [Test]
    public void RegressionInputsHaveAllowedOutcomes()
    {
        if (!Directory.Exists(RegressionsFolder)) Assert.Ignore("testdata/regressions/ holds no inputs yet");
        var files = Directory.GetFiles(RegressionsFolder, "*.gz").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) Assert.Ignore("testdata/regressions/ holds no inputs yet");
        var oracle = new Oracle();
        var fileSystemOracle = new Oracle { FileSystemWalk = true }; // "isofs-*" inputs came from the ISO file-system walk
        var problems = new List<string>();
        foreach (string gz in files)
        {
            string path = TestPaths.Gunzip(gz);
            string sniff = path + ".sniff.bin";
            if (!File.Exists(sniff)) File.CreateSymbolicLink(sniff, path);
            string? problem = null;
            var worker = new Thread(() =>
            {
                var rng = new Prng(FuzzRunner.NameHash(gz));
                try { problem = (Path.GetFileName(gz).StartsWith("isofs-", StringComparison.Ordinal) ? fileSystemOracle : oracle).Check(path, sniff, ref rng); }
                catch (Exception e) { problem = e.ToString(); }
            }, 16 * 1024 * 1024) { IsBackground = true };
            worker.Start();
            if (!worker.Join(TimeSpan.FromSeconds(60))) problem = "hang: no outcome within 60 s";
            if (problem is not null) problems.Add($"{Path.GetFileName(gz)}: {problem}");
        }
        Assert.That(problems, Is.Empty, () => string.Join("\n\n", problems));
    }
}
