using System.CommandLine;
using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk resize</c>: <see cref="VirtualDiskOperations.TryResize(string, long, ResizeOptions, out ResizeResult?, out VirtualDiskDiagnostic?)"/> (ResizeVirtualDisk; docs/operations.md "resize").</summary>
internal static class ResizeCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("resize", "grow a VHD or VHDX, or shrink a VHDX down to the end of its last partition",
            "Changes the virtual size as ResizeVirtualDisk does. VHD and VHDX (fixed and dynamic) grow; the new space reads as "
            + "zeros. Only a VHDX shrinks, and only down to the smallest safe virtual size (the end of the last partition, shown by "
            + "'vdisk info') unless --allow-unsafe is given; --to-smallest shrinks to exactly that size; blocks past the new size are freed and the file truncated when they "
            + "are at its end. Differencing disks are refused. Every step is ordered (VHDX: through the log) so a crash leaves "
            + "the old or the new size. Sizes take K, M, G or T suffixes (powers of 1024).",
            "0 resized (or already that size), 1 refused or failed");
        var path = new Argument<string>("IMAGE") { Description = "the image (opened exclusively)" };
        var size = new Option<string?>("--size") { HelpName = "SIZE", Description = "the new virtual size, e.g. 128G" };
        var smallest = Values.Switch("--to-smallest", "shrink a VHDX to the end of its last partition (RESIZE_VIRTUAL_DISK_FLAG_RESIZE_TO_SMALLEST_SAFE_VIRTUAL_SIZE)");
        var unsafeShrink = Values.Switch("--allow-unsafe", "shrink below the end of the last partition (RESIZE_VIRTUAL_DISK_FLAG_ALLOW_UNSAFE_VIRTUAL_SIZE)");
        var json = Values.Switch("--json", "print the result as one JSON object");
        command.Add(path);
        command.Add(size);
        command.Add(smallest);
        command.Add(unsafeShrink);
        command.Add(json);
        command.SetAction(r =>
        {
            string? text = r.GetValue(size);
            bool toSmallest = r.GetValue(smallest);
            if ((text is null) == !toSmallest) throw new UsageException("give either --size SIZE or --to-smallest");
            long bytes = 0;
            if (text is not null && !CreateCommand.TryParseSize(text, out bytes)) throw new UsageException($"option '--size' takes a size such as 64M, 2G or 1T, not '{text}'");
            string image = r.GetValue(path)!;
            bool asJson = r.GetValue(json);
            var options = new ResizeOptions { AllowUnsafeShrink = r.GetValue(unsafeShrink), ToSmallestSafeVirtualSize = toSmallest };
            bool ok = VirtualDiskOperations.TryResize(image, bytes, options, out var result, out var failure);
            if (asJson) WriteJson(image, result, failure);
            if (!ok) return OperationOutput.Fail(image, failure!);
            if (!asJson) foreach (string c in result!.Changes) Console.Out.WriteLine($"{result.Path}: {c}");
            return Program.ExitOk;
        });
        return command;
    }

    /// <summary>{ path, ok, format, subtype, oldVirtualSize, newVirtualSize, oldFileLength, newFileLength, unreferencedBytes, changes[], error }.</summary>
    private static void WriteJson(string image, ResizeResult? result, VirtualDiskDiagnostic? failure) => OperationJson.Write(w =>
    {
        w.WriteString("path", result?.Path ?? image);
        w.WriteBoolean("ok", result is not null);
        if (result is not null)
        {
            w.WriteString("format", Text.FormatName(result.Format));
            w.WriteString("subtype", Text.SubtypeName(result.Subtype));
            w.WriteNumber("oldVirtualSize", result.OldVirtualSize);
            w.WriteNumber("newVirtualSize", result.NewVirtualSize);
            w.WriteNumber("oldFileLength", result.OldFileLength);
            w.WriteNumber("newFileLength", result.NewFileLength);
            w.WriteNumber("unreferencedBytes", result.UnreferencedBytes);
            w.WriteStartArray("changes");
            foreach (string c in result.Changes) w.WriteStringValue(c);
            w.WriteEndArray();
        }
        if (failure is not null)
        {
            w.WritePropertyName("error"); // resize's documented member (docs/operations.md), where the others say "failure"
            Text.WriteDiagnostic(w, failure, p => p);
        }
    });
}
