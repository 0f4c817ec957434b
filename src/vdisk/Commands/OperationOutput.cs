using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary>What the operation commands (convert, map, compare, repair) share: the failure lines and the progress bar.</summary>
internal static class OperationOutput
{
    /// <summary>
    /// "vdisk: PATH: code reason: message" and the file the failure is about when it is another one; exit status 1.
    /// <paramref name="map"/> turns the paths of a compressed input's expanded files back into the .gz paths.
    /// </summary>
    public static int Fail(string path, VirtualDiskDiagnostic failure, Func<string?, string?>? map = null)
    {
        map ??= static p => p;
        Console.Error.WriteLine($"vdisk: {path}: {Text.Code(failure.ErrorCode)} {failure.Reason}: {map(Text.Message(failure))}");
        string? file = map(failure.Root.FilePath ?? failure.FilePath);
        if (file is not null && file != path && file != Path.GetFullPath(path)) Console.Error.WriteLine($"vdisk: file: {file}");
        return Program.ExitFailed;
    }

    /// <summary>vdisk info: the partition table and the smallest safe virtual size (VHD and VHDX; docs/operations.md "partitions").</summary>
    public static void WritePartitionsText(TextWriter o, VirtualDiskHandle handle)
    {
        if (handle.Format == VirtualDiskFormat.Iso || handle.ParentsOmitted) return;
        var layout = VirtualDiskOperations.ReadPartitions(handle);
        o.WriteLine($"partitions:      {Scheme(layout.Scheme)}{(layout.Scheme == PartitionScheme.None ? "" : ", " + Text.Count(layout.Partitions.Count, "partition"))}");
        foreach (var p in layout.Partitions)
        {
            string type = p.TypeGuid is Guid g ? Text.Guid(g) : $"0x{p.MbrType:X2}";
            string name = string.IsNullOrEmpty(p.Name) ? "" : $" \"{p.Name}\"";
            o.WriteLine(string.Create(Text.Inv, $"  {p.Number,3}: offset {p.Offset}, length {Text.Size(p.Length)}, type {type}{name}{(p.Bootable ? ", bootable" : "")}"));
        }
        foreach (string problem in layout.Problems) o.WriteLine($"  problem: {problem}");
        o.WriteLine($"smallest safe:   {Text.Size(layout.SmallestSafeVirtualSize)} (GET_VIRTUAL_DISK_INFO_SMALLEST_SAFE_VIRTUAL_SIZE)");
        if (handle.Format != VirtualDiskFormat.Vhdx) return;
        var user = VirtualDiskOperations.EnumerateMetadata(handle).Where(i => i.IsUser).ToList();
        o.WriteLine($"user metadata:   {Text.Count(user.Count, "item")}");
        foreach (var i in user) o.WriteLine($"  {Text.Guid(i.ItemId)}: {Text.Count(i.Length, "byte")}{(i.IsVirtualDisk ? ", virtual disk" : "")}{(i.IsRequired ? ", required" : "")}");
    }

    /// <summary>vdisk info --json: "partitions": { scheme, smallestSafeVirtualSize, diskGuid, mbrDiskSignature, entries, problems }.</summary>
    public static void WritePartitionsJson(Utf8JsonWriter w, VirtualDiskHandle handle)
    {
        w.WritePropertyName("partitions");
        if (handle.Format == VirtualDiskFormat.Iso || handle.ParentsOmitted) { w.WriteNullValue(); return; }
        var layout = VirtualDiskOperations.ReadPartitions(handle);
        w.WriteStartObject();
        w.WriteString("scheme", Scheme(layout.Scheme));
        w.WriteNumber("smallestSafeVirtualSize", layout.SmallestSafeVirtualSize);
        w.StringOrNull("diskGuid", layout.DiskGuid is Guid d ? Text.Guid(d) : null);
        if (layout.MbrDiskSignature is uint sig) w.WriteNumber("mbrDiskSignature", sig); else w.WriteNull("mbrDiskSignature");
        w.WriteStartArray("entries");
        foreach (var p in layout.Partitions)
        {
            w.WriteStartObject();
            w.WriteNumber("number", p.Number);
            w.WriteNumber("offset", p.Offset);
            w.WriteNumber("length", p.Length);
            if (p.MbrType is byte t) w.WriteNumber("mbrType", t); else w.WriteNull("mbrType");
            w.StringOrNull("typeGuid", p.TypeGuid is Guid g ? Text.Guid(g) : null);
            w.StringOrNull("uniqueGuid", p.UniqueGuid is Guid u ? Text.Guid(u) : null);
            w.StringOrNull("name", p.Name);
            w.WriteBoolean("bootable", p.Bootable);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("problems");
        foreach (string problem in layout.Problems) w.WriteStringValue(problem);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WritePropertyName("userMetadata");
        if (handle.Format != VirtualDiskFormat.Vhdx) { w.WriteNullValue(); return; }
        w.WriteStartArray();
        foreach (var i in VirtualDiskOperations.EnumerateMetadata(handle).Where(i => i.IsUser))
        {
            w.WriteStartObject();
            w.WriteString("itemId", Text.Guid(i.ItemId));
            w.WriteNumber("length", i.Length);
            w.WriteBoolean("isVirtualDisk", i.IsVirtualDisk);
            w.WriteBoolean("isRequired", i.IsRequired);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static string Scheme(PartitionScheme s) => s switch { PartitionScheme.Mbr => "mbr", PartitionScheme.Gpt => "gpt", _ => "none" };

    /// <summary>A one-line progress bar on stderr, drawn only when stderr is a terminal, at most every 1/10 s.</summary>
    public sealed class Bar : IProgress<ConvertProgress>, IDisposable
    {
        private readonly bool _enabled = !Console.IsErrorRedirected;
        private long _lastTicks;
        private bool _drawn;

        public void Report(ConvertProgress value) =>
            Draw(value.BytesDone, value.BytesTotal, fraction => $"{fraction * 100,5:0.0}% {Short(value.BytesDone)} of {Short(value.BytesTotal)}");

        /// <summary>The bar for <paramref name="done"/> of <paramref name="total"/>, followed by <paramref name="text"/> (given the fraction done).</summary>
        public void Draw(long done, long total, Func<double, string> text)
        {
            if (!_enabled || total <= 0) return;
            long now = Environment.TickCount64;
            if (now - _lastTicks < 100 && done < total) return;
            _lastTicks = now;
            double fraction = Math.Clamp(done / (double)total, 0, 1);
            int filled = (int)(fraction * 30);
            Terminal.RawError.Write($"\r[{new string('#', filled)}{new string(' ', 30 - filled)}] {text(fraction)}  ");
            _drawn = true;
        }

        private static string Short(long bytes)
        {
            string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
            double v = bytes;
            int u = 0;
            while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
            return string.Create(Text.Inv, $"{v:0.#} {units[u]}");
        }

        public void Dispose()
        {
            if (_drawn) Terminal.RawError.WriteLine();
            _drawn = false;
        }
    }
}

/// <summary>The JSON object the operation commands print with --json (one object and a newline on stdout).</summary>
internal static class OperationJson
{
    public static void Write(Action<Utf8JsonWriter> body)
    {
        using var stdout = Output.OpenStdout();
        using (var w = new Utf8JsonWriter(stdout, Text.JsonOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    public static void WriteFailure(string path, VirtualDiskDiagnostic failure) => Write(w =>
    {
        w.WriteString("path", path);
        w.WriteBoolean("ok", false);
        w.WritePropertyName("failure");
        Text.WriteDiagnostic(w, failure, f => f);
    });
}
