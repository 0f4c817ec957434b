using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk cat</c>: virtual bytes to stdout.</summary>
internal static class CatCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("cat", "write virtual bytes to stdout",
            "Writes the virtual disk's bytes (what a guest reads) to stdout, from --offset (default 0) for --length "
            + "bytes (default: to the end). Numbers are decimal or 0x hex. A range past the end is cut at the end. "
            + "Without open options the image is opened as vdisk check does (read-only, no sharing conflicts).",
            "0 the bytes were written (or the reader of the pipe went away), 1 the open failed or the input could not be read");
        var path = new Argument<string>("PATH") { Description = "the image (X.gz is expanded first)" };
        var offset = Values.Number("--offset", "N", "first virtual byte (default 0)", 0, long.MaxValue);
        var length = Values.Number("--length", "N", "how many bytes (default: to the end)", 0, long.MaxValue);
        var open = new OpenOptions();
        command.Add(path);
        command.Add(offset);
        command.Add(length);
        open.AddTo(command);
        command.SetAction(r => Run(r.GetValue(path)!, open.Bind(r).ToReadingOptions(), r.GetValue(offset) ?? 0, r.GetValue(length)));
        return command;
    }

    private static int Run(string path, VirtualDiskOpenOptions options, long offset, long? length) =>
        Reading.WithImage(path, options, (_, handle) =>
        {
            long end = length is long l ? (long)Math.Min((ulong)offset + (ulong)l, (ulong)handle.VirtualSize) : handle.VirtualSize;
            using var stdout = Output.OpenStdout();
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
