using System.CommandLine;
using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk set-parent</c>: <see cref="VirtualDiskOperations.TrySetParent"/> (SetVirtualDiskInformation PARENT_PATH; docs/operations.md "set-parent").</summary>
internal static class SetParentCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("set-parent", "re-point a differencing disk at its moved or renamed parent",
            "Rewrites CHILD's parent locators (VHD: W2ku absolute and W2ru relative, and the parent name; VHDX: the parent "
            + "locator's relative_path and absolute_win32_path) to name PATH. PATH must open and be CHILD's parent: its identifier "
            + "(VHD footer unique id, VHDX DataWriteGuid) must be the one CHILD records, unless --ignore-id-mismatch, which also "
            + "records PATH's identifier in CHILD. --depth N re-points the file at depth N of CHILD's chain instead (PARENT_PATH_WITH_DEPTH). Crash-safe: an interrupted set-parent leaves the old or the new locators.",
            "0 re-pointed, 1 refused or failed");
        var child = new Argument<string>("CHILD") { Description = "the differencing disk (opened exclusively, without its parents)" };
        var parent = new Option<string>("--parent") { HelpName = "PATH", Description = "the parent's new path", Required = true };
        var ignore = Values.Switch("--ignore-id-mismatch", "accept a parent with another identifier and record its identifier in CHILD");
        var depth = new Option<int?>("--depth") { HelpName = "N", Description = "re-point the file at depth N of CHILD's chain (1 = CHILD, the default; 2 = its parent, ...)" };
        var json = Values.Switch("--json", "print the result as a JSON object");
        command.Add(child);
        command.Add(depth);
        command.Add(parent);
        command.Add(ignore);
        command.Add(json);
        command.SetAction(r =>
        {
            string c = r.GetValue(child)!;
            string p = r.GetValue(parent)!;
            bool asJson = r.GetValue(json);
            int childDepth = r.GetValue(depth) ?? 1;
            if (childDepth < 1) throw new UsageException($"option '--depth' takes 1 or more, not {childDepth}");
            var options = new SetParentOptions { IgnoreIdMismatch = r.GetValue(ignore), ChildDepth = childDepth };
            if (!VirtualDiskOperations.TrySetParent(c, p, options, out var result, out var failure))
            {
                if (asJson) OperationJson.WriteFailure(c, failure!);
                return OperationOutput.Fail(c, failure!);
            }
            if (asJson)
            {
                OperationJson.Write(w =>
                {
                    w.WriteString("path", result!.ChildPath);
                    w.WriteBoolean("ok", true);
                    w.WriteString("parent", result.ParentPath);
                    w.WriteString("relativePath", result.RelativePath);
                    w.WriteString("absolutePath", result.AbsolutePath);
                    w.WriteString("parentIdentifier", Text.Guid(result.ParentIdentifier));
                    w.WriteBoolean("identifierUpdated", result.IdentifierUpdated);
                    w.WriteStartArray("changes");
                    foreach (string change in result.Changes) w.WriteStringValue(change);
                    w.WriteEndArray();
                });
            }
            else foreach (string change in result!.Changes) Console.Out.WriteLine($"{result.ChildPath}: {change}");
            return Program.ExitOk;
        });
        return command;
    }
}
