using System.CommandLine;
using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk compact</c>: <see cref="VirtualDiskOperations.TryCompact"/> (docs/operations.md "compact").</summary>
internal static class CompactCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("compact", "release the all-zero blocks of a dynamic or differencing VHD/VHDX and shrink the file",
            "The file-system-agnostic CompactVirtualDisk: every allocated block is read; all-zero blocks are released (a "
            + "differencing VHD only where the parent reads zeros too; a differencing VHDX block becomes ZERO, never the "
            + "parent's), blocks from the end of the file are moved into the freed places and the file is truncated. The "
            + "content never changes, and a crash at any point leaves an image that opens with the same content. Fixed disks "
            + "are refused. --dry-run only says what would be done. --json prints the result as one object. A progress bar is "
            + "drawn when stderr is a terminal.",
            "0 compacted (or nothing to do), 1 refused or failed (the image still reads the same content)");
        var path = new Argument<string>("IMAGE") { Description = "the image (opened for writing)" };
        var dryRun = Values.Switch("--dry-run", "scan and plan only; write nothing");
        var json = Values.Switch("--json", "the result as a JSON object");
        command.Add(path);
        command.Add(dryRun);
        command.Add(json);
        command.SetAction(r =>
        {
            string image = r.GetValue(path)!;
            bool dry = r.GetValue(dryRun);
            CompactResult? result;
            VirtualDiskDiagnostic? failure;
            using (var bar = new Bar())
            {
                if (!VirtualDiskOperations.TryCompact(image, new CompactOptions { DryRun = dry, Progress = bar }, out result, out failure))
                {
                    bar.Dispose();
                    return OperationOutput.Fail(image, failure!);
                }
            }
            if (r.GetValue(json))
            {
                OperationJson.Write(w =>
                {
                    w.WriteString("path", result!.Path);
                    w.WriteString("format", Text.FormatName(result.Format));
                    w.WriteString("subtype", Text.SubtypeName(result.Subtype));
                    w.WriteBoolean("dryRun", result.DryRun);
                    w.WriteNumber("blocksScanned", result.BlocksScanned);
                    w.WriteNumber("blocksReleased", result.BlocksReleased);
                    w.WriteNumber("blocksMoved", result.BlocksMoved);
                    w.WriteNumber("fileSizeBefore", result.FileSizeBefore);
                    w.WriteNumber("fileSizeAfter", result.FileSizeAfter);
                });
                return Program.ExitOk;
            }
            string would = result!.DryRun ? "would release" : "released";
            Console.Out.WriteLine(string.Create(Text.Inv,
                $"{result.Path}: {would} {result.BlocksReleased} of {result.BlocksScanned} allocated blocks, {(result.DryRun ? "would move" : "moved")} {result.BlocksMoved}; file {result.FileSizeBefore} -> {result.FileSizeAfter} bytes"));
            return Program.ExitOk;
        });
        return command;
    }

    /// <summary>The operations' progress bar over compact progress: the phase (scan, then move) and blocks done.</summary>
    private sealed class Bar : IProgress<CompactProgress>, IDisposable
    {
        private readonly OperationOutput.Bar _bar = new();

        public void Report(CompactProgress value) => _bar.Draw(value.Done, value.Total, _ =>
            string.Create(Text.Inv, $"{(value.Phase == CompactPhase.Scan ? "scan" : "move")} {value.Done} of {value.Total} blocks"));

        public void Dispose() => _bar.Dispose();
    }
}
