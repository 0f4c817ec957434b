using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;
using VirtualDiskManaged.FileSystems;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary>
/// What ls, extract and cat --file share: the --fs option, opening an image's file system through the library,
/// and how file-system entries and problems are printed (docs/filesystems-cli.md).
/// </summary>
internal static class FileSystemInput
{
    public static readonly string[] Names = ["auto", "rockridge", "joliet", "iso9660", "udf"];

    public static Option<string?> FsOption() => Values.OneOf("--fs", "NS",
        "which tree to read: auto (default: UDF, else Rock Ridge, else Joliet, else ISO 9660), rockridge, joliet, iso9660 or udf", Names);

    public static FileSystemNamespace Parse(string? name) => name switch
    {
        "rockridge" => FileSystemNamespace.RockRidge,
        "joliet" => FileSystemNamespace.Joliet,
        "iso9660" => FileSystemNamespace.Iso9660,
        "udf" => FileSystemNamespace.Udf,
        _ => FileSystemNamespace.Auto,
    };

    public static string Name(FileSystemNamespace ns) => ns switch
    {
        FileSystemNamespace.RockRidge => "rockridge",
        FileSystemNamespace.Joliet => "joliet",
        FileSystemNamespace.Iso9660 or FileSystemNamespace.Iso9660Enhanced => "iso9660",
        FileSystemNamespace.Udf => "udf",
        _ => "auto",
    };

    /// <summary>
    /// Opens the image (read-only, as vdisk check does) and its file system, runs <paramref name="body"/>, reports
    /// a failure of either open on stderr (exit status 1) and disposes everything.
    /// </summary>
    public static int With(string path, string? fs, Func<ImageInput, FileSystemReader, int> body, VirtualDiskOpenOptions? options = null) =>
        Reading.WithImage(path, options ?? VirtualDiskOpenOptions.ForValidation, (input, handle) =>
        {
            if (!FileSystem.TryOpen(handle, new FileSystemOpenOptions { Namespace = Parse(fs) }, out var reader, out var failure))
            {
                Problem(input, failure!);
                return Program.ExitFailed;
            }
            using (reader)
            {
                try
                {
                    return body(input, reader!);
                }
                catch (VirtualDiskException e)
                {
                    Problem(input, e.Diagnostic);
                    return Program.ExitFailed;
                }
            }
        });

    /// <summary>"vdisk: IMAGE: /entry: CODE Reason: message" on stderr.</summary>
    public static void Problem(ImageInput input, VirtualDiskDiagnostic d) =>
        Console.Error.WriteLine(ProblemLine(input, d));

    public static string ProblemLine(ImageInput input, VirtualDiskDiagnostic d) =>
        $"vdisk: {input.DisplayPath}: {(d.EntryPath is null ? "" : Printable(d.EntryPath) + ": ")}{Text.Code(d.ErrorCode)} {d.Reason}: {input.MapPath(Text.Message(d))}";

    /// <summary>"file", "directory", "symlink" or "other" (the ls --json "type").</summary>
    public static string TypeName(FileSystemEntryKind kind) => kind switch
    {
        FileSystemEntryKind.File => "file",
        FileSystemEntryKind.Directory => "directory",
        FileSystemEntryKind.Symlink => "symlink",
        _ => "other",
    };

    /// <summary>"block-device", "character-device", "fifo", "socket" for "other" entries, else null.</summary>
    public static string? SpecialName(FileSystemEntryKind kind) => kind switch
    {
        FileSystemEntryKind.BlockDevice => "block-device",
        FileSystemEntryKind.CharacterDevice => "character-device",
        FileSystemEntryKind.Fifo => "fifo",
        FileSystemEntryKind.Socket => "socket",
        _ => null,
    };

    /// <summary>Writes the ten characters of <c>ls -l</c>'s mode column into <paramref name="into"/>; returns 10.</summary>
    public static int WriteMode(FileSystemEntry e, Span<char> into)
    {
        int mode = e.Mode ?? (e.IsDirectory ? 0x16D /* 0555 */ : 0x124 /* 0444 */);
        into[0] = e.Kind switch
        {
            FileSystemEntryKind.Directory => 'd',
            FileSystemEntryKind.Symlink => 'l',
            FileSystemEntryKind.BlockDevice => 'b',
            FileSystemEntryKind.CharacterDevice => 'c',
            FileSystemEntryKind.Fifo => 'p',
            FileSystemEntryKind.Socket => 's',
            _ => '-',
        };
        const string rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
        {
            bool on = (mode & (1 << (8 - i))) != 0;
            char c = on ? rwx[i] : '-';
            if (i == 2 && (mode & 0x800) != 0) c = on ? 's' : 'S';
            if (i == 5 && (mode & 0x400) != 0) c = on ? 's' : 'S';
            if (i == 8 && (mode & 0x200) != 0) c = on ? 't' : 'T';
            into[1 + i] = c;
        }
        return 10;
    }

    /// <summary>A path for a terminal line: control characters as \xNN (names in an image can hold anything; see <see cref="Terminal"/>).</summary>
    public static string Printable(string s) => Terminal.Printable(s);
}
