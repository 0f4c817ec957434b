using VirtualDiskManaged.Cli.Commands;
using System.Globalization;
using System.Text.Json;
using System.Xml;

namespace VirtualDiskManaged.Cli.Check;

/// <summary>The totals of a run.</summary>
internal readonly record struct Summary(int Total, int Ok, int Failed, int Errors)
{
    public static Summary Of(IReadOnlyList<CheckResult> results) => new(results.Count,
        results.Count(r => r.Status == CheckStatus.Ok), results.Count(r => r.Status == CheckStatus.Failed),
        results.Count(r => r.Status == CheckStatus.Error));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Total} image{(Total == 1 ? "" : "s")}: {Ok} ok, {Failed} failed{(Errors > 0 ? $", {Errors} internal error{(Errors == 1 ? "" : "s")}" : "")}");
}

/// <summary>Human-readable lines: one block per image, in input order.</summary>
internal static class TextReport
{
    public static void Write(TextWriter o, CheckResult r)
    {
        string status = r.Status switch { CheckStatus.Ok => "ok", CheckStatus.Failed => "FAILED", _ => "ERROR" };
        if (r.Status == CheckStatus.Ok)
        {
            string what = r.Format is null ? "" : $"  {r.Format}{(r.Format == "iso" ? "" : " " + r.Subtype)}, {Text.Size(r.VirtualSize ?? 0)}";
            if (r.ChainLength > 1) what += $", chain of {r.ChainLength}";
            Line(o, $"{status,-7}{r.Path}{what}");
        }
        else if (r.InternalError is not null)
        {
            Line(o, $"{status,-7}{r.Path}  internal error (a bug): {r.InternalError}");
        }
        else if (r.InputError is not null)
        {
            Line(o, $"{status,-7}{r.Path}  input error: {r.InputError}");
        }
        else if (r.Code is uint c && c != 0)
        {
            Line(o, $"{status,-7}{r.Path}  {Text.Code(c)}  {r.Reason}");
            Line(o, $"       message: {r.Message}");
            if (r.File is not null && r.File != r.Path) Line(o, $"       file:    {r.File}");
        }
        else
        {
            string broken = string.Join(", ", r.Rules.Where(v => v.IsError).Select(v => v.Rule));
            Line(o, $"{status,-7}{r.Path}  {r.Format}{(r.Format == "iso" ? "" : " " + r.Subtype)}, {Text.Size(r.VirtualSize ?? 0)}: breaks {broken}");
        }
        foreach (var w in r.Warnings) Line(o, "       " + Text.Warning(w.Reason, w.Code, w.Message));
        foreach (var v in r.Rules) Line(o, $"       {(v.IsError ? "rule" : "warning")} {v.Rule}: {v.Message} Fix: {v.Hint}");
        if (r.Deep is { } d)
        {
            Line(o, $"       deep: {d.BytesRead:N0} bytes read{(d.Sha256 is null ? "" : ", sha256 " + d.Sha256)}");
            foreach (var p in d.Problems) Line(o, $"       problem: {Text.Code(p.Code)} {p.Reason}: {p.Message}");
        }
    }

    /// <summary>A line for a terminal: control characters in names and messages as \xNN (a file name can hold an escape sequence).</summary>
    private static void Line(TextWriter o, string line) => o.WriteLine(FileSystemInput.Printable(line));
}

/// <summary>The JSON report (schema: check-result.schema.json, schemaVersion 1).</summary>
internal static class JsonReport
{
    public const int SchemaVersion = 1;

    public static void Write(Stream stream, IReadOnlyList<CheckResult> results, CheckSettings settings)
    {
        using (var w = new Utf8JsonWriter(stream, Text.JsonOptions))
        {
            var s = Summary.Of(results);
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", SchemaVersion);
            w.WriteStartObject("tool");
            w.WriteString("name", "vdisk");
            w.WriteString("version", Program.Version);
            w.WriteEndObject();
            w.WriteStartObject("options");
            w.WriteString("rules", settings.Rules == OpenRuleSet.Current ? "current" : "documented");
            w.StringOrNull("profile", settings.Profile);
            w.WriteBoolean("deep", settings.Deep);
            w.WriteBoolean("strict", settings.Strict);
            w.WriteBoolean("hash", settings.Hash);
            w.StringOrNull("shard", settings.Shard);
            w.WriteEndObject();
            w.WriteStartObject("summary");
            w.WriteNumber("total", s.Total);
            w.WriteNumber("ok", s.Ok);
            w.WriteNumber("failed", s.Failed);
            w.WriteNumber("internalErrors", s.Errors);
            w.WriteEndObject();
            w.WriteStartArray("results");
            foreach (var r in results) WriteResult(w, r);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }

    private static void WriteResult(Utf8JsonWriter w, CheckResult r)
    {
        w.WriteStartObject();
        w.WriteString("path", r.Path);
        w.WriteString("status", r.Status switch { CheckStatus.Ok => "ok", CheckStatus.Failed => "failed", _ => "error" });
        w.WriteBoolean("ok", r.Status == CheckStatus.Ok);
        if (r.Code is uint c)
        {
            w.WriteNumber("code", c);
            w.WriteString("hex", Text.Hex(c));
            w.WriteString("name", Text.Symbol(c));
        }
        else
        {
            w.WriteNull("code");
            w.WriteNull("hex");
            w.WriteNull("name");
        }
        w.StringOrNull("reason", r.Reason);
        w.StringOrNull("message", r.Message);
        w.StringOrNull("file", r.File);
        w.StringOrNull("format", r.Format);
        w.StringOrNull("subtype", r.Subtype);
        if (r.VirtualSize is long vs) w.WriteNumber("virtualSize", vs);
        else w.WriteNull("virtualSize");
        if (r.FileSize is long fs) w.WriteNumber("fileSize", fs);
        else w.WriteNull("fileSize");
        w.WriteNumber("chainLength", r.ChainLength);
        if (r.ElTorito is bool et) w.WriteBoolean("elTorito", et);
        else w.WriteNull("elTorito");
        w.WriteStartArray("warnings");
        foreach (var d in r.Warnings) WriteDiagnostic(w, d);
        w.WriteEndArray();
        w.WriteStartArray("rules");
        foreach (var v in r.Rules)
        {
            w.WriteStartObject();
            w.WriteString("rule", v.Rule);
            w.WriteString("severity", v.Severity);
            w.WriteString("message", v.Message);
            w.WriteString("hint", v.Hint);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (r.Deep is { } deep)
        {
            w.WriteStartObject("deep");
            w.WriteNumber("bytesRead", deep.BytesRead);
            w.StringOrNull("sha256", deep.Sha256);
            w.WriteStartArray("problems");
            foreach (var p in deep.Problems) WriteDiagnostic(w, p);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        else w.WriteNull("deep");
        w.StringOrNull("internalError", r.InternalError);
        w.StringOrNull("inputError", r.InputError);
        w.WriteNumber("seconds", Math.Round(r.Seconds, 3));
        w.WriteEndObject();
    }

    private static void WriteDiagnostic(Utf8JsonWriter w, ReportedDiagnostic d)
    {
        w.WriteStartObject();
        w.WriteString("reason", d.Reason);
        w.WriteNumber("code", d.Code);
        w.WriteString("hex", Text.Hex(d.Code));
        w.WriteString("name", Text.Symbol(d.Code));
        w.WriteString("message", d.Message);
        w.StringOrNull("file", d.File);
        w.StringOrNull("entryPath", d.EntryPath);
        if (d.Offset is long offset) w.WriteNumber("offset", offset);
        else w.WriteNull("offset");
        w.WriteEndObject();
    }
}

/// <summary>JUnit XML: one test case per image (failed → failure, internal error → error).</summary>
internal static class JUnitReport
{
    public static void Write(Stream stream, IReadOnlyList<CheckResult> results, CheckSettings settings)
    {
        var s = Summary.Of(results);
        var xs = new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false), CheckCharacters = false };
        using var w = XmlWriter.Create(stream, xs);
        string suite = Clean("vdisk check" + (settings.Profile is null ? "" : " --profile " + settings.Profile));
        string time = results.Sum(r => r.Seconds).ToString("0.###", CultureInfo.InvariantCulture);
        w.WriteStartDocument();
        w.WriteStartElement("testsuites");
        w.WriteAttributeString("name", suite);
        w.WriteAttributeString("tests", Num(s.Total));
        w.WriteAttributeString("failures", Num(s.Failed));
        w.WriteAttributeString("errors", Num(s.Errors));
        w.WriteAttributeString("time", time);
        w.WriteStartElement("testsuite");
        w.WriteAttributeString("name", suite);
        w.WriteAttributeString("tests", Num(s.Total));
        w.WriteAttributeString("failures", Num(s.Failed));
        w.WriteAttributeString("errors", Num(s.Errors));
        w.WriteAttributeString("skipped", "0");
        w.WriteAttributeString("time", time);
        w.WriteAttributeString("timestamp", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
        foreach (var r in results)
        {
            w.WriteStartElement("testcase");
            w.WriteAttributeString("classname", "vdisk.check" + (settings.Profile is null ? "" : "." + settings.Profile));
            w.WriteAttributeString("name", Clean(r.Path));
            w.WriteAttributeString("time", r.Seconds.ToString("0.###", CultureInfo.InvariantCulture));
            var details = new StringWriter();
            if (r.JUnitDetails is not null) details.Write(r.JUnitDetails);
            else TextReport.Write(details, r);
            if (r.Status == CheckStatus.Error)
            {
                w.WriteStartElement("error");
                w.WriteAttributeString("type", "InternalError");
                w.WriteAttributeString("message", Clean(r.InternalError ?? ""));
                w.WriteString(Clean(details.ToString()));
                w.WriteEndElement();
            }
            else if (r.Status == CheckStatus.Failed)
            {
                string type = r.Code is uint c && c != 0 ? Text.Symbol(c) : r.InputError is not null ? "InputError" : "ProfileRule";
                string message = r.Code is uint code && code != 0 ? $"{Text.Code(code)} {r.Reason}: {r.Message}"
                    : r.InputError ?? string.Join("; ", r.Rules.Where(v => v.IsError).Select(v => $"{v.Rule}: {v.Message}"));
                w.WriteStartElement("failure");
                w.WriteAttributeString("type", type);
                w.WriteAttributeString("message", Clean(message));
                w.WriteString(Clean(details.ToString()));
                w.WriteEndElement();
            }
            else if (r.Warnings.Count > 0 || r.Rules.Count > 0 || r.Deep is not null || !string.IsNullOrEmpty(r.JUnitDetails))
            {
                w.WriteElementString("system-out", Clean(details.ToString()));
            }
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndDocument();
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Drops characters XML 1.0 cannot carry (file names and messages can hold anything).</summary>
    private static string Clean(string s)
    {
        if (s.All(XmlConvert.IsXmlChar)) return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (XmlConvert.IsXmlChar(s[i])) sb.Append(s[i]);
            else if (i + 1 < s.Length && XmlConvert.IsXmlSurrogatePair(s[i + 1], s[i])) sb.Append(s[i]).Append(s[++i]);
            else sb.Append('\uFFFD');
        }
        return sb.ToString();
    }
}
