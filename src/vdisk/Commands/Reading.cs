namespace VirtualDiskManaged.Cli.Commands;

/// <summary>Opens one image for hash, cat and info: expands .gz, reports failures the same way, disposes everything.</summary>
internal static class Reading
{
    public static int WithImage(string path, VirtualDiskOpenOptions options, Func<ImageInput, VirtualDiskHandle, int> body)
    {
        if (!ImageInput.TryPrepareForCommand(path, json: false, out var input)) return Program.ExitFailed;
        using (input)
        {
            VirtualDiskHandle? handle = null;
            try
            {
                if (!input.TryOpen(options, out handle, out var failure))
                {
                    Fail(input, failure!);
                    return Program.ExitFailed;
                }
                return body(input, handle!);
            }
            catch (VirtualDiskException e)
            {
                Fail(input, e.Diagnostic);
                return Program.ExitFailed;
            }
            catch (Exception e) when (e is not OutputException)
            {
                return Program.InternalError(e);
            }
            finally
            {
                handle?.Dispose();
            }
        }
    }

    /// <summary>"vdisk: PATH: CODE Reason: message", then the file at fault once when it is not PATH.</summary>
    private static void Fail(ImageInput input, VirtualDiskDiagnostic d)
    {
        Console.Error.WriteLine($"vdisk: {input.DisplayPath}: {Text.Code(d.ErrorCode)} {d.Reason}: {input.MapPath(Text.Message(d))}");
        string? file = input.MapPath(d.Root.FilePath ?? d.FilePath);
        if (file is not null && file != input.DisplayPath) Console.Error.WriteLine($"vdisk: file: {file}");
    }
}
