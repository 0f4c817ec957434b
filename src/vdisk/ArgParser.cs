using System.Globalization;

namespace VirtualDiskManaged.Cli;

/// <summary>A command-line mistake: reported on stderr with the command's usage line, exit status 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The parsed arguments of one command: positional arguments, options with values and switches.
/// Accepts <c>--name value</c>, <c>--name=value</c>, switches <c>--name</c> (or <c>--name=true|false</c>),
/// <c>-h</c> for <c>--help</c>, <c>-o</c> for <c>--output</c>, <c>-j</c> for <c>--jobs</c>, and <c>--</c> to end options.
/// </summary>
internal sealed class ParsedArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = [];

    /// <summary>Parses <paramref name="args"/> against the options a command knows.</summary>
    /// <param name="args">The arguments after the command name.</param>
    /// <param name="valueOptions">Options that take a value (without the leading dashes).</param>
    /// <param name="switchOptions">Options that are switches.</param>
    public static ParsedArgs Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> switchOptions)
    {
        var result = new ParsedArgs();
        bool optionsEnded = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (optionsEnded || a.Length < 2 || a[0] != '-' || a == "-")
            {
                result.Positionals.Add(a);
                continue;
            }
            if (a == "--")
            {
                optionsEnded = true;
                continue;
            }
            a = a switch
            {
                "-h" or "-?" => "--help",
                "-o" => "--output",
                "-j" => "--jobs",
                _ => a,
            };
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option '{a}'");
            string name = a[2..];
            string? inline = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }
            if (name == "help" || switchOptions.Contains(name))
            {
                bool on = inline is null || ParseBool(name, inline);
                if (!result._seen.Add(name)) throw new UsageException($"option '--{name}' given more than once");
                if (on) result._switches.Add(name);
                continue;
            }
            if (!valueOptions.Contains(name)) throw new UsageException($"unknown option '--{name}'");
            if (!result._seen.Add(name)) throw new UsageException($"option '--{name}' given more than once");
            if (inline is null)
            {
                if (i + 1 >= args.Count) throw new UsageException($"option '--{name}' needs a value");
                inline = args[++i];
            }
            result._values[name] = inline;
        }
        return result;
    }

    private static bool ParseBool(string name, string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new UsageException($"option '--{name}' takes true or false, not '{text}'"),
    };

    public bool Help => _switches.Contains("help");

    public bool Has(string name) => _switches.Contains(name);

    /// <summary>True when the option or switch was given at all (even as <c>--x=false</c>).</summary>
    public bool Given(string name) => _seen.Contains(name);

    public string? Value(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public long? Int64(string name, long min, long max)
    {
        string? v = Value(name);
        if (v is null) return null;
        if (!TryParseNumber(v, out ulong n) || n > long.MaxValue || (long)n < min || (long)n > max)
            throw new UsageException($"option '--{name}' takes a number from {min} to {max}, not '{v}'");
        return (long)n;
    }

    /// <summary>Decimal, or hexadecimal with a 0x prefix.</summary>
    public static bool TryParseNumber(string text, out ulong value)
    {
        text = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && text.Length > 2;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
