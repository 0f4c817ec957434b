using System.Globalization;
using System.Text.Json;

namespace VirtualDiskManaged.Cli;

/// <summary>How codes, sizes and names are written (text and JSON alike).</summary>
internal static class Text
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Hex(uint code) => "0x" + code.ToString("X8", Inv);

    public static string Symbol(uint code) => VirtualDiskErrors.SymbolOf((VirtualDiskError)code);

    /// <summary>"3225026561 (0xC03A0001) ERROR_VHD_DRIVE_FOOTER_MISSING".</summary>
    public static string Code(uint code) => string.Create(Inv, $"{code} ({Hex(code)}) {Symbol(code)}");

    public static string FormatName(VirtualDiskFormat f) => f switch
    {
        VirtualDiskFormat.Iso => "iso",
        VirtualDiskFormat.Vhd => "vhd",
        VirtualDiskFormat.Vhdx => "vhdx",
        _ => ((int)f).ToString(Inv),
    };

    public static string SubtypeName(VirtualDiskProviderSubtype s) => s switch
    {
        VirtualDiskProviderSubtype.None => "none",
        VirtualDiskProviderSubtype.Fixed => "fixed",
        VirtualDiskProviderSubtype.Dynamic => "dynamic",
        VirtualDiskProviderSubtype.Differencing => "differencing",
        _ => ((uint)s).ToString(Inv),
    };

    /// <summary>"16,781,312 bytes (16.0 MiB)".</summary>
    public static string Size(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        if (bytes < 1024) return string.Create(Inv, $"{bytes:N0} bytes");
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return string.Create(Inv, $"{bytes:N0} bytes ({v:0.0#} {units[u]})");
    }

    public static string Guid(Guid g) => g.ToString("D", Inv);

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Inv);

    public static readonly JsonWriterOptions JsonOptions = new()
    {
        Indented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void StringOrNull(this Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    /// <summary>"1 file", "2 files".</summary>
    public static string Count(long n, string singular, string? plural = null) =>
        string.Create(Inv, $"{n:N0} {(n == 1 ? singular : plural ?? singular + "s")}");

    /// <summary>
    /// The diagnostic's message without the file: the reason's sentence, the specifics, the offset, the paths tried and
    /// the cause, from the diagnostic's own parts. The CLI prints the file once, on its own line or field, so this never
    /// repeats it (whether or not <see cref="VirtualDiskDiagnostic.Message"/> appends one).
    /// </summary>
    public static string Message(VirtualDiskDiagnostic d)
    {
        var sb = new System.Text.StringBuilder();
        Sentence(sb, VirtualDiskErrors.MessageOf(d.Reason));
        if (!string.IsNullOrEmpty(d.Detail)) Sentence(sb, d.Detail);
        if (d.Offset is long o)
        {
            if (sb.Length > 0 && sb[^1] == '.') sb.Length--;
            sb.Append(Inv, $" (at byte offset {o}).");
        }
        if (d.PathsTried.Count > 0) Sentence(sb, "Paths tried: " + string.Join("; ", d.PathsTried));
        if (d.Inner is not null) Sentence(sb, "Cause: " + Message(d.Inner));
        return sb.ToString();
    }

    private static void Sentence(System.Text.StringBuilder sb, string text)
    {
        text = text.Trim();
        if (text.Length == 0) return;
        if (sb.Length > 0) sb.Append(' ');
        sb.Append(text);
        if (text[^1] is not ('.' or '!' or '?' or ')')) sb.Append('.');
    }

    /// <summary>
    /// A warning as one line: "warning: Reason: message (strict mode: code N (0x…) NAME)". The code is what --strict
    /// would fail the open with, not an error of this run.
    /// </summary>
    public static string Warning(string reason, uint code, string message) =>
        $"warning: {reason}: {message} (strict mode: code {Code(code)})";

    /// <summary>The diagnostic as a JSON object: reason, code, hex, name, message, file.</summary>
    public static void WriteDiagnostic(Utf8JsonWriter w, VirtualDiskDiagnostic d, Func<string?, string?> map)
    {
        w.WriteStartObject();
        w.WriteString("reason", d.Reason.ToString());
        w.WriteNumber("code", d.ErrorCode);
        w.WriteString("hex", Hex(d.ErrorCode));
        w.WriteString("name", Symbol(d.ErrorCode));
        w.WriteString("message", map(Message(d)));
        w.StringOrNull("file", map(d.Root.FilePath ?? d.FilePath));
        w.WriteEndObject();
    }
}
