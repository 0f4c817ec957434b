using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk set</c>: <see cref="VirtualDiskOperations.TrySet"/> (SetVirtualDiskInformation; docs/operations.md "set").</summary>
internal static class SetCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("set", "change an image's identifier, virtual disk id or physical sector size",
            "Changes what SetVirtualDiskInformation changes: --identifier (VHD: the footer's unique id, both copies; VHDX: the "
            + "header's DataWriteGuid), --virtual-disk-id (VHDX Virtual Disk ID item) and --physical-sector-size (VHDX: 512 or "
            + "4096). VHDX metadata is changed through the log, so a crash leaves the old or the new value. A differencing child "
            + "records its parent's identifier: changing a parent's identifier breaks its children's link.",
            "0 changed, 1 refused or failed");
        var path = new Argument<string>("IMAGE") { Description = "the image (opened exclusively)" };
        var identifier = new Option<string?>("--identifier") { HelpName = "GUID", Description = "the new identifier" };
        var virtualDiskId = new Option<string?>("--virtual-disk-id") { HelpName = "GUID", Description = "the new VHDX virtual disk id" };
        var physical = Values.OneOf("--physical-sector-size", "N", "512 or 4096 (VHDX)", ["512", "4096"]);
        command.Add(path);
        foreach (var o in new Option[] { identifier, virtualDiskId, physical }) command.Add(o);
        command.SetAction(r =>
        {
            static Guid? G(string? text, string name)
            {
                if (text is null) return null;
                if (Guid.TryParse(text, out var g)) return g;
                throw new UsageException($"option '{name}' takes a GUID, not '{text}'");
            }
            var options = new SetOptions
            {
                Identifier = G(r.GetValue(identifier), "--identifier"),
                VirtualDiskId = G(r.GetValue(virtualDiskId), "--virtual-disk-id"),
                PhysicalSectorSize = r.GetValue(physical) is { } p ? int.Parse(p, Text.Inv) : null,
            };
            if (options.Identifier is null && options.VirtualDiskId is null && options.PhysicalSectorSize is null)
                throw new UsageException("say what to change: --identifier, --virtual-disk-id or --physical-sector-size");
            string image = r.GetValue(path)!;
            if (!VirtualDiskOperations.TrySet(image, options, out var changes, out var failure)) return OperationOutput.Fail(image, failure!);
            foreach (string c in changes!) Console.Out.WriteLine($"{image}: {c}");
            return Program.ExitOk;
        });
        return command;
    }
}
