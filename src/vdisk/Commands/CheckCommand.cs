using System.CommandLine;
using VirtualDiskManaged.Cli.Check;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary>What a check run was asked to do (echoed in the JSON report).</summary>
internal sealed record CheckSettings(OpenRuleSet Rules, string? Profile, bool Deep, bool Strict, bool Hash, string? Shard = null);

/// <summary><c>vdisk check</c>: validate many images for CI.</summary>
internal static class CheckCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("check", "validate images (files or folders) for CI; text, JSON or JUnit report",
            "Opens each image read-only through the library, exactly as Windows' OpenVirtualDisk would (parents "
            + "resolved), and reports per image: ok or failed, the Win32 code (decimal, hex, name), the reason, the "
            + "message, the file of the chain at fault, and warnings. Folders are walked for .vhd .vhdx .avhd .avhdx .iso "
            + "(and the same with .gz); X.gz files are expanded to a private temp folder and reported under their .gz path.\n"
            + "\n"
            + "Across a CI matrix: each job runs --shard K/N on the same PATHs (a stable share by a hash of each image's "
            + "path relative to the folder given), and a last job merges their reports with --merge-reports.",
            "0 all passed, 1 any failed (a Win32 code, a broken profile rule or an input error); an image that met an internal "
            + "error gives 3 and is reported with \"code\": null and \"internalError\"");
        var paths = new Argument<string[]>("PATH") { Description = "image files or folders", Arity = ArgumentArity.ZeroOrMore };
        var recursive = Values.Switch("--recursive", "walk folders recursively (the default)", "-r");
        var noRecursive = Values.Switch("--no-recursive", "only the files directly in each folder");
        var deep = Values.Switch("--deep", "also read every byte and verify every allocated block's metadata", "-d");
        var hash = Values.Switch("--hash", "with --deep, also report the SHA-256 of the whole virtual content");
        var profile = Values.OneOf("--profile", "NAME", "target-platform rules: azure, hyperv-gen2, iso", Profiles.Names, "-p");
        var rules = OpenOptions.RulesOption();
        var strict = OpenOptions.StrictOption();
        var format = Values.OneOf("--format", "F", "text (default), json (schemaVersion 1, see check-result.schema.json) or junit", ["text", "json", "junit"], "-f");
        var output = new Option<string?>("--output", "-o") { HelpName = "FILE", Description = "write the report to FILE (the summary line still goes to stdout)" };
        var jobs = Values.Number("--jobs", "N", "images checked in parallel (default: processor count)", 1, 1024, "-j");
        var shard = new Option<Shard?>("--shard")
        {
            HelpName = "K/N",
            Description = "check only shard K of N: a stable share chosen by a 64-bit FNV-1a hash of each image's path "
                + "relative to the folder given (every image is in exactly one shard, whatever the walk order)",
            CustomParser = r =>
            {
                if (Check.Shard.TryParse(r.Tokens[0].Value, out var s, out string error)) return s;
                r.AddError(error);
                return null;
            },
        };
        var merge = new Option<string[]>("--merge-reports")
        {
            HelpName = "REPORT",
            Description = "merge JSON or JUnit reports written by vdisk check (e.g. one per shard) into one report in --format; "
                + "no PATH is given then",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        command.Add(paths);
        foreach (var o in new Option[] { recursive, noRecursive, deep, hash, profile, rules, strict, format, output, jobs, shard, merge }) command.Add(o);

        command.SetAction(r =>
        {
            string[] inputs = r.GetValue(paths) ?? [];
            Values.RefuseUnknownOptions(r, inputs);
            string fmt = r.GetValue(format) ?? "text";
            string? outputPath = r.GetValue(output);
            string[] reports = r.GetValue(merge) ?? [];
            if (reports.Length > 0)
            {
                if (inputs.Length > 0) throw new UsageException("--merge-reports takes report files, not images: give no PATH with it");
                foreach (var o in new Option[] { recursive, noRecursive, deep, hash, profile, rules, strict, jobs, shard })
                    if (r.Given(o)) throw new UsageException($"{o.Name} does not apply to --merge-reports (the reports carry their own options)");
                return Merge(reports, fmt, outputPath);
            }
            if (inputs.Length == 0) throw new UsageException("missing PATH (an image file or a folder)");
            if (r.GetValue(recursive) && r.GetValue(noRecursive)) throw new UsageException("--recursive and --no-recursive contradict each other");
            if (r.GetValue(hash) && !r.GetValue(deep)) throw new UsageException("--hash needs --deep");
            var part = r.GetValue(shard);
            var settings = new CheckSettings(OpenOptions.ToRuleSet(r.GetValue(rules)), r.GetValue(profile), r.GetValue(deep), r.GetValue(strict), r.GetValue(hash), part?.ToString());
            var found = ImageWalker.Expand(inputs, recursive: !r.GetValue(noRecursive));
            if (found.Count == 0) throw new UsageException($"no images found in {string.Join(", ", inputs)}");
            var images = part is Shard s ? found.Where(f => s.Contains(f.Key)).Select(f => f.Path).ToList() : found.Select(f => f.Path).ToList();
            return Run(images, settings, (int)(r.GetValue(jobs) ?? Environment.ProcessorCount), fmt, outputPath);
        });
        return command;
    }

    private static int Run(List<string> images, CheckSettings settings, int jobs, string format, string? output)
    {
        using var file = output is null ? null : Output.OpenReport(output);
        TextWriter? streamText = format == "text" ? (file is null ? Console.Out : new StreamWriter(file.Stream, new System.Text.UTF8Encoding(false), 1 << 14, leaveOpen: true)) : null;
        var results = CheckAll(images, settings, jobs, streamText);
        return Finish(results, settings, format, file, streamText);
    }

    /// <summary>Writes the report (all but the streamed text lines), commits the --output file, prints the summary.</summary>
    private static int Finish(IReadOnlyList<CheckResult> results, CheckSettings settings, string format, ReportFile? file, TextWriter? streamText)
    {
        var summary = Summary.Of(results);
        if (format == "text")
        {
            var text = streamText ?? (file is null ? Console.Out : new StreamWriter(file.Stream, new System.Text.UTF8Encoding(false), 1 << 14, leaveOpen: true));
            text.WriteLine(summary.ToString());
            text.Flush();
            if (file is not null)
            {
                text.Dispose();
                file.Commit();
                Console.Out.WriteLine(summary.ToString());
            }
        }
        else
        {
            using (var stdout = file is null ? Output.OpenStdout() : null)
            {
                Stream target = file?.Stream ?? stdout!;
                if (format == "json") JsonReport.Write(target, results, settings);
                else JUnitReport.Write(target, results, settings);
                target.Flush();
            }
            if (file is not null)
            {
                file.Commit();
                Console.Out.WriteLine(summary.ToString());
            }
            else Console.Error.WriteLine(summary.ToString());
        }
        return summary.Errors > 0 ? Program.ExitInternal : summary.Failed > 0 ? Program.ExitFailed : Program.ExitOk;
    }

    /// <summary>--merge-reports: one report of every result in the given reports, sorted by path.</summary>
    private static int Merge(string[] reports, string format, string? output)
    {
        List<CheckResult> results;
        CheckSettings settings;
        try
        {
            (results, settings) = ReportReader.ReadAll(reports);
        }
        catch (InputException e)
        {
            Console.Error.WriteLine("vdisk: " + e.Message);
            return Program.ExitFailed;
        }
        using var file = output is null ? null : Output.OpenReport(output);
        TextWriter? text = null;
        if (format == "text")
        {
            text = file is null ? Console.Out : new StreamWriter(file.Stream, new System.Text.UTF8Encoding(false), 1 << 14, leaveOpen: true);
            foreach (var r in results) TextReport.Write(text, r);
        }
        return Finish(results, settings, format, file, text);
    }

    /// <summary>
    /// Checks every image with up to <paramref name="jobs"/> at once; results come back in input order, and
    /// when <paramref name="text"/> is given each is written as soon as all before it are done.
    /// </summary>
    private static CheckResult[] CheckAll(List<string> images, CheckSettings settings, int jobs, TextWriter? text)
    {
        var options = VirtualDiskOpenOptions.ForValidation with { Rules = settings.Rules, Strict = settings.Strict };
        var results = new CheckResult[images.Count];
        var gate = new object();
        int next = 0;
        using var progress = settings.Deep && ProgressBar.Wanted ? new ProgressBar(images.Count, gate) : null;
        var checker = new ImageChecker(options, settings.Profile, settings.Deep, settings.Hash, progress is null ? null : progress.AddBytes);
        OutputException? failed = null;
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = jobs }, (i, loop) =>
        {
            var r = checker.Check(images[i]);
            progress?.ImageDone();
            lock (gate)
            {
                results[i] = r;
                if (text is null || failed is not null) return;
                progress?.Clear();
                try
                {
                    while (next < results.Length && results[next] is { } ready)
                    {
                        TextReport.Write(text, ready);
                        next++;
                    }
                    text.Flush();
                }
                catch (OutputException e)
                {
                    // The report cannot be written: stop checking, report it once (exit status 4).
                    failed = e;
                    loop.Stop();
                }
            }
        });
        if (failed is not null) throw failed;
        return results;
    }
}
