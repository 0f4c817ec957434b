using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace VirtualDiskManaged.Cli.CommandLine;

/// <summary>Value parsers shared by the commands' options (errors become usage errors, exit status 2).</summary>
internal static class Values
{
    /// <summary>Decimal, or hexadecimal with a 0x prefix; '_' separators allowed.</summary>
    public static bool TryParseNumber(string text, out ulong value)
    {
        text = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && text.Length > 2;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>An option taking a number from <paramref name="min"/> to <paramref name="max"/> (decimal or 0x hex).</summary>
    public static Option<long?> Number(string name, string helpName, string description, long min, long max, params string[] aliases) => new(name, aliases)
    {
        HelpName = helpName,
        Description = description,
        CustomParser = r =>
        {
            string v = r.Tokens[0].Value;
            if (TryParseNumber(v, out ulong n) && n <= long.MaxValue && (long)n >= min && (long)n <= max) return (long)n;
            r.AddError($"option '{name}' takes a number from {min} to {max}, not '{v}'");
            return null;
        },
    };

    /// <summary>An option taking one of <paramref name="names"/> (case-insensitive), returned lower-case; completion offers the names.</summary>
    public static Option<string?> OneOf(string name, string helpName, string description, string[] names, params string[] aliases)
    {
        var o = new Option<string?>(name, aliases)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = r =>
            {
                string v = r.Tokens[0].Value;
                string lower = v.ToLowerInvariant();
                if (names.Contains(lower)) return lower;
                r.AddError($"option '{name}' takes {Join(names)}, not '{v}'");
                return null;
            },
        };
        o.CompletionSources.Add(names);
        return o;
    }

    /// <summary>A switch (<c>--x</c>, also <c>--x=true|false</c>).</summary>
    public static Option<bool> Switch(string name, string description, params string[] aliases) => new(name, aliases) { Description = description };

    /// <summary>"a, b or c".</summary>
    public static string Join(IReadOnlyList<string> names) =>
        names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];

    /// <summary>True when the option was written on the command line (not just defaulted).</summary>
    public static bool Given(this ParseResult r, Option o) => r.GetResult(o) is { Implicit: false };

    /// <summary>
    /// A variadic argument takes any word, so an unknown option would pass as a file name: refuse words that start with
    /// '-' before a "--" (after it, any name is taken as given).
    /// </summary>
    public static void RefuseUnknownOptions(ParseResult r, IReadOnlyCollection<string> values)
    {
        foreach (var t in r.Tokens)
        {
            if (t.Type == TokenType.DoubleDash) return;
            if (t.Type == TokenType.Argument && t.Value.Length > 1 && t.Value[0] == '-' && values.Contains(t.Value))
                throw new UsageException($"unknown option '{t.Value}' (a file whose name starts with '-' goes after --)");
        }
    }

    /// <summary>
    /// Adds "given more than once" to every option of the tree (a repeated switch would otherwise pass silently).
    /// </summary>
    public static void RefuseRepeats(Command command)
    {
        foreach (var o in command.Options)
        {
            if (o is System.CommandLine.Help.HelpOption or VersionOption) continue;
            o.Validators.Add(r =>
            {
                if (r.IdentifierTokenCount > 1 && o.ValueType == typeof(bool)) // value options: System.CommandLine refuses a second value itself
                    r.AddError($"option '{r.IdentifierToken?.Value ?? o.Name}' given more than once");
            });
        }
        foreach (var c in command.Subcommands) RefuseRepeats(c);
    }
}
