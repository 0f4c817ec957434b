using System.CommandLine;
using System.Text.Json;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk info</c>: everything the library knows about an image and each file of its chain.</summary>
internal static class InfoCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("info", "everything the library knows about an image and its chain",
            "Prints everything the library reports: format, subtype, virtual and file sizes, sector sizes, block size, "
            + "identifiers, creator, time stamps, geometry, the parent chain (each file and its status), the log state, "
            + "the allocation summary and the open's warnings. When the chain cannot be completed, the child is shown "
            + "(opened without parents) with the failure for its parent. Without open options the image is opened as "
            + "vdisk check does (read-only, no sharing conflicts).",
            "0 the image and its chain opened, 1 the open failed, the chain is incomplete or the input could not be read");
        var path = new Argument<string>("PATH") { Description = "the image (X.gz is expanded first)" };
        var json = Values.Switch("--json", "one JSON object");
        var open = new OpenOptions();
        command.Add(path);
        command.Add(json);
        open.AddTo(command);
        command.SetAction(r => Run(r.GetValue(path)!, open.Bind(r).ToReadingOptions(), r.GetValue(json)));
        return command;
    }

    private static int Run(string path, VirtualDiskOpenOptions options, bool json)
    {
        if (!ImageInput.TryPrepareForCommand(path, json, out var input)) return Program.ExitFailed;
        using (input)
        {
            VirtualDiskHandle? handle = null;
            try
            {
                VirtualDiskDiagnostic? chainFailure = null;
                if (!input.TryOpen(options, out handle, out var failure))
                {
                    // A broken chain: show the child on its own, with the failure as its parent's status.
                    if (IsChainFailure(failure!) && (options.Flags & OpenVirtualDiskFlags.NoParents) == 0
                        && input.TryOpen(options with { Flags = options.Flags | OpenVirtualDiskFlags.NoParents }, out handle, out _))
                        chainFailure = failure;
                    else
                    {
                        handle = null;
                        if (json) WriteFailureJson(input, failure!);
                        else
                        {
                            Console.Out.WriteLine($"code:    {Text.Code(failure!.ErrorCode)}");
                            Console.Out.WriteLine($"reason:  {failure.Reason}");
                            Console.Out.WriteLine($"message: {input.MapPath(Text.Message(failure))}");
                            Console.Out.WriteLine($"file:    {input.MapPath(failure.Root.FilePath ?? failure.FilePath) ?? input.DisplayPath}");
                        }
                        return Program.ExitFailed;
                    }
                }
                if (json) WriteJson(input, handle!, chainFailure);
                else WriteText(input, handle!, chainFailure);
                return chainFailure is null ? Program.ExitOk : Program.ExitFailed;
            }
            catch (VirtualDiskException e)
            {
                Console.Error.WriteLine($"vdisk: {input.DisplayPath}: {Text.Code(e.ErrorCode)} {e.Reason}: {input.MapPath(Text.Message(e.Diagnostic))}");
                return Program.ExitFailed;
            }
            catch (Exception e) when (e is not OutputException)
            {
                return Program.InternalError(e);
            }
            finally
            {
                handle?.Dispose();
            }
        }
    }

    private static bool IsChainFailure(VirtualDiskDiagnostic d) => d.Code is VirtualDiskError.VhdParentVhdNotFound
        or VirtualDiskError.VhdParentVhdAccessDenied or VirtualDiskError.VhdChildParentIdMismatch
        or VirtualDiskError.VhdChildParentTimestampMismatch or VirtualDiskError.VhdChildParentSizeMismatch
        or VirtualDiskError.VhdDifferencingChainCycleDetected or VirtualDiskError.VhdDifferencingChainErrorInParent;

    private static bool? Is4kAligned(VirtualDiskHandle handle) =>
        handle.Format == VirtualDiskFormat.Vhdx && VirtDisk.GetVirtualDiskInformation(handle, GetVirtualDiskInfoVersion.Is4kAligned, out var info) == 0
            ? info.Is4kAligned : null;

    private static void WriteText(ImageInput input, VirtualDiskHandle handle, VirtualDiskDiagnostic? chainFailure)
    {
        var o = Console.Out;
        var info = handle.Info;
        o.WriteLine($"path:            {input.DisplayPath}");
        o.WriteLine($"format:          {Text.FormatName(handle.Format)}");
        if (handle.Format != VirtualDiskFormat.Iso) o.WriteLine($"subtype:         {Text.SubtypeName(handle.Subtype)}");
        o.WriteLine($"virtual size:    {Text.Size(handle.VirtualSize)}");
        o.WriteLine($"sector size:     {handle.LogicalSectorSize} logical, {handle.PhysicalSectorSize} physical");
        if (Is4kAligned(handle) is bool aligned) o.WriteLine($"4K aligned:      {(aligned ? "yes" : "no")}");
        if (handle.Format == VirtualDiskFormat.Vhdx)
            o.WriteLine($"log replayed:    {(handle.LogReplayed ? "yes (a non-empty log was replayed in memory; the file is unchanged)" : "no")}");
        o.WriteLine($"chain:           {Text.Count(info.Chain.Count, "file")}{(chainFailure is not null ? ", incomplete" : info.ParentsOmitted ? ", parents not opened" : "")}");
        if (chainFailure is null) OperationOutput.WritePartitionsText(o, handle);
        for (int i = 0; i < info.Chain.Count; i++)
        {
            var f = info.Chain[i];
            o.WriteLine();
            o.WriteLine(i == 0 ? "[image]" : $"[parent {i}]");
            foreach (var (k, v) in Fields(f, input)) o.WriteLine($"  {k + ":",-22} {v}");
            o.WriteLine($"  {"status:",-22} ok");
        }
        if (chainFailure is not null)
        {
            o.WriteLine();
            o.WriteLine($"[parent {info.Chain.Count}]");
            o.WriteLine($"  {"status:",-22} {Text.Code(chainFailure.ErrorCode)} {chainFailure.Root.Reason}");
            o.WriteLine($"  {"message:",-22} {input.MapPath(Text.Message(chainFailure))}");
            if (input.MapPath(chainFailure.Root.FilePath) is { } at) o.WriteLine($"  {"file:",-22} {at}");
        }
        InfoFileSystem.WriteText(o, input, handle);
        if (info.Warnings.Count > 0)
        {
            o.WriteLine();
            foreach (var w in info.Warnings) o.WriteLine(Text.Warning(w.Reason.ToString(), w.ErrorCode, input.MapPath(Text.Message(w))!));
        }
    }

    private static IEnumerable<(string, string)> Fields(VirtualDiskFileInfo f, ImageInput input)
    {
        yield return ("file", input.MapPath(f.Path)!);
        yield return ("format", Text.FormatName(f.Format) + (f.Format == VirtualDiskFormat.Iso ? "" : " " + Text.SubtypeName(f.Subtype)));
        yield return ("virtual size", Text.Size(f.VirtualSize));
        yield return ("file size", Text.Size(f.FileSize));
        yield return ("sector size", $"{f.LogicalSectorSize} logical, {f.PhysicalSectorSize} physical");
        if (f.BlockSize != 0) yield return ("block size", Text.Size(f.BlockSize));
        if (f.BlockCount != 0) yield return ("blocks", $"{f.AllocatedBlockCount:N0} of {f.BlockCount:N0} allocated");
        if (f.Format != VirtualDiskFormat.Iso) yield return ("identifier", Text.Guid(f.Identifier));
        if (f.VirtualDiskId is Guid vid) yield return ("virtual disk id", Text.Guid(vid));
        if (f.FileWriteGuid is Guid fw) yield return ("file write guid", Text.Guid(fw));
        if (f.LogGuid is Guid lg) yield return ("log guid", Text.Guid(lg) + (lg == Guid.Empty ? " (log empty)" : ""));
        if (f.Format == VirtualDiskFormat.Vhdx) yield return ("log replayed", f.LogReplayed ? "yes" : "no");
        if (f.Creator is not null) yield return ("creator", f.Creator + (f.CreatorVersion is null ? "" : " " + f.CreatorVersion) + (f.CreatorHostOs is null ? "" : $" ({f.CreatorHostOs.TrimEnd()})"));
        if (f.Timestamp is DateTimeOffset t) yield return ("time stamp", Text.Time(t));
        if (f.Geometry is DiskGeometry g) yield return ("geometry (C/H/S)", $"{g.Cylinders}/{g.Heads}/{g.SectorsPerTrack} = {g.Capacity:N0} bytes");
        if (f.OriginalSize is long os) yield return ("original size", Text.Size(os));
        if (f.ParentIdentifier is Guid pid) yield return ("parent identifier", Text.Guid(pid));
        if (f.ParentTimestamp is DateTimeOffset pt) yield return ("parent time stamp", Text.Time(pt));
        if (f.ParentName is not null) yield return ("parent name", f.ParentName);
        foreach (string l in f.ParentLocators) yield return ("parent locator", l);
        if (f.VolumeDescriptorIdentifier is not null) yield return ("volume descriptor", f.VolumeDescriptorIdentifier);
        if (f.VolumeLabel is not null) yield return ("volume label", f.VolumeLabel);
        if (f.HasElTorito is bool et) yield return ("El Torito", et ? "yes (bootable)" : "no");
        if (f.HasUdf is bool udf) yield return ("UDF", udf ? "yes" : "no");
    }

    private static void WriteFailureJson(ImageInput input, VirtualDiskDiagnostic failure)
    {
        using var stdout = Output.OpenStdout();
        using (var w = new Utf8JsonWriter(stdout, Text.JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("path", input.DisplayPath);
            w.WriteBoolean("ok", false);
            w.WritePropertyName("failure");
            Text.WriteDiagnostic(w, failure, input.MapPath);
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    private static void WriteJson(ImageInput input, VirtualDiskHandle handle, VirtualDiskDiagnostic? chainFailure)
    {
        var info = handle.Info;
        using var stdout = Output.OpenStdout();
        using (var w = new Utf8JsonWriter(stdout, Text.JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("path", input.DisplayPath);
            w.WriteBoolean("ok", chainFailure is null);
            w.WriteString("format", Text.FormatName(handle.Format));
            w.WriteString("subtype", Text.SubtypeName(handle.Subtype));
            w.WriteNumber("virtualSize", handle.VirtualSize);
            w.WriteNumber("logicalSectorSize", handle.LogicalSectorSize);
            w.WriteNumber("physicalSectorSize", handle.PhysicalSectorSize);
            if (Is4kAligned(handle) is bool aligned) w.WriteBoolean("is4kAligned", aligned);
            else w.WriteNull("is4kAligned");
            w.WriteBoolean("logReplayed", handle.LogReplayed);
            w.WriteBoolean("parentsOmitted", info.ParentsOmitted && chainFailure is null);
            if (chainFailure is null) OperationOutput.WritePartitionsJson(w, handle);
            w.WriteStartArray("chain");
            foreach (var f in info.Chain) WriteFile(w, f, input);
            w.WriteEndArray();
            w.WritePropertyName("chainFailure");
            if (chainFailure is null) w.WriteNullValue();
            else Text.WriteDiagnostic(w, chainFailure, input.MapPath);
            InfoFileSystem.WriteJson(w, input, handle);
            w.WriteStartArray("warnings");
            foreach (var d in info.Warnings) Text.WriteDiagnostic(w, d, input.MapPath);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    private static void WriteFile(Utf8JsonWriter w, VirtualDiskFileInfo f, ImageInput input)
    {
        static void G(Utf8JsonWriter w, string n, Guid? g)
        {
            if (g is Guid v) w.WriteString(n, Text.Guid(v));
            else w.WriteNull(n);
        }
        w.WriteStartObject();
        w.WriteString("file", input.MapPath(f.Path));
        w.WriteString("status", "ok");
        w.WriteString("format", Text.FormatName(f.Format));
        w.WriteString("subtype", Text.SubtypeName(f.Subtype));
        w.WriteNumber("virtualSize", f.VirtualSize);
        w.WriteNumber("fileSize", f.FileSize);
        w.WriteNumber("blockSize", f.BlockSize);
        w.WriteNumber("logicalSectorSize", f.LogicalSectorSize);
        w.WriteNumber("physicalSectorSize", f.PhysicalSectorSize);
        G(w, "identifier", f.Format == VirtualDiskFormat.Iso ? null : f.Identifier);
        G(w, "virtualDiskId", f.VirtualDiskId);
        G(w, "fileWriteGuid", f.FileWriteGuid);
        G(w, "logGuid", f.LogGuid);
        w.WriteBoolean("logReplayed", f.LogReplayed);
        w.StringOrNull("creator", f.Creator);
        w.StringOrNull("creatorVersion", f.CreatorVersion);
        w.StringOrNull("creatorHostOs", f.CreatorHostOs);
        w.StringOrNull("timestamp", f.Timestamp is DateTimeOffset t ? Text.Time(t) : null);
        if (f.Geometry is DiskGeometry g)
        {
            w.WriteStartObject("geometry");
            w.WriteNumber("cylinders", g.Cylinders);
            w.WriteNumber("heads", g.Heads);
            w.WriteNumber("sectorsPerTrack", g.SectorsPerTrack);
            w.WriteNumber("capacity", g.Capacity);
            w.WriteEndObject();
        }
        else w.WriteNull("geometry");
        if (f.OriginalSize is long os) w.WriteNumber("originalSize", os);
        else w.WriteNull("originalSize");
        G(w, "parentIdentifier", f.ParentIdentifier);
        w.StringOrNull("parentTimestamp", f.ParentTimestamp is DateTimeOffset pt ? Text.Time(pt) : null);
        w.StringOrNull("parentName", f.ParentName);
        w.WriteStartArray("parentLocators");
        foreach (string l in f.ParentLocators) w.WriteStringValue(l);
        w.WriteEndArray();
        w.StringOrNull("volumeDescriptor", f.VolumeDescriptorIdentifier);
        w.StringOrNull("volumeLabel", f.VolumeLabel);
        if (f.HasElTorito is bool et) w.WriteBoolean("elTorito", et);
        else w.WriteNull("elTorito");
        if (f.HasUdf is bool udf) w.WriteBoolean("udf", udf);
        else w.WriteNull("udf");
        w.WriteStartObject("allocation");
        w.WriteNumber("blocks", f.BlockCount);
        w.WriteNumber("allocatedBlocks", f.AllocatedBlockCount);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
