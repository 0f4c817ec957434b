using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk resize</c>: <see cref="VirtualDiskOperations.TryResize"/> (docs/operations.md "resize"; growing dynamic VHDX only so far).</summary>
internal static class ResizeCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("resize", "grow a dynamic VHDX (other kinds and shrinking: not yet)",
            "Grows a dynamic VHDX whose BAT region has room for the new size by changing its Virtual Disk Size item through the "
            + "log, so a crash leaves the old or the new size; the new space reads as zeros. VHD, fixed VHDX, shrinking and a "
            + "BAT region that must grow are refused (not yet written). Sizes take K, M, G or T suffixes (powers of 1024).",
            "0 resized (or already that size), 1 refused or failed");
        var path = new Argument<string>("IMAGE") { Description = "the image (opened exclusively)" };
        var size = new Option<string>("--size") { HelpName = "SIZE", Description = "the new virtual size, e.g. 128G", Required = true };
        command.Add(path);
        command.Add(size);
        command.SetAction(r =>
        {
            string text = r.GetValue(size)!;
            if (!CreateCommand.TryParseSize(text, out long bytes)) throw new UsageException($"option '--size' takes a size such as 64M, 2G or 1T, not '{text}'");
            string image = r.GetValue(path)!;
            if (!VirtualDiskOperations.TryResize(image, bytes, out var change, out var failure)) return OperationOutput.Fail(image, failure!);
            Console.Out.WriteLine($"{image}: {change}");
            return Program.ExitOk;
        });
        return command;
    }
}
