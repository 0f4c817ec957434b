using System.CommandLine;
using System.Text;
using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk map</c>: <see cref="VirtualDiskOperations.Map(VirtualDiskHandle)"/> (docs/operations.md "map").</summary>
internal static class MapCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("map", "the allocation map: which virtual ranges hold data, in which file of the chain and where",
            "Prints the allocation map of IMAGE (parents included) from its block tables only, no data read. Without open "
            + "options the image is opened as vdisk check opens it (read-only). With --json the "
            + "output is the array 'qemu-img map --output=json' prints (start, length, depth, present, zero, data, offset), one "
            + "object per line, each with \"file\": the file of the chain that answers for the run (depth 0 is IMAGE). Without "
            + "--json a table: start, length, kind (data, zero or absent), depth, file offset and file.",
            "0 the map was printed, 1 the image could not be opened or a block table could not be read (or a .gz could not be expanded)");
        var path = new Argument<string>("IMAGE") { Description = "the image (X.gz is expanded first)" };
        var json = Values.Switch("--json", "the qemu-img map --output=json array, with the file of each run");
        var open = new OpenOptions();
        command.Add(path);
        command.Add(json);
        open.AddTo(command);
        command.SetAction(r => Run(r.GetValue(path)!, r.GetValue(json), open.Bind(r).ToReadingOptions()));
        return command;
    }

    private static int Run(string path, bool json, VirtualDiskOpenOptions options) =>
        Reading.WithImage(path, options, (input, handle) =>
        {
            var map = VirtualDiskOperations.Map(handle);
            // A .gz input was expanded into a temp folder: name the files the user gave.
            if (input.IsCompressed)
            {
                // One mapping per file of the chain, not per run.
                var names = map.Select(e => e.FilePath).Distinct().ToDictionary(p => p, p => Path.GetFullPath(input.MapPath(p)!));
                map = [.. map.Select(e => e with { FilePath = names[e.FilePath] })];
            }
            Print(map, json);
            return Program.ExitOk;
        });

    private static void Print(IReadOnlyList<AllocationMapEntry> map, bool json)
    {
        using var stdout = Output.OpenStdout();
        if (json) WriteJson(stdout, map);
        else
        {
            var sb = new StringBuilder();
            sb.Append(Text.Inv, $"{"start",-20}{"length",-20}{"kind",-8}{"depth",-6}{"offset",-20}file\n");
            foreach (var e in map)
            {
                string kind = e.Data ? "data" : e.Zero ? "zero" : "absent";
                sb.Append(Text.Inv, $"0x{e.Start,-18:x}0x{e.Length,-18:x}{kind,-8}{e.Depth,-6}{(e.FileOffset is long o ? "0x" + o.ToString("x", Text.Inv) : "-"),-20}{e.FilePath}\n");
                if (sb.Length > 1 << 16) Flush(stdout, sb);
            }
            Flush(stdout, sb);
        }
    }

    private static void Flush(Stream stdout, StringBuilder sb)
    {
        stdout.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        sb.Clear();
    }

    /// <summary>qemu-img's layout: "[{ "start": 0, ... },\n{ ... }]\n", fields in its order, "offset" only for data runs, then "file".</summary>
    internal static void WriteJson(Stream stdout, IReadOnlyList<AllocationMapEntry> map)
    {
        var buffered = new BufferedStream(stdout, 1 << 16);
        var sb = new StringBuilder();
        sb.Append('[');
        for (int i = 0; i < map.Count; i++)
        {
            var e = map[i];
            if (i > 0) sb.Append(",\n");
            sb.Append(Text.Inv, $"{{ \"start\": {e.Start}, \"length\": {e.Length}, \"depth\": {e.Depth}, \"present\": {Bool(e.Present)}, \"zero\": {Bool(e.Zero)}, \"data\": {Bool(e.Data)}");
            if (e.FileOffset is long o) sb.Append(Text.Inv, $", \"offset\": {o}");
            sb.Append(", \"file\": \"").Append(JsonEncodedText.Encode(e.FilePath, Text.JsonOptions.Encoder).ToString()).Append("\"}");
            if (sb.Length > 1 << 15) { buffered.Write(Encoding.UTF8.GetBytes(sb.ToString())); sb.Clear(); }
        }
        sb.Append("]\n");
        buffered.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        buffered.Flush();
    }

    private static string Bool(bool b) => b ? "true" : "false";
}
