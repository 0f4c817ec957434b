namespace VirtualDiskManaged.Cli;

/// <summary>Placeholder entry point until the CLI lands.</summary>
internal static class Program
{
    private static int Main(string[] args) => args.Length == 0 ? 2 : 0;
}
