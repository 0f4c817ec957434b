using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// A deliberately small JSON Schema checker for the keywords check-result.schema.json uses (type, const, enum,
/// required, properties, items, $ref to #/$defs, oneOf, pattern, minimum, maximum). Returns every violation.
/// </summary>
internal static class MiniSchema
{
    public static List<string> Validate(JsonElement schemaRoot, JsonElement instance)
    {
        var errors = new List<string>();
        Check(schemaRoot, schemaRoot, instance, "$", errors);
        return errors;
    }

    private static void Check(JsonElement root, JsonElement schema, JsonElement value, string at, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var r))
        {
            string name = r.GetString()!;
            Assert.That(name, Does.StartWith("#/$defs/"), "only local $defs references are used");
            Check(root, root.GetProperty("$defs").GetProperty(name["#/$defs/".Length..]), value, at, errors);
        }
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!types.Any(t => IsType(value, t))) errors.Add($"{at}: {value.ValueKind} is not {string.Join("|", types)}");
        }
        if (schema.TryGetProperty("const", out var c) && !JsonElement.DeepEquals(c, value)) errors.Add($"{at}: {value} is not the constant {c}");
        if (schema.TryGetProperty("enum", out var e) && !e.EnumerateArray().Any(x => JsonElement.DeepEquals(x, value)))
            errors.Add($"{at}: {value} is not one of {e}");
        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            int matches = oneOf.EnumerateArray().Count(s => { var sub = new List<string>(); Check(root, s, value, at, sub); return sub.Count == 0; });
            if (matches != 1) errors.Add($"{at}: matches {matches} of the oneOf alternatives");
        }
        if (value.ValueKind == JsonValueKind.String && schema.TryGetProperty("pattern", out var pattern)
            && !Regex.IsMatch(value.GetString()!, pattern.GetString()!, RegexOptions.CultureInvariant))
            errors.Add($"{at}: '{value.GetString()}' does not match {pattern}");
        if (value.ValueKind == JsonValueKind.Number)
        {
            double d = value.GetDouble();
            if (schema.TryGetProperty("minimum", out var min) && d < min.GetDouble()) errors.Add($"{at}: {d} < minimum {min}");
            if (schema.TryGetProperty("maximum", out var max) && d > max.GetDouble()) errors.Add($"{at}: {d} > maximum {max}");
        }
        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var req))
                foreach (var name in req.EnumerateArray())
                    if (!value.TryGetProperty(name.GetString()!, out _)) errors.Add($"{at}: required member '{name.GetString()}' is missing");
            if (schema.TryGetProperty("properties", out var props))
                foreach (var p in props.EnumerateObject())
                    if (value.TryGetProperty(p.Name, out var member)) Check(root, p.Value, member, at + "." + p.Name, errors);
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var item in value.EnumerateArray()) Check(root, items, item, at + "[" + (i++).ToString(CultureInfo.InvariantCulture) + "]", errors);
        }
    }

    private static bool IsType(JsonElement v, string t) => t switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _) || v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out _),
        _ => throw new InvalidOperationException("type " + t),
    };
}
