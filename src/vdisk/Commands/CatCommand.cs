namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk cat</c>: virtual bytes to stdout.</summary>
internal static class CatCommand
{
    private const string Help = """
        Usage: vdisk cat PATH [--offset N] [--length N] [open options]

        Writes the virtual disk's bytes (what a guest reads) to stdout, from --offset (default 0) for --length
        bytes (default: to the end). Numbers are decimal or 0x hex. A range past the end is cut at the end.

        Options:
          --offset N        first virtual byte
          --length N        how many bytes
        """ + OpenCommand.OpenOptionsHelp;

    public static int Run(string[] args)
    {
        var a = ParsedArgs.Parse(args, [.. OpenArguments.ValueOptions, "offset", "length"], OpenArguments.SwitchOptions);
        if (Program.ShowHelp(a, Help)) return Program.ExitOk;
        Program.RequirePositionals(a, 1, "PATH");
        var open = OpenArguments.From(a);
        long offset = a.Int64("offset", 0, long.MaxValue) ?? 0;
        long? length = a.Int64("length", 0, long.MaxValue);
        return Reading.WithImage(a.Positionals[0], open.ToReadingOptions(), (_, handle) =>
        {
            long end = length is long l ? (long)Math.Min((ulong)offset + (ulong)l, (ulong)handle.VirtualSize) : handle.VirtualSize;
            using var stdout = Console.OpenStandardOutput();
            byte[] buffer = new byte[1 << 20];
            for (long at = offset; at < end;)
            {
                int want = (int)Math.Min(buffer.Length, end - at);
                int n = handle.Read(at, buffer.AsSpan(0, want));
                if (n <= 0) break;
                stdout.Write(buffer, 0, n);
                at += n;
            }
            stdout.Flush();
            return Program.ExitOk;
        });
    }
}
