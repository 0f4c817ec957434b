using System.Text;

namespace VirtualDiskManaged.FileSystems.Extraction;

/// <summary>
/// Which entry names may become one component of a host path below the target folder (docs/filesystems-cli.md,
/// "Extraction safety"). A name that is not exactly one component — empty, <c>.</c>, <c>..</c>, holding a
/// separator or NUL — could leave the folder or name something else, so it is refused; on Windows so are the
/// characters and device names Win32 reserves (a colon would name an alternate data stream, a trailing dot or
/// space is silently dropped and would merge two names).
/// </summary>
internal static class ExtractionNames
{
    private static readonly string[] WindowsDevices =
        ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
         "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
         "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³"];

    /// <summary>Null when <paramref name="name"/> is safe as one path component; otherwise why not.</summary>
    public static string? Problem(string name, bool windows)
    {
        if (name.Length == 0) return "The name is empty";
        if (name is "." or "..") return $"The name is \"{name}\"";
        foreach (char c in name)
        {
            if (c == '\0') return "The name holds a NUL character";
            if (c == '/') return "The name holds a '/' separator";
            if (windows)
            {
                if (c == '\\') return "The name holds a '\\' separator";
                if (c < 0x20) return "The name holds a control character";
                if (c is ':' or '<' or '>' or '"' or '|' or '?' or '*') return $"The name holds '{c}', which Windows reserves";
            }
        }
        if (windows)
        {
            if (name[^1] is '.' or ' ') return "The name ends with a dot or a space, which Windows drops";
            int dot = name.IndexOf('.');
            string stem = (dot < 0 ? name : name[..dot]).TrimEnd(' ');
            foreach (string d in WindowsDevices)
                if (string.Equals(stem, d, StringComparison.OrdinalIgnoreCase)) return $"\"{d}\" is a Windows device name";
        }
        return null;
    }

    /// <summary>The name for a message: control characters and NUL as \xNN, quoted.</summary>
    public static string Quote(string name)
    {
        var sb = new StringBuilder(name.Length + 2).Append('"');
        foreach (char c in name)
        {
            if (c < 0x20 || c == 0x7F) sb.Append("\\x").Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
