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
            + "With --file PATH, writes that one file's content from inside the image's ISO 9660 or UDF file system "
            + "instead (--offset and --length then count in the file; --fs picks the tree). "
            + "Without open options the image is opened as vdisk check does (read-only, no sharing conflicts).",
            "0 the bytes were written (or the reader of the pipe went away), 1 the open failed, the input could not be read "
            + "or --file names no regular file");
        var path = new Argument<string>("PATH") { Description = "the image (X.gz is expanded first)" };
        var offset = Values.Number("--offset", "N", "first virtual byte (default 0)", 0, long.MaxValue);
        var length = Values.Number("--length", "N", "how many bytes (default: to the end)", 0, long.MaxValue);
        var file = new Option<string?>("--file") { HelpName = "PATH", Description = "one file inside the image's file system (ISO 9660, Joliet, Rock Ridge, UDF)" };
        var fs = FileSystemInput.FsOption();
        var open = new OpenOptions();
        command.Add(path);
        command.Add(offset);
        command.Add(length);
        command.Add(file);
        command.Add(fs);
        open.AddTo(command);
        command.SetAction(r =>
        {
            if (r.GetValue(file) is { } inside)
                return RunFile(r.GetValue(path)!, open.Bind(r).ToReadingOptions(), inside, r.GetValue(fs), r.GetValue(offset) ?? 0, r.GetValue(length));
            if (r.Given(fs)) throw new UsageException("--fs needs --file");
            return Run(r.GetValue(path)!, open.Bind(r).ToReadingOptions(), r.GetValue(offset) ?? 0, r.GetValue(length));
        });
        return command;
    }

    /// <summary>One file of the image's file system to stdout (from the library's OpenFile stream).</summary>
    private static int RunFile(string path, VirtualDiskOpenOptions options, string inside, string? fs, long offset, long? length) =>
        FileSystemInput.With(path, fs, (input, reader) =>
        {
            if (!reader.TryOpenFile(inside.StartsWith('/') ? inside : "/" + inside, out var content, out var failure))
            {
                FileSystemInput.Problem(input, failure!);
                return Program.ExitFailed;
            }
            using (content)
            {
                long end = length is long l ? (long)Math.Min((ulong)offset + (ulong)l, (ulong)content!.Length) : content!.Length;
                using var stdout = Output.OpenStdout();
                byte[] buffer = new byte[1 << 20];
                if (offset < end) content.Position = offset;
                for (long at = offset; at < end;)
                {
                    int n = content.Read(buffer, 0, (int)Math.Min(buffer.Length, end - at));
                    if (n <= 0) break;
                    stdout.Write(buffer, 0, n);
                    at += n;
                }
                stdout.Flush();
            }
            return Program.ExitOk;
        }, options);

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
