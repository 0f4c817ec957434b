using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;

namespace VirtualDiskManaged.Cli.CommandLine;

/// <summary>
/// The --help of every command, generated from its System.CommandLine symbols: usage line, explanation, arguments,
/// options (with aliases and value names) and the exit statuses. Written to stdout, exit status 0.
/// </summary>
internal sealed class HelpWriter : SynchronousCommandLineAction
{
    private const int Width = 100;

    /// <summary>The exit statuses every command shares (after each command's own 0 and 1).</summary>
    public const string CommonExitStatus = "2 usage error, 3 internal error (a bug), 4 cannot write the output";

    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        Console.Out.Write(Render(parseResult.CommandResult.Command));
        Console.Out.Flush();
        return Program.ExitOk;
    }

    public static string Render(Command command)
    {
        var sb = new StringBuilder();
        if (command is RootCommand root) RenderRoot(sb, root);
        else RenderCommand(sb, command);
        return sb.ToString();
    }

    private static void RenderRoot(StringBuilder sb, RootCommand root)
    {
        sb.Append("Usage: vdisk <command> [options]\n\n");
        Paragraph(sb, root.Description ?? "", 0);
        sb.Append("\nCommands:\n");
        var rows = root.Subcommands.Where(c => !c.Hidden).Select(c => (Label: c.Name + " " + ArgumentsLabel(c), c.Description ?? "")).ToList();
        Rows(sb, rows);
        sb.Append("\nOptions:\n");
        Rows(sb, [.. root.Options.Where(o => !o.Hidden).Select(o => (OptionLabel(o), o.Description ?? ""))]);
        sb.Append('\n');
        Paragraph(sb, "Run 'vdisk <command> --help' for a command's options. Arguments may come from a response file (@FILE, one or more per line). "
            + "Images may be gzip-compressed (X.vhd.gz): they are expanded to a private temp folder and reported under the .gz path.", 0);
        sb.Append('\n');
        Paragraph(sb, "Exit status: 0 success, 1 an image failed or an input error, " + CommonExitStatus + ".", 0);
    }

    private static void RenderCommand(StringBuilder sb, Command command)
    {
        var cli = command as CliCommand;
        sb.Append("Usage: vdisk ").Append(command.Name);
        string args = ArgumentsLabel(command);
        if (args.Length > 0) sb.Append(' ').Append(args);
        sb.Append(" [options]\n\n");
        Paragraph(sb, command.Description ?? "", 0);
        if (cli is not null && cli.Details.Length > 0)
        {
            sb.Append('\n');
            Paragraph(sb, cli.Details, 0);
        }
        var arguments = command.Arguments.Where(a => !a.Hidden).ToList();
        if (arguments.Count > 0)
        {
            sb.Append("\nArguments:\n");
            Rows(sb, [.. arguments.Select(a => ("<" + (a.HelpName ?? a.Name) + ">", a.Description ?? ""))]);
        }
        var sectioned = cli?.Sections.SelectMany(s => s.Options).ToHashSet() ?? [];
        var own = AllOptions(command).Where(o => !o.Hidden && !sectioned.Contains(o)).ToList();
        sb.Append("\nOptions:\n");
        Rows(sb, [.. own.Select(o => (OptionLabel(o), o.Description ?? ""))]);
        foreach (var (title, options) in cli?.Sections ?? [])
        {
            sb.Append('\n').Append(title).Append(":\n");
            Rows(sb, [.. options.Where(o => !o.Hidden).Select(o => (OptionLabel(o), o.Description ?? ""))]);
        }
        sb.Append('\n');
        Paragraph(sb, "Exit status: " + (cli?.ExitStatus ?? "0 success, 1 failure") + ", " + CommonExitStatus + ".", 0);
    }

    /// <summary>The command's own options, then the recursive ones of its parents (--help).</summary>
    private static IEnumerable<Option> AllOptions(Command command)
    {
        var seen = new HashSet<Option>();
        foreach (var o in command.Options)
            if (seen.Add(o)) yield return o;
        for (var p = command.Parents.OfType<Command>().FirstOrDefault(); p is not null; p = p.Parents.OfType<Command>().FirstOrDefault())
            foreach (var o in p.Options.Where(o => o.Recursive))
                if (seen.Add(o)) yield return o;
    }

    private static string ArgumentsLabel(Command c) => string.Join(' ', c.Arguments.Where(a => !a.Hidden).Select(a =>
    {
        string name = "<" + (a.HelpName ?? a.Name) + ">";
        if (a.Arity.MaximumNumberOfValues > 1) name += "...";
        return a.Arity.MinimumNumberOfValues == 0 ? "[" + name + "]" : name;
    }));

    private static string OptionLabel(Option o)
    {
        var names = o.Aliases.Where(a => !a.StartsWith('/')).Append(o.Name).Distinct()
            .OrderBy(a => a.StartsWith("--", StringComparison.Ordinal) ? 1 : 0).ThenBy(a => a.Length).ToList();
        string label = string.Join(", ", names);
        if (o.ValueType != typeof(bool) && o.Arity.MaximumNumberOfValues > 0)
            label += " <" + (o.HelpName ?? o.Name.TrimStart('-').ToUpperInvariant()) + ">" + (o.Arity.MaximumNumberOfValues > 1 ? "..." : "");
        return label;
    }

    private static void Rows(StringBuilder sb, List<(string Label, string Text)> rows)
    {
        if (rows.Count == 0) return;
        int column = Math.Min(rows.Max(r => r.Label.Length) + 4, 30);
        foreach (var (label, text) in rows)
        {
            sb.Append("  ").Append(label);
            if (label.Length + 2 >= column - 1)
            {
                sb.Append('\n');
                if (text.Length > 0) Paragraph(sb, text, column);
                continue;
            }
            sb.Append(' ', column - 2 - label.Length);
            var lines = new StringBuilder();
            Paragraph(lines, text, column);
            sb.Append(lines.ToString().TrimStart(' '));
            if (text.Length == 0) sb.Append('\n');
        }
    }

    /// <summary>Wraps each line of <paramref name="text"/> at the help width, indented by <paramref name="indent"/>.</summary>
    private static void Paragraph(StringBuilder sb, string text, int indent)
    {
        foreach (string raw in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            int lead = raw.Length - raw.TrimStart(' ').Length;
            var words = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                sb.Append('\n');
                continue;
            }
            int pad = indent + lead, col = 0;
            foreach (string w in words)
            {
                if (col > 0 && col + 1 + w.Length > Width)
                {
                    sb.Append('\n');
                    col = 0;
                }
                if (col == 0)
                {
                    sb.Append(' ', pad);
                    col = pad;
                }
                else
                {
                    sb.Append(' ');
                    col++;
                }
                sb.Append(w);
                col += w.Length;
            }
            sb.Append('\n');
        }
    }
}

/// <summary>--version: "vdisk X.Y.Z" (CI scripts parse it).</summary>
internal sealed class VersionWriter : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        Console.Out.WriteLine("vdisk " + Program.Version);
        Console.Out.Flush();
        return Program.ExitOk;
    }
}
