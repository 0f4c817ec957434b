using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Reflection;
using VirtualDiskManaged.Cli.CommandLine;
using VirtualDiskManaged.Cli.Commands;

namespace VirtualDiskManaged.Cli;

/// <summary>
/// <c>vdisk</c>: opens VHD, VHDX and ISO images the way Windows' OpenVirtualDisk does and reports what it says.
/// Exit status: 0 success, 1 an image failed or an input error, 2 usage error, 3 internal error (a bug),
/// 4 the output could not be written (docs/cli.md).
/// </summary>
internal static class Program
{
    public const int ExitOk = 0, ExitFailed = 1, ExitUsage = 2, ExitInternal = 3, ExitOutput = 4;

    /// <summary>
    /// Every command, in the order --help lists them. A new command is one file, Commands/&lt;Name&gt;Command.cs, with a
    /// static Build() returning its <see cref="CliCommand"/>, and one line here.
    /// </summary>
    private static readonly Func<Command>[] Commands =
    [
        CheckCommand.Build,
        InfoCommand.Build,
        OpenCommand.Build,
        HashCommand.Build,
        CatCommand.Build,
        LsCommand.Build,
        ExtractCommand.Build,
        CreateCommand.Build,
        MkisoCommand.Build,
        ConvertCommand.Build,
        MapCommand.Build,
        CompareCommand.Build,
        RepairCommand.Build,
        SetCommand.Build,
        ResizeCommand.Build,
        MergeCommand.Build,
        SetParentCommand.Build,
        MetadataCommand.Build,
        CompactCommand.Build,
    ];

    private static int Main(string[] args)
    {
        try
        {
            Output.Install();
        }
        catch (OutputException e)
        {
            return Report(e);
        }
        return Run(args);
    }

    /// <summary>The command tree (also what completion and the help are generated from).</summary>
    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("vdisk - what would Windows' OpenVirtualDisk say? (VHD, VHDX, ISO; offline, any OS)");
        foreach (var build in Commands) root.Add(build());
        foreach (var o in root.Options)
        {
            if (o is HelpOption help)
            {
                help.Action = new HelpWriter();
                help.Description = "show help (also after a command: vdisk check --help)";
            }
            else if (o is VersionOption version)
            {
                version.Action = new VersionWriter();
                version.Description = "print the tool's version";
            }
        }
        root.Add(HelpCommand(root));
        Values.RefuseRepeats(root);
        return root;
    }

    /// <summary>"vdisk help [COMMAND]": the same as "vdisk [COMMAND] --help" (hidden: --help is the documented form).</summary>
    private static Command HelpCommand(RootCommand root)
    {
        var help = new Command("help", "show help for a command") { Hidden = true };
        var name = new Argument<string?>("COMMAND") { Arity = ArgumentArity.ZeroOrOne };
        help.Add(name);
        help.SetAction(r =>
        {
            string? wanted = r.GetValue(name);
            Command target = wanted is null ? root
                : root.Subcommands.FirstOrDefault(c => c.Name == wanted && !c.Hidden)
                  ?? throw new UsageException($"unknown command '{wanted}' (commands: {string.Join(", ", root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))})");
            Console.Out.Write(HelpWriter.Render(target));
            return ExitOk;
        });
        return help;
    }

    internal static int Run(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args, new ParserConfiguration { EnablePosixBundling = true });
        if (parse.Action is ParseErrorAction || (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true }))
            return UsageError(parse, parse.Errors.Select(e => e.Message).Distinct().ToList());
        try
        {
            if (parse.Action is not { ClearsParseErrors: true }) ImageInput.LoadCap();
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (UsageException e)
        {
            return UsageError(parse, [e.Message]);
        }
        catch (Exception e) when (Unwrap(e) is OutputException o)
        {
            return Report(o);
        }
        catch (Exception e) when (Unwrap(e) is UsageException u)
        {
            return UsageError(parse, [u.Message]);
        }
        catch (Exception e)
        {
            return InternalError(e);
        }
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: > 0 } a) e = a.InnerExceptions.FirstOrDefault(x => x is OutputException) ?? a.InnerExceptions[0];
        return e;
    }

    private static int UsageError(ParseResult parse, IReadOnlyList<string> messages)
    {
        // "Unrecognized command 'x'" says more than "Required command was not provided" (both come for 'vdisk x').
        var shown = messages.Count > 1 ? messages.Where(m => !m.StartsWith("Required command", StringComparison.Ordinal)).ToList() : messages;
        foreach (string m in shown) Console.Error.WriteLine("vdisk: " + m);
        var command = parse.CommandResult.Command;
        Console.Error.WriteLine(command is RootCommand || command.Hidden ? "Try 'vdisk --help'." : $"Try 'vdisk {command.Name} --help'.");
        return ExitUsage;
    }

    /// <summary>"vdisk: cannot write OUTPUT: reason" on stderr, exit status 4.</summary>
    internal static int Report(OutputException e)
    {
        try
        {
            Console.Error.WriteLine("vdisk: " + e.Message);
        }
        catch (Exception x) when (x is IOException or UnauthorizedAccessException)
        {
            // stderr is gone too: the exit status still says it.
        }
        return ExitOutput;
    }

    /// <summary>An unexpected exception: a bug, reported on one line, exit status 3.</summary>
    internal static int InternalError(Exception e)
    {
        if (Unwrap(e) is OutputException o) throw o;
        Console.Error.WriteLine($"vdisk: internal error (a bug in the library or the tool): {e.GetType().FullName}: {e.Message}");
        return ExitInternal;
    }

    /// <summary>The package version (informational version without the source revision).</summary>
    public static string Version
    {
        get
        {
            string? v = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            if (string.IsNullOrEmpty(v)) return typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            int plus = v.IndexOf('+', StringComparison.Ordinal);
            return plus >= 0 ? v[..plus] : v;
        }
    }
}
