using System.Globalization;
using System.Text;

namespace VirtualDiskManaged.Cli.CommandLine;

/// <summary>
/// What the tool prints is text about files and images whose names, labels and messages can hold anything, including
/// escape sequences a terminal would obey. So every control character (C0 but line feed and tab, DEL, C1) is printed
/// as <c>\xNN</c>: in names (<see cref="Printable"/>) and, through <see cref="PrintableWriter"/>, in everything written
/// to Console.Out and Console.Error. The progress bars, which do mean their carriage returns and erase sequences, write
/// to <see cref="RawError"/>.
/// </summary>
internal static class Terminal
{
    /// <summary>stderr without the filter (set by <see cref="Output.Install"/>), for the progress bars' own control sequences.</summary>
    public static TextWriter RawError { get; set; } = Console.Error;

    // C0, DEL and C1; and the same without the characters that lay text out (line feed, tab; carriage return on Windows,
    // whose lines end with it).
    private static readonly System.Buffers.SearchValues<char> Controls = System.Buffers.SearchValues.Create(ControlChars(keepLines: false));
    private static readonly System.Buffers.SearchValues<char> NonLayoutControls = System.Buffers.SearchValues.Create(ControlChars(keepLines: true));

    private static string ControlChars(bool keepLines)
    {
        var chars = new StringBuilder();
        for (char c = '\0'; c <= '\x9F'; c++)
            if ((c < 0x20 || c >= 0x7F) && !(keepLines && IsLayout(c))) chars.Append(c);
        return chars.ToString();
    }

    /// <summary><paramref name="s"/> with each control character (line feeds and tabs included) as \xNN.</summary>
    public static string Printable(string s) => s.AsSpan().ContainsAny(Controls) ? Escape(s, keepLines: false) : s;

    /// <summary>Escapes control characters; <paramref name="keepLines"/> keeps line feeds and tabs (and carriage returns on Windows).</summary>
    public static string Escape(ReadOnlySpan<char> s, bool keepLines)
    {
        var escaped = keepLines ? NonLayoutControls : Controls;
        var sb = new StringBuilder(s.Length + 8);
        foreach (char c in s)
        {
            if (escaped.Contains(c)) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Whether <paramref name="s"/> needs <see cref="Escape"/> when lines are kept (one vectorised search).</summary>
    public static bool NeedsEscape(ReadOnlySpan<char> s) => s.ContainsAny(NonLayoutControls);

    private static bool IsLayout(char c) => c is '\n' or '\t' || (c == '\r' && OperatingSystem.IsWindows());
}

/// <summary>A text writer that prints control characters as \xNN (line feeds and tabs kept); see <see cref="Terminal"/>.</summary>
internal sealed class PrintableWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    public override void Write(char value)
    {
        if (Terminal.NeedsEscape([value])) inner.Write(Terminal.Escape([value], keepLines: true));
        else inner.Write(value);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (Terminal.NeedsEscape(buffer)) inner.Write(Terminal.Escape(buffer, keepLines: true));
        else inner.Write(buffer);
    }

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(string? value) => Write(value.AsSpan());

    public override void WriteLine(string? value)
    {
        Write(value.AsSpan());
        inner.WriteLine();
    }

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        Write(buffer);
        inner.WriteLine();
    }

    public override void WriteLine() => inner.WriteLine();

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
