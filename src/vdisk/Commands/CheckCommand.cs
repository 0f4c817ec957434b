using VirtualDiskManaged.Cli.Check;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary>What a check run was asked to do (echoed in the JSON report).</summary>
internal sealed record CheckSettings(OpenRuleSet Rules, string? Profile, bool Deep, bool Strict, bool Hash);

/// <summary><c>vdisk check</c>: validate many images for CI.</summary>
internal static class CheckCommand
{
    private const string Help = """
        Usage: vdisk check PATH... [options]

        Opens each image read-only through the library, exactly as Windows' OpenVirtualDisk would (parents
        resolved), and reports per image: ok or failed, the Win32 code (decimal, hex, name), the reason, the
        message, the file of the chain at fault, and warnings. Folders are walked for .vhd .vhdx .avhd .avhdx .iso
        (and the same with .gz); X.gz files are expanded to a private temp folder and reported under their .gz path.

        Options:
          --recursive           walk folders recursively (the default)
          --no-recursive        only the files directly in each folder
          --deep                also read every byte and verify every allocated block's metadata
          --hash                with --deep, also report the SHA-256 of the whole virtual content
          --profile NAME        target-platform rules: azure, hyperv-gen2, iso
          --rules R             documented (default) or current
          --strict              warnings fail the open
          --format F            text (default), json (schemaVersion 1, see check-result.schema.json) or junit
          -o, --output FILE     write the report to FILE (the summary line still goes to stdout)
          -j, --jobs N          images checked in parallel (default: processor count)

        Exit status: 0 all passed, 1 any failed, 2 usage error, 3 internal error (a bug; reported with
        "code": null and "internalError").
        """;

    public static int Run(string[] args)
    {
        var a = ParsedArgs.Parse(args, ["profile", "rules", "format", "output", "jobs"], ["recursive", "no-recursive", "deep", "hash", "strict"]);
        if (Program.ShowHelp(a, Help)) return Program.ExitOk;
        if (a.Positionals.Count == 0) throw new UsageException("missing PATH (an image file or a folder)");
        if (a.Has("recursive") && a.Has("no-recursive")) throw new UsageException("--recursive and --no-recursive contradict each other");
        string? profile = a.Value("profile")?.ToLowerInvariant();
        if (profile is not null && !Profiles.Names.Contains(profile))
            throw new UsageException($"--profile takes {string.Join(", ", Profiles.Names)}, not '{a.Value("profile")}'");
        string format = (a.Value("format") ?? "text").ToLowerInvariant();
        if (format is not ("text" or "json" or "junit")) throw new UsageException($"--format takes text, json or junit, not '{a.Value("format")}'");
        int jobs = (int)(a.Int64("jobs", 1, 1024) ?? Environment.ProcessorCount);
        string? output = a.Value("output");
        if (a.Has("hash") && !a.Has("deep")) throw new UsageException("--hash needs --deep");
        var settings = new CheckSettings(OpenArguments.ParseRules(a.Value("rules")), profile, a.Has("deep"), a.Has("strict"), a.Has("hash"));

        var images = ImageWalker.Expand(a.Positionals, recursive: !a.Has("no-recursive"));
        if (images.Count == 0) throw new UsageException($"no images found in {string.Join(", ", a.Positionals)}");

        Stream? file = null;
        if (output is not null)
        {
            try
            {
                file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.Read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new UsageException($"cannot write --output {output}: {e.Message}");
            }
        }
        using (file)
        {
            TextWriter? streamText = format == "text" ? (file is null ? Console.Out : new StreamWriter(file, leaveOpen: true)) : null;
            var results = Run(images, settings, jobs, streamText);
            var summary = Summary.Of(results);
            if (format == "text")
            {
                streamText!.WriteLine(summary.ToString());
                streamText.Flush();
                if (file is not null)
                {
                    streamText.Dispose();
                    Console.Out.WriteLine(summary.ToString());
                }
            }
            else
            {
                Stream target = file ?? Console.OpenStandardOutput();
                if (format == "json") JsonReport.Write(target, results, settings);
                else JUnitReport.Write(target, results, settings);
                target.Flush();
                if (file is not null) Console.Out.WriteLine(summary.ToString());
                else Console.Error.WriteLine(summary.ToString());
            }
            return summary.Errors > 0 ? Program.ExitInternal : summary.Failed > 0 ? Program.ExitFailed : Program.ExitOk;
        }
    }

    /// <summary>
    /// Checks every image with up to <paramref name="jobs"/> at once; results come back in input order, and
    /// when <paramref name="text"/> is given each is written as soon as all before it are done.
    /// </summary>
    private static CheckResult[] Run(List<string> images, CheckSettings settings, int jobs, TextWriter? text)
    {
        var options = VirtualDiskOpenOptions.ForValidation with { Rules = settings.Rules, Strict = settings.Strict };
        var results = new CheckResult[images.Count];
        var gate = new object();
        int next = 0;
        using var progress = settings.Deep && ProgressBar.Wanted ? new ProgressBar(images.Count, gate) : null;
        var checker = new ImageChecker(options, settings.Profile, settings.Deep, settings.Hash, progress is null ? null : progress.AddBytes);
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = jobs }, i =>
        {
            var r = checker.Check(images[i]);
            progress?.ImageDone();
            lock (gate)
            {
                results[i] = r;
                if (text is null) return;
                progress?.Clear();
                while (next < results.Length && results[next] is { } ready)
                {
                    TextReport.Write(text, ready);
                    next++;
                }
                text.Flush();
            }
        });
        return results;
    }
}
