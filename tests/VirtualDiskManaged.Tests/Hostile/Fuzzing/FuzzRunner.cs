using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>One image to mutate, with the files that must sit beside it (its parents, for differencing seeds).</summary>
internal sealed record Seed(string Format, string Name, byte[] Bytes, IReadOnlyList<(string Name, byte[] Bytes)> Siblings, string Origin);

/// <summary>A mutant whose outcome was not allowed, saved as a permanent regression input.</summary>
internal sealed record Finding(string Seed, long Iteration, string Mutation, string Problem, string? SavedAs);

/// <summary>What a fuzz run did.</summary>
internal sealed class FuzzReport
{
    public string Format { get; init; } = "";
    public long Mutants { get; set; }
    public long Opens { get; set; }
    public long Successes { get; set; }
    public int Seeds { get; set; }
    public TimeSpan Elapsed { get; set; }
    public List<Finding> Findings { get; } = [];

    /// <summary>Where the time went: mutation + file patching, and each open combination.</summary>
    public string Timing { get; set; } = "";

    public override string ToString() =>
        $"{Format}: {Mutants:N0} mutants from {Seeds} seed(s), {Opens:N0} opens ({Successes:N0} succeeded), {Findings.Count} finding(s) in {Elapsed.TotalSeconds:F1} s" +
        (Mutants > 0 && Elapsed.TotalSeconds > 0 ? $" ({Mutants / Elapsed.TotalSeconds:F0} mutants/s)" : "");
}

/// <summary>
/// Drives the mutation fuzzer: deterministic per (base seed, seed image, iteration); each mutant is written into a
/// tmpfs workspace and judged by the <see cref="Oracle"/> on a worker thread watched for hangs; findings are saved
/// (gzip) into the regressions folder with a text sidecar saying how they were made and what went wrong.
/// </summary>
internal sealed class FuzzRunner
{
    public required string RegressionsFolder { get; init; }
    public ulong BaseSeed { get; init; } = 0x5EED_F022;
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromSeconds(20);
    public long AllocationCap { get; init; } = 64L * 1024 * 1024;
    public int MaxFindings { get; init; } = 10;
    public Action<string>? Progress { get; init; }
    public long ProgressEvery { get; init; } = 10_000;

    // Shared between the worker and the watchdog.
    private long _caseStarted;               // Stopwatch timestamp of the running case, 0 when idle
    private volatile MutantBuffer? _current;
    private volatile string _currentWhat = "";
    private volatile Seed? _currentSeed;
    private long _currentIteration;

    public static ulong NameHash(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in s) { h ^= c; h *= 0x100000001B3UL; }
        return h;
    }

    /// <summary>Mutates the seeds of one format <paramref name="iterations"/> times in all (shared round-robin by blocks).</summary>
    public FuzzReport Run(string format, IReadOnlyList<Seed> seeds, long iterations)
    {
        var report = new FuzzReport { Format = format, Seeds = seeds.Count };
        if (seeds.Count == 0 || iterations <= 0) return report;
        var stopwatch = Stopwatch.StartNew();
        Exception? crashed = null;
        bool hung = false;
        var worker = new Thread(() =>
        {
            try { Work(seeds, iterations, report, stopwatch); }
            catch (Exception e) { crashed = e; }
        }, 16 * 1024 * 1024) { IsBackground = true, Name = "fuzz-" + format };
        worker.Start();
        while (!worker.Join(200))
        {
            long started = Interlocked.Read(ref _caseStarted);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > CaseTimeout)
            {
                // The case hangs: save the mutant as it is now and abandon the (background) worker.
                var m = _current;
                var seed = _currentSeed;
                if (m is not null && seed is not null)
                    lock (report.Findings)
                        report.Findings.Add(Save(seed, Interlocked.Read(ref _currentIteration), _currentWhat, m.ToArray(),
                            $"hang: the case ran longer than {CaseTimeout.TotalSeconds:F0} s"));
                hung = true;
                break;
            }
        }
        report.Elapsed = stopwatch.Elapsed;
        if (crashed is not null && !hung) throw new InvalidOperationException("The fuzzer itself failed", crashed);
        return report;
    }

    private void Work(IReadOnlyList<Seed> seeds, long iterations, FuzzReport report, Stopwatch stopwatch)
    {
        var oracle = new Oracle { AllocationCap = AllocationCap, FileSystemWalk = seeds.Count > 0 && seeds[0].Format == "isofs" };
        var donors = seeds.Select(s => s.Bytes).ToList();
        var signatures = new Dictionary<string, int>();
        long done = 0, patchTicks = 0;
        for (int s = 0; s < seeds.Count; s++)
        {
            var seed = seeds[s];
            long share = iterations / seeds.Count + (s < iterations % seeds.Count ? 1 : 0);
            if (share == 0) continue;
            var map = FieldMap.Build(seed.Bytes);
            using var workspace = new FuzzWorkspace(seed.Format);
            foreach (var (name, bytes) in seed.Siblings) workspace.Put(name, bytes);
            workspace.Put(seed.Name, seed.Bytes);
            var buffer = new MutantBuffer(seed.Bytes);
            workspace.Select(seed.Name, buffer);
            _currentSeed = seed;
            _current = buffer;
            ulong seedHash = NameHash(seed.Name);
            for (long i = 0; i < share; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var rng = new Prng(Prng.Mix(BaseSeed ^ seedHash, (ulong)i));
                string what = Mutator.Mutate(buffer, map, ref rng, donors);
                _currentWhat = what;
                Interlocked.Exchange(ref _currentIteration, i);
                workspace.Commit();
                patchTicks += Stopwatch.GetTimestamp() - t0;
                long opensBefore = oracle.Successes + oracle.Failures;
                Interlocked.Exchange(ref _caseStarted, Stopwatch.GetTimestamp());
                string? problem = oracle.Check(workspace.MutantPath, workspace.SniffPath, ref rng);
                Interlocked.Exchange(ref _caseStarted, 0);
                lock (report.Findings)
                {
                    report.Mutants++;
                    report.Opens += oracle.Successes + oracle.Failures - opensBefore;
                }
                if (problem is not null)
                {
                    string signature = problem.Split('\n')[0];
                    signature = signature.Length > 120 ? signature[..120] : signature;
                    int seen = signatures.GetValueOrDefault(signature);
                    signatures[signature] = seen + 1;
                    if (seen < 2)
                        lock (report.Findings) report.Findings.Add(Save(seed, i, what, buffer.ToArray(), problem));
                    if (report.Findings.Count >= MaxFindings) { workspace.Revert(); return; }
                }
                long t1 = Stopwatch.GetTimestamp();
                workspace.Revert();
                patchTicks += Stopwatch.GetTimestamp() - t1;
                done++;
                if (Progress is not null && done % ProgressEvery == 0)
                    Progress($"{seed.Format}: {done:N0}/{iterations:N0} mutants, {report.Findings.Count} finding(s), {done / stopwatch.Elapsed.TotalSeconds:F0}/s");
            }
            report.Successes = oracle.Successes;
        }
        report.Successes = oracle.Successes;
        double f = 1000.0 / Stopwatch.Frequency / Math.Max(1, report.Mutants);
        report.Timing = $"ms/mutant: mutate+patch {patchTicks * f:F2}; " + string.Join("; ", oracle.Names.Select((n, i) => $"{n} {oracle.ComboTicks[i] * f:F2}"));
    }

    private Finding Save(Seed seed, long iteration, string what, byte[] mutant, string problem)
    {
        string? saved = null;
        try
        {
            Directory.CreateDirectory(RegressionsFolder);
            string ext = Path.GetExtension(seed.Name);
            string stem = $"{seed.Format}-{Path.GetFileNameWithoutExtension(seed.Name)}-{BaseSeed:x}-{iteration}";
            saved = Path.Combine(RegressionsFolder, stem + ext + ".gz");
            using (var gz = new GZipStream(File.Create(saved), CompressionLevel.SmallestSize))
                gz.Write(mutant);
            var sidecar = new StringBuilder()
                .AppendLine($"seed image: {seed.Origin} ({seed.Name})")
                .AppendLine($"base seed: 0x{BaseSeed:x}, iteration {iteration}")
                .AppendLine($"mutation: {what}")
                .AppendLine("problem:")
                .AppendLine(problem);
            File.WriteAllText(Path.Combine(RegressionsFolder, stem + ext + ".txt"), sidecar.ToString());
        }
        catch (IOException) { }
        return new Finding(seed.Name, iteration, what, problem, saved);
    }
}
