using System.Diagnostics;
using VirtualDiskManaged.Cli;
using VirtualDiskManaged.Cli.Gzip;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// Mutants of gzip files (bit flips, random bytes, cuts, appended bytes, repeated slices) either expand or are refused
/// with an <see cref="InputException"/>: no other exception, no hang, no output past the cap.
/// VDM_GZIP_FUZZ_ITERATIONS sets the number of mutants (default 5,000, a few seconds); VDM_FUZZ_SEED the base seed.
/// </summary>
[TestFixture]
[Category("Fuzz")]
public sealed class GzipFuzzTests
{
    private const long Cap = 64L << 20;

    [Test]
    public void MutantsExpandOrAreRefused()
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("VDM_GZIP_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 5000;
        string? seedText = Environment.GetEnvironmentVariable("VDM_FUZZ_SEED");
        int seed = seedText is null ? 0x5eed
            : seedText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Convert.ToInt32(seedText[2..], 16) : int.Parse(seedText, System.Globalization.CultureInfo.InvariantCulture);
        var seeds = Seeds();
        Assert.That(seeds, Is.Not.Empty);
        var rng = new Random(seed);
        int expanded = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            byte[] mutant = Mutate(seeds[rng.Next(seeds.Count)], rng);
            var sink = new CountingSink();
            try
            {
                GzipExpander.Expand(new MemoryStream(mutant, writable: false), sink, Cap, "mutant");
                expanded++;
            }
            catch (InputException)
            {
                refused++;
            }
            catch (Exception e)
            {
                string path = Path.Combine(TestPaths.NewTempFolder("gzip-fuzz"), $"mutant-{seed:x}-{i}.gz");
                File.WriteAllBytes(path, mutant);
                Assert.Fail($"mutant {i} (seed 0x{seed:x}, saved as {path}) threw {e.GetType().FullName}: {e.Message}");
            }
            Assert.That(sink.Length, Is.LessThanOrEqualTo(Cap));
        }
        TestContext.Out.WriteLine($"gzip fuzz: {iterations} mutants, {expanded} expanded, {refused} refused, {clock.Elapsed.TotalSeconds:0.0} s (seed 0x{seed:x})");
        Assert.That(refused, Is.GreaterThan(0));
    }

    /// <summary>
    /// Small seeds made by the gzip tool: text, random and repetitive data at levels 1, 6 and 9 (fixed, dynamic and
    /// stored blocks), one with a file name in the header, and a two-member file; each expands to at most 24 KiB so a
    /// mutant costs little.
    /// </summary>
    private static List<byte[]> Seeds()
    {
        CliImages.RequireTool("gzip");
        string folder = TestPaths.NewTempFolder("gzip-fuzz-seeds");
        var rng = new Random(7);
        var random = new byte[8192];
        rng.NextBytes(random);
        var payloads = new Dictionary<string, byte[]>
        {
            ["text"] = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 600).Select(i => $"line {i} of the seed {i * 7 % 13}\n"))),
            ["random"] = random,
            ["zeros"] = new byte[24576],
            ["tiny"] = "x"u8.ToArray(),
            ["empty"] = [],
        };
        var seeds = new List<byte[]>();
        foreach (var (name, data) in payloads)
        {
            string raw = Path.Combine(folder, name);
            File.WriteAllBytes(raw, data);
            foreach (string level in new[] { "-1", "-6", "-9" })
                seeds.Add(Gzip(raw, level, "-n"));
        }
        seeds.Add(Gzip(Path.Combine(folder, "text"), "-9", "-N"));
        seeds.Add([.. seeds[0], .. seeds[4]]);
        Directory.Delete(folder, true);
        return seeds;
    }

    private static byte[] Gzip(string file, params string[] flags)
    {
        var psi = new ProcessStartInfo("gzip") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string f in flags) psi.ArgumentList.Add(f);
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero);
        return ms.ToArray();
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = new List<byte>(seed);
        int count = 1 + rng.Next(4);
        for (int k = 0; k < count && b.Count > 0; k++)
        {
            switch (rng.Next(6))
            {
                case 0: b[rng.Next(b.Count)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[rng.Next(b.Count)] = (byte)rng.Next(256); break;
                case 2: b.RemoveAt(rng.Next(b.Count)); break;
                case 3: Cut(b, rng); break;
                case 4: for (int j = rng.Next(1, 16); j > 0; j--) b.Add((byte)rng.Next(256)); break;
                default:
                    int at = rng.Next(b.Count), len = Math.Min(rng.Next(1, 256), b.Count - at);
                    b.InsertRange(rng.Next(b.Count), b.GetRange(at, len));
                    break;
            }
        }
        return [.. b];
    }

    private static void Cut(List<byte> b, Random rng)
    {
        int keep = rng.Next(b.Count);
        b.RemoveRange(keep, b.Count - keep);
    }

    private sealed class CountingSink : Stream
    {
        public override long Length => _length;
        private long _length;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
