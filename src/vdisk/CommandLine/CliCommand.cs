using System.CommandLine;

namespace VirtualDiskManaged.Cli.CommandLine;

/// <summary>
/// A vdisk command: a System.CommandLine <see cref="Command"/> with what its generated help shows beyond the
/// symbols (a longer explanation, option sections and the exit statuses). Every command file builds one.
/// </summary>
internal sealed class CliCommand : Command
{
    public CliCommand(string name, string summary, string details, string exitStatus) : base(name, summary)
    {
        Details = details;
        ExitStatus = exitStatus;
    }

    /// <summary>Paragraphs printed under the usage line.</summary>
    public string Details { get; }

    /// <summary>"0 …, 1 …" — the help's "Exit status:" line (the statuses every command shares are appended).</summary>
    public string ExitStatus { get; }

    /// <summary>Options shown under their own heading (e.g. "Open options"), in order; the rest go under "Options".</summary>
    public List<(string Title, IReadOnlyList<Option> Options)> Sections { get; } = [];

    /// <summary>Adds <paramref name="options"/> to the command and shows them under <paramref name="title"/>.</summary>
    public void AddSection(string title, IReadOnlyList<Option> options)
    {
        foreach (var o in options) Add(o);
        Sections.Add((title, options));
    }
}
