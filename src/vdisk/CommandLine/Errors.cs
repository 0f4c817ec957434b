namespace VirtualDiskManaged.Cli;

/// <summary>A command-line mistake found after parsing (options that contradict each other): exit status 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>An input that could not be used (a .gz that is cut short, damaged or too large): exit status 1.</summary>
internal sealed class InputException(string message) : Exception(message);

/// <summary>The output could not be written (disk full, closed stdout, a folder given as --output): exit status 4.</summary>
internal sealed class OutputException(string target, string reason, Exception? inner)
    : Exception($"cannot write {target}: {reason}", inner)
{
    public string Target { get; } = target;

    public string Reason { get; } = reason;
}
