using System.Text.Json;
using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk open</c>: one OpenVirtualDisk call with explicit arguments; prints the Win32 code and why.</summary>
internal static class OpenCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("open", "one OpenVirtualDisk call with explicit arguments; prints the Win32 code",
            "Calls OpenVirtualDisk(type, PATH, access, flags, parameters) once, offline, and prints the Win32 code "
            + "(decimal, hex and winerror.h name), the precise reason, the message and the file of the chain at fault.",
            "0 the open succeeded, 1 it failed or the input could not be read");
        var path = new Argument<string>("PATH") { Description = "the image (X.gz is expanded first)" };
        var json = Values.Switch("--json", "one JSON object: {\"code\", \"name\", \"hex\", \"reason\", \"message\", \"file\"}\n"
            + "(plus \"format\", \"subtype\", \"virtualSize\" and \"warnings\" on success)");
        var open = new OpenOptions();
        command.Add(path);
        command.Add(json);
        open.AddTo(command);
        command.SetAction(r => Run(r.GetValue(path)!, open.Bind(r), r.GetValue(json)));
        return command;
    }

    private static int Run(string path, OpenArguments open, bool json)
    {
        if (!ImageInput.TryPrepareForCommand(path, json, out var input)) return Program.ExitFailed;
        using (input)
        {
            VirtualDiskHandle? handle = null;
            try
            {
                bool ok = input.TryOpen(open.ToOptions(), out handle, out var failure);
                Print(input, ok ? null : failure, handle, json);
                return ok ? Program.ExitOk : Program.ExitFailed;
            }
            catch (Exception e) when (e is not VirtualDiskException and not OutputException)
            {
                return InternalError(e);
            }
            finally
            {
                handle?.Dispose();
            }
        }
    }

    internal static int InternalError(Exception e) => Program.InternalError(e);

    private static void Print(ImageInput input, VirtualDiskDiagnostic? failure, VirtualDiskHandle? handle, bool json)
    {
        uint code = failure?.ErrorCode ?? 0;
        string message = failure is null ? VirtualDiskErrors.DescriptionOf(VirtualDiskError.Success) : input.MapPath(Text.Message(failure))!;
        string file = failure is null ? input.DisplayPath : input.MapPath(failure.Root.FilePath ?? failure.FilePath) ?? input.DisplayPath;
        if (json)
        {
            using var stdout = Output.OpenStdout();
            using (var w = new Utf8JsonWriter(stdout, Text.JsonOptions))
            {
                w.WriteStartObject();
                w.WriteNumber("code", code);
                w.WriteString("name", Text.Symbol(code));
                w.WriteString("hex", Text.Hex(code));
                w.StringOrNull("reason", failure?.Reason.ToString());
                w.WriteString("message", message);
                w.WriteString("file", file);
                if (handle is not null)
                {
                    w.WriteString("format", Text.FormatName(handle.Format));
                    w.WriteString("subtype", Text.SubtypeName(handle.Subtype));
                    w.WriteNumber("virtualSize", handle.VirtualSize);
                    w.WriteStartArray("warnings");
                    foreach (var d in handle.Warnings) Text.WriteDiagnostic(w, d, input.MapPath);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            stdout.WriteByte((byte)'\n');
            return;
        }
        var o = Console.Out;
        o.WriteLine($"code:    {Text.Code(code)}");
        if (failure is not null) o.WriteLine($"reason:  {failure.Reason}");
        o.WriteLine($"message: {message}");
        o.WriteLine($"file:    {file}");
        if (handle is not null)
        {
            o.WriteLine($"format:  {Text.FormatName(handle.Format)}{(handle.Format == VirtualDiskFormat.Iso ? "" : " " + Text.SubtypeName(handle.Subtype))}");
            o.WriteLine($"size:    {Text.Size(handle.VirtualSize)}");
            foreach (var d in handle.Warnings) o.WriteLine(Text.Warning(d.Reason.ToString(), d.ErrorCode, input.MapPath(Text.Message(d))!));
        }
    }
}
