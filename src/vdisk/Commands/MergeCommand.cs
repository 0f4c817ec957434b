using System.CommandLine;
using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk merge</c>: <see cref="VirtualDiskOperations.TryMerge"/> (docs/operations.md "merge").</summary>
internal static class MergeCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("merge", "write a differencing disk's sectors into its parent (MergeVirtualDisk)",
            "Writes every sector CHILD holds (with --depth N also those of the files between it and the target) into the parent "
            + "N levels up, so that the target reads what CHILD read. CHILD and the files between are not changed; delete them "
            + "afterwards (other children of the target no longer read what they did). The target is written through the "
            + "crash-safe write path; an interrupted merge leaves it openable with each sector old or merged (a VHD merge can "
            + "then be re-run; a VHDX target's new DataWriteGuid no longer matches CHILD's parent link). "
            + "Refused: --depth below 1 or past the last parent, a CHILD that is not differencing, a target another handle or "
            + "process holds (ERROR_SHARING_VIOLATION).",
            "0 merged, 1 refused or failed");
        var path = new Argument<string>("CHILD") { Description = "the differencing disk to merge" };
        var depth = new Option<int>("--depth") { HelpName = "N", Description = "how many parents up the target is (default 1: the parent)", DefaultValueFactory = _ => 1 };
        var json = Values.Switch("--json", "print what was merged (or the failure) as one JSON object");
        command.Add(path);
        command.Add(depth);
        command.Add(json);
        command.SetAction(r =>
        {
            string child = r.GetValue(path)!;
            bool asJson = r.GetValue(json);
            using var bar = asJson ? null : new Bar();
            var options = new MergeOptions { Depth = r.GetValue(depth), Progress = bar };
            bool ok = VirtualDiskOperations.TryMerge(child, options, out var result, out var failure);
            bar?.Dispose();
            if (asJson)
            {
                WriteJson(child, result, failure);
                return ok ? Program.ExitOk : Program.ExitFailed;
            }
            if (!ok) return OperationOutput.Fail(child, failure!);
            Console.Out.WriteLine(string.Create(Text.Inv,
                $"{result!.ChildPath}: merged into {result.TargetPath} (depth {result.Depth}): {Text.Count(result.BytesCopied, "byte")} in {Text.Count(result.Runs, "run")}"
                + $"{(result.ZeroBytes > 0 ? $", {result.ZeroBytes} of them zero runs" : "")}"
                + $"{(result.BytesNotWritten > 0 ? $", {result.BytesNotWritten} zero bytes not written (the target already reads zeros there)" : "")}"));
            foreach (string source in result.SourcePaths) Console.Out.WriteLine($"  merged (unchanged, no longer needed): {source}");
            return Program.ExitOk;
        });
        return command;
    }

    private static void WriteJson(string child, MergeResult? result, VirtualDiskDiagnostic? failure)
    {
        if (result is null)
        {
            OperationJson.WriteFailure(child, failure!);
            return;
        }
        OperationJson.Write(w =>
        {
            w.WriteString("path", result.ChildPath);
            w.WriteBoolean("ok", true);
            w.WriteString("target", result.TargetPath);
            w.WriteNumber("depth", result.Depth);
            w.WriteStartArray("sources");
            foreach (string s in result.SourcePaths) w.WriteStringValue(s);
            w.WriteEndArray();
            w.WriteNumber("runs", result.Runs);
            w.WriteNumber("bytesCopied", result.BytesCopied);
            w.WriteNumber("zeroBytes", result.ZeroBytes);
            w.WriteNumber("bytesNotWritten", result.BytesNotWritten);
        });
    }

    /// <summary>The convert progress bar over merge progress.</summary>
    private sealed class Bar : IProgress<MergeProgress>, IDisposable
    {
        private readonly OperationOutput.Bar _bar = new();

        public void Report(MergeProgress value) => _bar.Report(new ConvertProgress(value.BytesDone, value.BytesTotal));

        public void Dispose() => _bar.Dispose();
    }
}
