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

    /// <summary>The diagnostic as a JSON object: reason, code, hex, name, message, file.</summary>
    public static void WriteDiagnostic(Utf8JsonWriter w, VirtualDiskDiagnostic d, Func<string?, string?> map)
    {
        w.WriteStartObject();
        w.WriteString("reason", d.Reason.ToString());
        w.WriteNumber("code", d.ErrorCode);
        w.WriteString("hex", Hex(d.ErrorCode));
        w.WriteString("name", Symbol(d.ErrorCode));
        w.WriteString("message", map(d.Message));
        w.StringOrNull("file", map(d.Root.FilePath ?? d.FilePath));
        w.WriteEndObject();
    }
}
