using System.Text.Json;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk open</c>: one OpenVirtualDisk call with explicit arguments; prints the Win32 code and why.</summary>
internal static class OpenCommand
{
    internal const string OpenOptionsHelp = "\n" + """
          --type T          auto (default: UNKNOWN device), iso, vhd, vhdx, vhdset, or any device id number
          --vendor V        microsoft, unknown or a GUID (default: unknown for auto, microsoft otherwise)
          --access MASK     VIRTUAL_DISK_ACCESS_MASK: hex (0x90000), decimal, or names joined with |
                            (NONE ATTACH_RO ATTACH_RW DETACH GET_INFO CREATE METAOPS READ ALL WRITABLE);
                            default ATTACH_RO|GET_INFO
          --flags FLAGS     OPEN_VIRTUAL_DISK_FLAG: number or names joined with | (NONE NO_PARENTS BLANK_FILE
                            BOOT_DRIVE CACHED_IO CUSTOM_DIFF_CHAIN PARENT_CACHED_IO VHDSET_FILE_ONLY
                            IGNORE_RELATIVE_PARENT_LOCATOR NO_WRITE_HARDENING SUPPORT_COMPRESSED_VOLUMES
                            SUPPORT_SPARSE_FILES_ANY_FS SUPPORT_ENCRYPTED_FILES); default none
          --params P        none (null parameters, default), 1, 2 or 3 (OPEN_VIRTUAL_DISK_PARAMETERS version)
          --rw-depth N      version 1 RWDepth (default 1)
          --get-info-only   version 2/3 GetInfoOnly = TRUE
          --read-only       version 2/3 ReadOnly = TRUE
          --rules R         documented (default) or current
          --strict          warnings fail the open
        """ + "\n";

    private const string Help = """
        Usage: vdisk open PATH [options] [--json]

        Calls OpenVirtualDisk(type, PATH, access, flags, parameters) once, offline, and prints the Win32 code
        (decimal, hex and winerror.h name), the precise reason, the message and the file of the chain at fault.

        Options:
        """ + OpenOptionsHelp + """
          --json            one JSON object: {"code", "name", "hex", "reason", "message", "file"}
                            (plus "format", "subtype", "virtualSize" on success)

        Exit status: 0 the open succeeded, 1 it failed, 2 usage error, 3 internal error.
        """;

    public static int Run(string[] args)
    {
        var a = ParsedArgs.Parse(args, OpenArguments.ValueOptions, [.. OpenArguments.SwitchOptions, "json"]);
        if (Program.ShowHelp(a, Help)) return Program.ExitOk;
        Program.RequirePositionals(a, 1, "PATH");
        var open = OpenArguments.From(a);
        bool json = a.Has("json");
        string path = a.Positionals[0];

        if (!ImageInput.TryPrepareForCommand(path, out var input)) return Program.ExitFailed;
        using (input)
        {
            VirtualDiskHandle? handle = null;
            try
            {
                bool ok = input.TryOpen(open.ToOptions(), out handle, out var failure);
                Print(input, ok ? null : failure, handle, json);
                return ok ? Program.ExitOk : Program.ExitFailed;
            }
            catch (Exception e) when (e is not VirtualDiskException)
            {
                return InternalError(e);
            }
            finally
            {
                handle?.Dispose();
            }
        }
    }

    internal static int InternalError(Exception e)
    {
        Console.Error.WriteLine($"vdisk: internal error (a bug in the library or the tool): {e.GetType().FullName}: {e.Message}");
        return Program.ExitInternal;
    }

    private static void Print(ImageInput input, VirtualDiskDiagnostic? failure, VirtualDiskHandle? handle, bool json)
    {
        uint code = failure?.ErrorCode ?? 0;
        string message = failure is null ? VirtualDiskErrors.DescriptionOf(VirtualDiskError.Success) : input.MapPath(failure.Message)!;
        string file = failure is null ? input.DisplayPath : input.MapPath(failure.Root.FilePath ?? failure.FilePath) ?? input.DisplayPath;
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
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
            o.WriteLine($"format:  {Text.FormatName(handle.Format)} {Text.SubtypeName(handle.Subtype)}");
            o.WriteLine($"size:    {Text.Size(handle.VirtualSize)}");
            foreach (var d in handle.Warnings) o.WriteLine($"warning: {d.Reason}: {input.MapPath(d.Message)}");
        }
    }
}
