using System.Globalization;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using VirtualDiskManaged.Cli.Commands;

namespace VirtualDiskManaged.Cli.Check;

/// <summary>
/// Reads reports that <c>vdisk check</c> wrote (--format json or junit) back into results, for --merge-reports.
/// A JSON report gives back every field; a JUnit report carries less (path, status, the failure's code, reason and
/// message, the time and the text block), so results merged from JUnit have only those.
/// </summary>
internal static class ReportReader
{
    /// <summary>Largest report file read (a report of a million images is far below it).</summary>
    private const long MaxReportBytes = 2L << 30;

    public static (List<CheckResult> Results, CheckSettings Settings) ReadAll(IReadOnlyList<string> files)
    {
        var results = new List<CheckResult>();
        var from = new Dictionary<string, string>(StringComparer.Ordinal);
        CheckSettings? settings = null;
        bool full = false;
        string? settingsFrom = null;
        foreach (string file in files)
        {
            var (rs, s, sFull) = Read(file);
            if (settings is null || (sFull && !full))
            {
                if (settings is not null && settings.Profile != s.Profile)
                    throw new InputException($"{file}: made with another profile than {settingsFrom}; merge reports of one run only");
                settings = s;
                full = sFull;
                settingsFrom = file;
            }
            else if (sFull ? !SameRun(settings, s) : settings.Profile != s.Profile)
                throw new InputException($"{file}: made with other options than {settingsFrom} ({Describe(s)} vs {Describe(settings)}); merge reports of one run only");
            foreach (var r in rs)
            {
                if (!from.TryAdd(r.Path, file)) throw new InputException($"{file}: {r.Path} is also in {from[r.Path]} (a shard merged twice, or overlapping runs)");
                results.Add(r);
            }
        }
        results.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return (results, (settings ?? new CheckSettings(OpenRuleSet.Documented, null, false, false, false)) with { Shard = null });
    }

    private static bool SameRun(CheckSettings a, CheckSettings b) =>
        a.Rules == b.Rules && a.Profile == b.Profile && a.Deep == b.Deep && a.Strict == b.Strict && a.Hash == b.Hash;

    private static string Describe(CheckSettings s) =>
        $"rules {(s.Rules == OpenRuleSet.Current ? "current" : "documented")}, profile {s.Profile ?? "none"}, deep {s.Deep}, strict {s.Strict}, hash {s.Hash}";

    private static (List<CheckResult>, CheckSettings, bool Full) Read(string file)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists) throw new InputException($"{file}: no such report file");
            if (info.Length > MaxReportBytes) throw new InputException($"{file}: larger than {MaxReportBytes:N0} bytes, not a report");
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{file}: cannot read: {e.Message}");
        }
        int i = 0;
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) i = 3;
        while (i < bytes.Length && bytes[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') i++;
        try
        {
            if (i < bytes.Length && bytes[i] == '{') return ReadJson(bytes);
            if (i < bytes.Length && bytes[i] == '<') return ReadJUnit(bytes);
        }
        catch (Exception e) when (e is JsonException or XmlException or InvalidOperationException or KeyNotFoundException or FormatException or OverflowException)
        {
            throw new InputException($"{file}: not a report written by vdisk check ({e.Message})");
        }
        throw new InputException($"{file}: not a report written by vdisk check (neither JSON nor JUnit XML)");
    }

    private static (List<CheckResult>, CheckSettings, bool Full) ReadJson(byte[] bytes)
    {
        using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
        var root = doc.RootElement;
        if (root.GetProperty("schemaVersion").GetInt32() != JsonReport.SchemaVersion)
            throw new FormatException($"schemaVersion {root.GetProperty("schemaVersion")}, this vdisk reads {JsonReport.SchemaVersion}");
        var o = root.GetProperty("options");
        var settings = new CheckSettings(OpenOptions.ToRuleSet(o.GetProperty("rules").GetString()), Str(o, "profile"),
            o.GetProperty("deep").GetBoolean(), o.GetProperty("strict").GetBoolean(), o.GetProperty("hash").GetBoolean());
        var list = new List<CheckResult>();
        foreach (var x in root.GetProperty("results").EnumerateArray())
        {
            var r = new CheckResult
            {
                Path = x.GetProperty("path").GetString() ?? throw new FormatException("a result without a path"),
                Status = x.GetProperty("status").GetString() switch
                {
                    "ok" => CheckStatus.Ok,
                    "failed" => CheckStatus.Failed,
                    "error" => CheckStatus.Error,
                    var other => throw new FormatException($"unknown status '{other}'"),
                },
                Code = x.GetProperty("code").ValueKind == JsonValueKind.Null ? null : x.GetProperty("code").GetUInt32(),
                Reason = Str(x, "reason"),
                Message = Str(x, "message"),
                File = Str(x, "file"),
                Format = Str(x, "format"),
                Subtype = Str(x, "subtype"),
                VirtualSize = Long(x, "virtualSize"),
                FileSize = Long(x, "fileSize"),
                ChainLength = x.GetProperty("chainLength").GetInt32(),
                ElTorito = x.TryGetProperty("elTorito", out var et) && et.ValueKind != JsonValueKind.Null ? et.GetBoolean() : null,
                InternalError = Str(x, "internalError"),
                InputError = Str(x, "inputError"),
                Seconds = x.TryGetProperty("seconds", out var sec) ? sec.GetDouble() : 0,
            };
            foreach (var w in x.GetProperty("warnings").EnumerateArray()) r.Warnings.Add(Diagnostic(w));
            foreach (var v in x.GetProperty("rules").EnumerateArray())
                r.Rules.Add(new RuleViolation(v.GetProperty("rule").GetString()!, v.GetProperty("severity").GetString() == "error",
                    v.GetProperty("message").GetString() ?? "", v.GetProperty("hint").GetString() ?? ""));
            if (x.GetProperty("deep") is { ValueKind: JsonValueKind.Object } d)
                r.Deep = new DeepResult(d.GetProperty("bytesRead").GetInt64(), Str(d, "sha256"), [.. d.GetProperty("problems").EnumerateArray().Select(Diagnostic)]);
            list.Add(r);
        }
        return (list, settings, true);
    }

    private static ReportedDiagnostic Diagnostic(JsonElement d) =>
        new(d.GetProperty("reason").GetString() ?? "", d.GetProperty("code").GetUInt32(), d.GetProperty("message").GetString() ?? "", Str(d, "file"));

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    private static (List<CheckResult>, CheckSettings, bool Full) ReadJUnit(byte[] bytes)
    {
        var xs = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, CheckCharacters = false, MaxCharactersInDocument = MaxReportBytes };
        using var reader = XmlReader.Create(new MemoryStream(bytes), xs);
        var doc = XDocument.Load(reader);
        var list = new List<CheckResult>();
        string? profile = null;
        foreach (var tc in doc.Descendants("testcase"))
        {
            string classname = (string?)tc.Attribute("classname") ?? "";
            if (!classname.StartsWith("vdisk.check", StringComparison.Ordinal)) throw new FormatException($"testcase classname '{classname}' is not vdisk.check");
            if (classname.Length > "vdisk.check.".Length) profile = classname["vdisk.check.".Length..];
            var r = new CheckResult
            {
                Path = (string?)tc.Attribute("name") ?? throw new FormatException("a testcase without a name"),
                Seconds = double.TryParse((string?)tc.Attribute("time"), NumberStyles.Float, CultureInfo.InvariantCulture, out double t) ? t : 0,
            };
            if (tc.Element("error") is { } error)
            {
                r.Status = CheckStatus.Error;
                r.InternalError = (string?)error.Attribute("message");
                r.Message = r.InternalError;
                r.JUnitDetails = error.Value;
            }
            else if (tc.Element("failure") is { } failure)
            {
                r.Status = CheckStatus.Failed;
                string type = (string?)failure.Attribute("type") ?? "";
                string message = (string?)failure.Attribute("message") ?? "";
                r.JUnitDetails = failure.Value;
                if (type == "InputError") r.InputError = r.Message = message;
                else if (type == "ProfileRule") r.Message = message;
                else ParseCodeMessage(r, message);
            }
            else
            {
                r.Code = 0;
                r.JUnitDetails = tc.Element("system-out")?.Value;
            }
            list.Add(r);
        }
        // A JUnit report names only the profile (in the classname); the other options are unknown.
        return (list, new CheckSettings(OpenRuleSet.Documented, profile, false, false, false), false);
    }

    /// <summary>"1392 (0x00000570) ERROR_FILE_CORRUPT Reason: message" (JUnitReport's failure message).</summary>
    private static void ParseCodeMessage(CheckResult r, string message)
    {
        int space = message.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && uint.TryParse(message.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out uint code))
        {
            r.Code = code;
            string rest = message[(space + 1)..];
            // Skip "(0x…) NAME ".
            string[] parts = rest.Split(' ', 3);
            if (parts.Length == 3)
            {
                int colon = parts[2].IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                {
                    r.Reason = parts[2][..colon];
                    r.Message = parts[2][(colon + 2)..];
                    return;
                }
            }
        }
        r.Message = message;
    }
}
