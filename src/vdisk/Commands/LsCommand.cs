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
            string size = e.Kind == FileSystemEntryKind.File ? e.Length.ToString(CultureInfo.InvariantCulture) : e.Kind == FileSystemEntryKind.Symlink ? (e.SymlinkTarget?.Length ?? 0).ToString(CultureInfo.InvariantCulture) : "0";
            string time = e.ModificationTime is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-               ";
            o.Write(FileSystemInput.ModeString(e));
            o.Write(' ');
            o.Write((e.LinkCount ?? 1).ToString(CultureInfo.InvariantCulture).PadLeft(3));
            o.Write(' ');
            o.Write((e.UserId?.ToString(CultureInfo.InvariantCulture) ?? "0").PadLeft(5));
            o.Write(' ');
            o.Write((e.GroupId?.ToString(CultureInfo.InvariantCulture) ?? "0").PadLeft(5));
            o.Write(' ');
            o.Write(size.PadLeft(12));
            o.Write(' ');
            o.Write(time);
            o.Write(' ');
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
