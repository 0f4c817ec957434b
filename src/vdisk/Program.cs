using System.Reflection;
using VirtualDiskManaged.Cli.Commands;

namespace VirtualDiskManaged.Cli;

/// <summary>
/// <c>vdisk</c>: opens VHD, VHDX and ISO images the way Windows' OpenVirtualDisk does and reports what it says.
/// Exit status: 0 success, 1 an image failed, 2 usage error, 3 internal error (a bug).
/// </summary>
internal static class Program
{
    public const int ExitOk = 0, ExitFailed = 1, ExitUsage = 2, ExitInternal = 3;

    private const string MainHelp = """
        vdisk - what would Windows' OpenVirtualDisk say? (VHD, VHDX, ISO; offline, any OS)

        Usage: vdisk <command> [options]

        Commands:
          check PATH...   validate images (files or folders) for CI; text, JSON or JUnit report
          info PATH       everything the library knows about an image and its chain
          open PATH       one OpenVirtualDisk call with explicit arguments; prints the Win32 code
          hash PATH       SHA-256 of the whole virtual content
          cat PATH        write virtual bytes to stdout

        Options:
          -h, --help      help (also after a command: vdisk check --help)
          --version       the tool's version

        Images may be gzip-compressed (X.vhd.gz): they are expanded to a private temp folder and reported
        under the .gz path. Exit status: 0 success, 1 an image failed, 2 usage error, 3 internal error.
        """;

    private static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("vdisk: " + e.Message);
            Console.Error.WriteLine("Try 'vdisk --help'.");
            return ExitUsage;
        }
    }

    internal static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(MainHelp);
            return ExitUsage;
        }
        string command = args[0];
        var rest = args.AsSpan(1).ToArray();
        switch (command)
        {
            case "--help" or "-h" or "help" or "-?":
                if (command == "help" && rest.Length > 0) return Run([rest[0], "--help"]);
                Console.WriteLine(MainHelp);
                return ExitOk;
            case "--version" or "version":
                Console.WriteLine("vdisk " + Version);
                return ExitOk;
            case "open": return OpenCommand.Run(rest);
            case "check": return CheckCommand.Run(rest);
            case "info": return InfoCommand.Run(rest);
            case "hash": return HashCommand.Run(rest);
            case "cat": return CatCommand.Run(rest);
            default:
                throw new UsageException($"unknown command '{command}' (commands: check, info, open, hash, cat)");
        }
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

    /// <summary>Prints a command's help to stdout when asked; returns true when it did.</summary>
    internal static bool ShowHelp(ParsedArgs a, string help)
    {
        if (!a.Help) return false;
        Console.WriteLine(help);
        return true;
    }

    /// <summary>Exactly <paramref name="count"/> positional arguments, or a usage error.</summary>
    internal static void RequirePositionals(ParsedArgs a, int count, string what)
    {
        if (a.Positionals.Count < count) throw new UsageException($"missing {what}");
        if (a.Positionals.Count > count) throw new UsageException($"unexpected argument '{a.Positionals[count]}'");
    }
}
