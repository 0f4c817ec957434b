using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk create</c>: a new VHD or VHDX through <see cref="VirtualDisk.TryCreate(string?, VirtualDiskCreateOptions?, out VirtualDiskHandle?, out VirtualDiskDiagnostic?)"/> (docs/create.md).</summary>
internal static class CreateCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("create", "make a new VHD or VHDX (fixed, dynamic, differencing; empty or from a source)",
            "Creates a new image as Windows' CreateVirtualDisk does: the parameter rules are checked first, the file is written "
            + "under a temporary name in the same folder, flushed and renamed, so nothing half-made is ever left at PATH; an "
            + "existing PATH is never overwritten. A differencing disk takes its parent's size, sector sizes and block size. "
            + "--source fills the new disk with the content of an image (any the library opens, chains included) or, with "
            + "--source-format raw, of a plain file; only allocated, non-zero blocks are read and written. Sizes take K, M, G "
            + "or T suffixes (powers of 1024).",
            "0 the image was created, 1 the create failed (nothing was left at PATH)");
        var path = new Argument<string>("PATH") { Description = "the new image (must not exist)" };
        var format = Values.OneOf("--format", "FORMAT", "vhd or vhdx (default: from PATH's extension)", ["vhd", "vhdx"]);
        var type = Values.OneOf("--type", "TYPE", "fixed, dynamic (default) or differencing (default with --parent)", ["fixed", "dynamic", "differencing"]);
        var size = SizeOption("--size", "SIZE", "virtual size, e.g. 64G (not with --parent; default with --source: the source's size)");
        var parent = new Option<string?>("--parent") { HelpName = "PATH", Description = "the parent of a differencing disk" };
        var source = new Option<string?>("--source") { HelpName = "PATH", Description = "an image or file whose content fills the new disk" };
        var sourceFormat = Values.OneOf("--source-format", "FORMAT", "auto (default: an image the library opens) or raw (a plain file)", ["auto", "raw"]);
        var blockSize = SizeOption("--block-size", "N", "block size (VHD 512K or 2M; VHDX a power of two from 1M to 256M; default VHD 2M, VHDX 32M, differencing: the parent's)");
        var logical = Values.OneOf("--logical-sector-size", "N", "512 (default) or 4096 (VHDX only)", ["512", "4096"]);
        var physical = Values.OneOf("--physical-sector-size", "N", "512 or 4096 (VHDX default 4096; VHD 512 only)", ["512", "4096"]);
        var sparse = Values.Switch("--sparse", "a fixed disk in a sparse host file (CREATE_VIRTUAL_DISK_FLAG_SPARSE_FILE)");
        var uniqueId = new Option<string?>("--unique-id") { HelpName = "GUID", Description = "identifier of the new disk (default: a new random one)" };
        var json = Values.Switch("--json", "print what was created (or the failure) as one JSON object");
        command.Add(path);
        foreach (var o in new Option[] { format, type, size, parent, source, sourceFormat, blockSize, logical, physical, sparse, uniqueId, json }) command.Add(o);
        command.SetAction(r =>
        {
            string p = r.GetValue(path)!;
            string? f = r.GetValue(format) ?? FormatFromExtension(p);
            if (f is null) throw new UsageException($"say --format vhd or --format vhdx (the extension of '{p}' names neither)");
            string? parentPath = r.GetValue(parent);
            string t = r.GetValue(type) ?? (parentPath is not null ? "differencing" : "dynamic");
            Guid id = Guid.Empty;
            if (r.GetValue(uniqueId) is { } idText && !Guid.TryParse(idText, out id)) throw new UsageException($"option '--unique-id' takes a GUID, not '{idText}'");
            var options = new VirtualDiskCreateOptions
            {
                Format = f == "vhd" ? VirtualDiskFormat.Vhd : VirtualDiskFormat.Vhdx,
                Type = t switch { "fixed" => VirtualDiskCreateType.Fixed, "differencing" => VirtualDiskCreateType.Differencing, _ => VirtualDiskCreateType.Dynamic },
                Size = r.GetValue(size) ?? 0,
                ParentPath = parentPath,
                SourcePath = r.GetValue(source),
                SourceFormat = r.GetValue(sourceFormat) == "raw" ? VirtualDiskSourceFormat.Raw : VirtualDiskSourceFormat.Auto,
                BlockSize = (uint)(r.GetValue(blockSize) ?? 0),
                LogicalSectorSize = r.GetValue(logical) is { } l ? int.Parse(l, CultureInfo.InvariantCulture) : 0,
                PhysicalSectorSize = r.GetValue(physical) is { } ph ? int.Parse(ph, CultureInfo.InvariantCulture) : 0,
                Sparse = r.GetValue(sparse),
                UniqueId = id,
            };
            return Run(p, options, r.GetValue(json));
        });
        return command;
    }

    private static string? FormatFromExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".vhd" or ".avhd" => "vhd",
        ".vhdx" or ".avhdx" => "vhdx",
        _ => null,
    };

    /// <summary>A size: a number (decimal or 0x hex) with an optional K, M, G or T suffix (powers of 1024; "KiB"/"KB" too).</summary>
    internal static bool TryParseSize(string text, out long value)
    {
        value = 0;
        string t = text.Trim();
        int shift = 0;
        string upper = t.ToUpperInvariant();
        foreach (var (suffix, s) in new[] { ("TIB", 40), ("GIB", 30), ("MIB", 20), ("KIB", 10), ("TB", 40), ("GB", 30), ("MB", 20), ("KB", 10), ("T", 40), ("G", 30), ("M", 20), ("K", 10), ("B", 0) })
        {
            if (upper.EndsWith(suffix, StringComparison.Ordinal) && !upper.StartsWith("0X", StringComparison.Ordinal))
            {
                t = t[..^suffix.Length];
                shift = s;
                break;
            }
        }
        if (!Values.TryParseNumber(t, out ulong n) || n > (ulong)(long.MaxValue >> shift)) return false;
        value = (long)(n << shift);
        return true;
    }

    private static Option<long?> SizeOption(string name, string helpName, string description) => new(name)
    {
        HelpName = helpName,
        Description = description,
        CustomParser = r =>
        {
            string v = r.Tokens[0].Value;
            if (TryParseSize(v, out long n)) return n;
            r.AddError($"option '{name}' takes a size such as 64M, 2G or 1T (K/M/G/T are powers of 1024), not '{v}'");
            return null;
        },
    };

    private static int Run(string path, VirtualDiskCreateOptions options, bool json)
    {
        if (!VirtualDisk.TryCreate(path, options, out var handle, out VirtualDiskDiagnostic? failure))
        {
            if (json) WriteJson(path, null, failure);
            else
            {
                Console.Error.WriteLine($"vdisk: {path}: {Text.Code(failure.ErrorCode)} {failure.Reason}: {Text.Message(failure)}");
                string? file = failure.Root.FilePath ?? failure.FilePath;
                if (file is not null && file != path && file != Path.GetFullPath(path)) Console.Error.WriteLine($"vdisk: file: {file}");
            }
            return Program.ExitFailed;
        }
        using (handle)
        {
            if (json) WriteJson(path, handle, null);
            else
            {
                var top = handle.Info.Top;
                string blocks = top.BlockSize == 0 ? "" : $", block size {Text.Size(top.BlockSize)}";
                string parentText = handle.Info.Chain.Count > 1 ? $", parent {handle.Info.Chain[1].Path}" : "";
                Console.Out.WriteLine($"created {handle.Path}: {Text.FormatName(handle.Format)} {Text.SubtypeName(handle.Subtype)}, "
                    + $"{Text.Size(handle.VirtualSize)}{blocks}, sectors {handle.LogicalSectorSize}/{handle.PhysicalSectorSize}, file {Text.Size(top.FileSize)}{parentText}");
            }
        }
        return Program.ExitOk;
    }

    private static void WriteJson(string path, VirtualDiskHandle? handle, VirtualDiskDiagnostic? failure)
    {
        using var stdout = Output.OpenStdout();
        using (var w = new Utf8JsonWriter(stdout, Text.JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("path", handle?.Path ?? path);
            w.WriteBoolean("ok", handle is not null);
            if (handle is not null)
            {
                var top = handle.Info.Top;
                w.WriteString("format", Text.FormatName(handle.Format));
                w.WriteString("subtype", Text.SubtypeName(handle.Subtype));
                w.WriteNumber("virtualSize", handle.VirtualSize);
                w.WriteNumber("blockSize", top.BlockSize);
                w.WriteNumber("logicalSectorSize", handle.LogicalSectorSize);
                w.WriteNumber("physicalSectorSize", handle.PhysicalSectorSize);
                w.WriteNumber("fileSize", top.FileSize);
                w.WriteString("identifier", Text.Guid(top.Identifier));
                w.StringOrNull("parent", handle.Info.Chain.Count > 1 ? handle.Info.Chain[1].Path : null);
            }
            else
            {
                w.WritePropertyName("failure");
                Text.WriteDiagnostic(w, failure!, p => p);
            }
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }
}
