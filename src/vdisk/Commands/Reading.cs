namespace VirtualDiskManaged.Cli.Commands;

/// <summary>Opens one image for hash, cat and info: expands .gz, reports failures the same way, disposes everything.</summary>
internal static class Reading
{
    public static int WithImage(string path, VirtualDiskOpenOptions options, Func<ImageInput, VirtualDiskHandle, int> body)
    {
        if (!ImageInput.TryPrepareForCommand(path, out var input)) return Program.ExitFailed;
        using (input)
        {
            VirtualDiskHandle? handle = null;
            try
            {
                if (!input.TryOpen(options, out handle, out var failure))
                {
                    Console.Error.WriteLine($"vdisk: {input.DisplayPath}: {Text.Code(failure!.ErrorCode)} {failure.Reason}: {input.MapPath(failure.Message)}");
                    return Program.ExitFailed;
                }
                return body(input, handle!);
            }
            catch (VirtualDiskException e)
            {
                var d = e.Diagnostic;
                Console.Error.WriteLine($"vdisk: {input.DisplayPath}: {Text.Code(d.ErrorCode)} {d.Reason}: {input.MapPath(d.Message)}");
                return Program.ExitFailed;
            }
            catch (IOException e) when (e is not VirtualDiskException && IsStdoutClosed(e))
            {
                return Program.ExitOk; // cat | head: the reader went away
            }
            catch (Exception e)
            {
                return OpenCommand.InternalError(e);
            }
            finally
            {
                handle?.Dispose();
            }
        }
    }

    private static bool IsStdoutClosed(IOException e) => e.HResult == 32 || e.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase);
}
