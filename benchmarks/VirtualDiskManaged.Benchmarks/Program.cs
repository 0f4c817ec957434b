using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using VirtualDiskManaged.Benchmarks.Support;

namespace VirtualDiskManaged.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 1 && args[0] == "--probe")
        {
            Probe.Run(args);
            return;
        }
        if (args.Length == 4 && args[0] == "--make-udf")
        {
            MakeUdf(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
            return;
        }
        IConfig config = DefaultConfig.Instance.AddFilter(new SimpleFilter(IsMeaningful));
        // Unless a job is named on the command line (--job short, ...): one launch, enough iterations for stable
        // ratios, and the whole suite in well under half an hour on a 2-core machine.
        if (!args.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal)))
            config = config.AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(4).WithIterationCount(12)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150)).AsDefault());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }

    /// <summary>
    /// A UDF image of <paramref name="files"/> small files in <paramref name="directories"/> folders, written by the
    /// tests' spec-based writer (for fs-vs-bsdtar.sh when udfclient is too slow to fill one: UDF_MAKER=writer).
    /// </summary>
    private static void MakeUdf(string path, int files, int directories)
    {
        var writer = new VirtualDiskManaged.Tests.Udf.UdfTestWriter { Label = "UDFBENCH" };
        int per = Math.Max(1, files / Math.Max(1, directories));
        for (int d = 0; d < directories; d++)
        {
            string folder = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/bench/dir-{d:D4}");
            writer.Directory(folder);
            for (int f = 0; f < per; f++)
                writer.File(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{folder}/file-{f:D5}.txt"),
                    System.Text.Encoding.ASCII.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"directory {d} file {f}\n")));
        }
        File.WriteAllBytes(path, writer.Build());
    }

    /// <summary>Drops combinations that measure nothing: libvhdi where it is not installed or for ISO, ISO at the large size; the 16 MiB size except for dynamic and differencing VHDX.</summary>
    private static bool IsMeaningful(BenchmarkDotNet.Running.BenchmarkCase benchmark)
    {
        var kind = benchmark.Parameters.Items.FirstOrDefault(p => p.Name == "Kind")?.Value as ImageKind?;
        var size = benchmark.Parameters.Items.FirstOrDefault(p => p.Name == "Size")?.Value as SizeClass?;
        if (kind == ImageKind.Iso && size == SizeClass.Large) return false;
        if (size == SizeClass.Tiny && kind is not (ImageKind.VhdxDynamic or ImageKind.VhdxDifferencing)) return false;
        // VDM_BENCH_KINDS=Iso,VhdDynamic limits a trial run to some kinds.
        string? only = Environment.GetEnvironmentVariable("VDM_BENCH_KINDS");
        if (kind is not null && !string.IsNullOrEmpty(only) && !only.Split(',').Contains(kind.Value.ToString())) return false;
        if (benchmark.Descriptor.WorkloadMethod.Name == nameof(OpenBenchmarks.Libvhdi))
            return kind != ImageKind.Iso && LibVhdi.IsAvailable;
        return true;
    }
}
