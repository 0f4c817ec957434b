using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk repair</c>: <see cref="VirtualDiskOperations.TryRepair"/> (docs/operations.md "repair").</summary>
internal static class RepairCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("repair", "replay a pending VHDX log; restore a VHD footer from its copy (or the copy from the footer)",
            "Repairs what the open path otherwise works around on every open: a VHDX's pending log is replayed into the file; a "
            + "VHD's damaged or missing trailing footer is restored from the copy at offset 0, a damaged or stale copy from the "
            + "trailing footer, a 511-byte footer completed. Prints each change, or 'nothing to repair'. Refuses (exit 1) when "
            + "the footers disagree about size, type or identity, since either choice could lose data. --dry-run only says what would change.",
            "0 repaired or nothing to repair, 1 the repair was refused or failed (the image is as it was, or opens the same)");
        var path = new Argument<string>("IMAGE") { Description = "the image (opened exclusively when it is changed)" };
        var dryRun = Values.Switch("--dry-run", "say what would change; write nothing");
        command.Add(path);
        command.Add(dryRun);
        command.SetAction(r =>
        {
            string p = r.GetValue(path)!;
            bool dry = r.GetValue(dryRun);
            if (!VirtualDiskOperations.TryRepair(p, dry, out var result, out var failure)) return OperationOutput.Fail(p, failure!);
            if (!result!.Repaired) Console.Out.WriteLine($"{result.Path}: nothing to repair");
            foreach (var c in result.Changes)
                Console.Out.WriteLine($"{result.Path}: {(dry ? "would: " : "")}{c.Description}{(c.FileOffset is long o ? string.Create(Text.Inv, $" (at byte offset {o})") : "")}");
            return Program.ExitOk;
        });
        return command;
    }
}
