using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;
using VirtualDiskManaged.FileSystems;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk ls</c>: the entries of a directory (or the whole tree) inside an ISO or UDF image.</summary>
internal static class LsCommand
{
    public const int SchemaVersion = 1;

    public static CliCommand Build()
    {
        var command = new CliCommand("ls", "list the files inside an ISO 9660 or UDF image",
            "Lists the entries of PATH (default /) inside the image's file system: names, or with --recursive every path "
            + "below PATH (depth first, each directory's entries before its subdirectories'). --long adds the mode, owner, "
            + "size, modification time and link target. --json prints one object (ls-result.schema.json): the paths "
            + "are absolute from the image's root, '/'-separated, the root itself not listed. The entries are read "
            + "lazily, so memory stays small for any number of files. --fs picks the tree on discs that hold several.",
            "0 listed, 1 the image or its file system could not be read (what was listed before the problem is printed, "
            + "with --json the problem is its \"error\")");
        var image = new Argument<string>("IMAGE") { Description = "the image (X.gz is expanded first)" };
        var path = new Argument<string?>("PATH") { Description = "a directory or file inside the image (default /)", Arity = ArgumentArity.ZeroOrOne };
        var recursive = Values.Switch("--recursive", "every entry below PATH", "-R");
        var longFormat = Values.Switch("--long", "mode, owner, size, time and link target", "-l");
        var fs = FileSystemInput.FsOption();
        var json = Values.Switch("--json", "one JSON object (ls-result.schema.json)");
        command.Add(image);
        command.Add(path);
        foreach (var o in new Option[] { recursive, longFormat, fs, json }) command.Add(o);
        command.SetAction(r => Run(r.GetValue(image)!, r.GetValue(path) ?? "/", r.GetValue(recursive), r.GetValue(longFormat), r.GetValue(fs), r.GetValue(json)));
        return command;
    }

    private static int Run(string image, string path, bool recursive, bool longFormat, string? fs, bool json)
    {
        if (!path.StartsWith('/')) path = "/" + path;
        return FileSystemInput.With(image, fs, (input, reader) =>
        {
            var start = reader.GetEntry(path);
            IEnumerable<FileSystemEntry> entries = !start.IsDirectory ? [start]
                : recursive ? reader.EnumerateTree(start.Path) : reader.EnumerateDirectory(start);
            using var stdout = Output.OpenStdout();
            return json ? WriteJson(stdout, input, reader, start.Path, recursive, entries)
                : WriteText(stdout, input, entries, recursive || !start.IsDirectory, longFormat);
        });
    }

    private static int WriteText(Stream stdout, ImageInput input, IEnumerable<FileSystemEntry> entries, bool fullPaths, bool longFormat)
    {
        using var o = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var d = Enumerate(entries, e =>
        {
            string name = FileSystemInput.Printable(fullPaths ? e.Path : e.Name);
            if (!longFormat)
            {
                o.WriteLine(name);
                return;
            }
            // The columns are formatted into one stack buffer (a listing of 100,000 entries would otherwise make
            // a dozen strings per line): mode, links, uid, gid, size, time, each right-aligned as before.
            Span<char> line = stackalloc char[LongColumnsMax];
            int n = FileSystemInput.WriteMode(e, line);
            n += RightAligned(line[n..], e.LinkCount ?? 1, 3);
            n += RightAligned(line[n..], e.UserId ?? 0, 5);
            n += RightAligned(line[n..], e.GroupId ?? 0, 5);
            if (e.DeviceNumber is long device) n += DeviceColumn(line[n..], device, 12);
            else
            {
                long size = e.Kind == FileSystemEntryKind.File ? e.Length : e.Kind == FileSystemEntryKind.Symlink ? e.SymlinkTarget?.Length ?? 0 : 0;
                n += RightAligned(line[n..], size, 12);
            }
            line[n++] = ' ';
            if (e.ModificationTime is { } t) n += WriteMinute(line[n..], t.UtcDateTime);
            else { "-               ".CopyTo(line[n..]); n += 16; }
            line[n++] = ' ';
            o.Write(line[..n]);
            o.Write(name);
            if (e.Kind == FileSystemEntryKind.Symlink)
            {
                o.Write(" -> ");
                o.Write(FileSystemInput.Printable(e.SymlinkTarget ?? ""));
            }
            o.WriteLine();
        });
        o.Flush();
        if (d is null) return Program.ExitOk;
        FileSystemInput.Problem(input, d);
        return Program.ExitFailed;
    }

    /// <summary>The mode, four number columns (each at most 20 digits and a space) and the 16-character time, with spaces.</summary>
    private const int LongColumnsMax = 10 + 4 * 21 + 1 + 16 + 1;

    /// <summary>A device node's size column as bsdtar prints it: a space, then "major,minor" right-aligned.</summary>
    private static int DeviceColumn(Span<char> into, long device, int width)
    {
        Span<char> text = stackalloc char[21];
        ((uint)(device >> 32)).TryFormat(text, out int major, default, CultureInfo.InvariantCulture);
        text[major] = ',';
        ((uint)device).TryFormat(text[(major + 1)..], out int minor, default, CultureInfo.InvariantCulture);
        int length = major + 1 + minor, pad = Math.Max(0, width - length);
        into[0] = ' ';
        into.Slice(1, pad).Fill(' ');
        text[..length].CopyTo(into[(1 + pad)..]);
        return 1 + pad + length;
    }

    /// <summary>A space, then <paramref name="value"/> right-aligned in <paramref name="width"/> characters (wider numbers as they are).</summary>
    private static int RightAligned(Span<char> into, long value, int width)
    {
        Span<char> digits = stackalloc char[20];
        value.TryFormat(digits, out int length, default, CultureInfo.InvariantCulture);
        int pad = Math.Max(0, width - length);
        into[0] = ' ';
        into.Slice(1, pad).Fill(' ');
        digits[..length].CopyTo(into[(1 + pad)..]);
        return 1 + pad + length;
    }

    /// <summary>"yyyy-MM-dd HH:mm" (UTC, invariant digits) without a format string; returns 16.</summary>
    private static int WriteMinute(Span<char> into, DateTime time)
    {
        var (year, month, day) = time;
        Digits(into[..4], year);
        into[4] = '-';
        Digits(into.Slice(5, 2), month);
        into[7] = '-';
        Digits(into.Slice(8, 2), day);
        into[10] = ' ';
        Digits(into.Slice(11, 2), time.Hour);
        into[13] = ':';
        Digits(into.Slice(14, 2), time.Minute);
        return 16;

        static void Digits(Span<char> field, int value)
        {
            for (int i = field.Length - 1; i >= 0; i--, value /= 10) field[i] = (char)('0' + value % 10);
        }
    }

    private static int WriteJson(Stream stdout, ImageInput input, FileSystemReader reader, string path, bool recursive, IEnumerable<FileSystemEntry> entries)
    {
        VirtualDiskDiagnostic? problem;
        using (var w = new Utf8JsonWriter(stdout, Text.JsonOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", SchemaVersion);
            w.WriteString("image", input.DisplayPath);
            w.WriteString("fileSystem", FileSystemInput.Name(reader.Namespace));
            w.WriteString("volumeLabel", reader.VolumeLabel);
            w.WriteString("path", path);
            w.WriteBoolean("recursive", recursive);
            w.WriteStartArray("entries");
            problem = Enumerate(entries, e =>
            {
                WriteEntry(w, e);
                if (w.BytesPending > 1 << 16) w.Flush();
            });
            w.WriteEndArray();
            w.WritePropertyName("error");
            if (problem is null) w.WriteNullValue();
            else Text.WriteDiagnostic(w, problem, input.MapPath);
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
        if (problem is null) return Program.ExitOk;
        FileSystemInput.Problem(input, problem);
        return Program.ExitFailed;
    }

    internal static void WriteEntry(Utf8JsonWriter w, FileSystemEntry e)
    {
        w.WriteStartObject();
        w.WriteString("path", e.Path);
        w.WriteString("type", FileSystemInput.TypeName(e.Kind));
        if (e.Kind == FileSystemEntryKind.File) w.WriteNumber("size", e.Length);
        else w.WriteNull("size");
        w.StringOrNull("target", e.Kind == FileSystemEntryKind.Symlink ? e.SymlinkTarget ?? "" : null);
        w.StringOrNull("special", FileSystemInput.SpecialName(e.Kind));
        if (e.DeviceNumber is long device)
        {
            w.WriteStartObject("device");
            w.WriteNumber("major", (uint)(device >> 32));
            w.WriteNumber("minor", (uint)device);
            w.WriteEndObject();
        }
        else w.WriteNull("device");
        w.StringOrNull("modified", e.ModificationTime is { } t ? Text.Time(t) : null);
        Number(w, "mode", e.Mode);
        Number(w, "uid", e.UserId);
        Number(w, "gid", e.GroupId);
        Number(w, "links", e.LinkCount);
        w.WriteBoolean("hidden", e.IsHidden);
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, long? value)
    {
        if (value is long v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    /// <summary>Runs <paramref name="each"/> over the entries; a damaged structure met on the way ends the walk and is returned.</summary>
    private static VirtualDiskDiagnostic? Enumerate(IEnumerable<FileSystemEntry> entries, Action<FileSystemEntry> each)
    {
        try
        {
            foreach (var e in entries) each(e);
            return null;
        }
        catch (VirtualDiskException e)
        {
            return e.Diagnostic;
        }
    }
}
