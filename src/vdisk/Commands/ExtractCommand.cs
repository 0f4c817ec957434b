using System.CommandLine;
using VirtualDiskManaged.Cli.Check;
using VirtualDiskManaged.Cli.CommandLine;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Extraction;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk extract</c>: files and directories of an ISO or UDF image to a folder (the library's FileSystemExtractor).</summary>
internal static class ExtractCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("extract", "extract files from an ISO 9660 or UDF image to a folder",
            "Writes the entries at PATH... (default: the whole tree) inside the image to --output DIR under their full "
            + "paths: files, directories, symbolic links as links where the OS allows, modification times kept. A name "
            + "that would leave DIR ('..', '.', an absolute path, NUL, a separator inside a name, and on Windows the "
            + "names and characters it reserves) is refused and reported; a symbolic link is never followed while "
            + "writing (every folder written into is checked to be a real directory); each file is written under a temp "
            + "name beside its final one and renamed, so no half-written file ever stands at a final name. Files already "
            + "in DIR are kept (reported) unless --overwrite. A progress bar is drawn on a terminal.",
            "0 everything asked for was extracted, 1 something could not be (each listed on stderr with its reason) or "
            + "the image could not be read");
        var image = new Argument<string>("IMAGE") { Description = "the image (X.gz is expanded first)" };
        var paths = new Argument<string[]>("PATH") { Description = "entries inside the image (default: everything)", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string>("--output", "-o") { HelpName = "DIR", Description = "the folder to extract into (created when missing)", Required = true };
        var fs = FileSystemInput.FsOption();
        var overwrite = Values.Switch("--overwrite", "replace files and links already in DIR (never a directory)");
        var noTimes = Values.Switch("--no-times", "do not set modification times");
        var jobs = Values.Number("--jobs", "N", "files written at once (default: processor count, at most 8)", 1, 64, "-j");
        command.Add(image);
        command.Add(paths);
        foreach (var o in new Option[] { output, fs, overwrite, noTimes, jobs }) command.Add(o);
        command.SetAction(r => Run(r.GetValue(image)!, r.GetValue(output)!, r.GetValue(fs), r.GetValue(paths) ?? [],
            r.GetValue(overwrite), !r.GetValue(noTimes), (int?)r.GetValue(jobs)));
        return command;
    }

    private static int Run(string image, string output, string? fs, string[] paths, bool overwrite, bool times, int? jobs) =>
        FileSystemInput.With(image, fs, (input, reader) =>
        {
            using var bar = ProgressBar.Wanted ? new ExtractProgressBar(Totals(reader, paths)) : null;
            var options = new FileSystemExtractionOptions
            {
                Paths = paths.Length == 0 ? null : paths,
                Overwrite = overwrite,
                PreserveTimes = times,
                MaxParallelism = jobs ?? new FileSystemExtractionOptions().MaxParallelism,
                Progress = bar,
            };
            FileSystemExtractionResult result;
            try
            {
                result = FileSystemExtractor.Extract(reader, output, options);
            }
            finally
            {
                bar?.Dispose();
            }
            foreach (var w in result.Warnings) Console.Error.WriteLine(FileSystemInput.ProblemLine(input, w).Replace("vdisk: ", "vdisk: warning: ", StringComparison.Ordinal));
            foreach (var f in result.Failures) Console.Error.WriteLine(FileSystemInput.ProblemLine(input, f).Replace("vdisk: ", "vdisk: not extracted: ", StringComparison.Ordinal));
            Console.Out.WriteLine($"{input.DisplayPath}: extracted {Text.Count(result.FilesExtracted, "file")}, {Text.Count(result.DirectoriesCreated, "directory", "directories")}, "
                + $"{Text.Count(result.SymbolicLinksCreated, "symbolic link")} ({Text.Size(result.BytesWritten)}) to {output}"
                + (result.Failures.Count > 0 ? $"; {Text.Count(result.Failures.Count, "entry", "entries")} not extracted" : ""));
            return result.Succeeded ? Program.ExitOk : Program.ExitFailed;
        });

    /// <summary>Entries and bytes to come, for the bar (a listing pass: cheap next to writing); null when the walk fails.</summary>
    private static (long Entries, long Bytes)? Totals(FileSystemReader reader, string[] paths)
    {
        long entries = 0, bytes = 0;
        try
        {
            foreach (string p in paths.Length == 0 ? ["/"] : paths)
            {
                if (!reader.TryGetEntry(p.StartsWith('/') ? p : "/" + p, out var e, out _)) continue;
                if (p.Trim('/').Length > 0) { entries++; bytes += e!.Kind == FileSystemEntryKind.File ? e.Length : 0; }
                if (!e!.IsDirectory) continue;
                foreach (var c in reader.EnumerateTree(e.Path))
                {
                    entries++;
                    if (c.Kind == FileSystemEntryKind.File) bytes += c.Length;
                }
            }
            return (entries, bytes);
        }
        catch (VirtualDiskException)
        {
            return null;
        }
    }

    /// <summary>One line on stderr, redrawn four times a second: entries done of all, MiB written.</summary>
    private sealed class ExtractProgressBar : IProgress<FileSystemExtractionProgress>, IDisposable
    {
        private readonly (long Entries, long Bytes)? _totals;
        private readonly Timer _timer;
        private readonly Lock _gate = new();
        private FileSystemExtractionProgress _last;
        private bool _drawn, _stopped;

        public ExtractProgressBar((long Entries, long Bytes)? totals)
        {
            _totals = totals;
            _timer = new Timer(_ => Draw(), null, 250, 250);
        }

        public void Report(FileSystemExtractionProgress value)
        {
            lock (_gate) _last = value;
        }

        private void Draw()
        {
            lock (_gate)
            {
                if (_stopped) return;
                const int width = 30;
                string line;
                if (_totals is { } t && t.Bytes + t.Entries > 0)
                {
                    double done = t.Bytes > 0 ? (double)_last.BytesWritten / t.Bytes : (double)_last.EntriesDone / t.Entries;
                    int filled = (int)Math.Clamp(done * width, 0, width);
                    line = $"[{new string('#', filled)}{new string('.', width - filled)}] {_last.EntriesDone:N0}/{t.Entries:N0} entries, {_last.BytesWritten / (1 << 20):N0}/{t.Bytes / (1 << 20):N0} MiB";
                }
                else line = $"{_last.EntriesDone:N0} entries, {_last.BytesWritten / (1 << 20):N0} MiB";
                Terminal.RawError.Write("\r\x1b[K" + line);
                _drawn = true;
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _stopped = true;
                if (_drawn) Terminal.RawError.Write("\r\x1b[K");
            }
            _timer.Dispose();
        }
    }
}
