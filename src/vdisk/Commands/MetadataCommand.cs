using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary>
/// <c>vdisk metadata</c>: VHDX metadata items — <see cref="VirtualDiskOperations.EnumerateMetadata"/>,
/// <see cref="VirtualDiskOperations.GetMetadata"/>, <see cref="VirtualDiskOperations.TrySetMetadata"/>,
/// <see cref="VirtualDiskOperations.TryDeleteMetadata"/> (docs/operations.md "VHDX metadata items").
/// </summary>
internal static class MetadataCommand
{
    /// <summary>The largest --file read (an item holds at most 1 MiB, MS-VHDX §2.6.1.2); one byte more is read to detect a longer file.</summary>
    private const int MaxItem = 1 << 20;

    public static CliCommand Build()
    {
        var command = new CliCommand("metadata", "list, read, set or delete a VHDX's metadata items",
            "Without an action (or with --list) lists IMAGE's metadata table: every item's id, length and flags (user items are "
            + "the ones Set/DeleteVirtualDiskMetadata change). --get GUID writes the item's bytes to stdout (or --file F). --set GUID "
            + "--file F sets the user item to F's bytes (at most 1 MiB); --delete GUID removes the user item. Changes go through "
            + "the VHDX log: a crash leaves the old or the new item. System items are never changed.",
            "0 done, 1 refused or failed (no such item, a system item, no room, not a VHDX)");
        var path = new Argument<string>("IMAGE") { Description = "the VHDX (opened exclusively for --set and --delete; X.gz is expanded first for --list and --get)" };
        var list = Values.Switch("--list", "list the metadata items (the default)");
        var get = new Option<string?>("--get") { HelpName = "GUID", Description = "write this item's bytes to stdout or --file" };
        var set = new Option<string?>("--set") { HelpName = "GUID", Description = "set this user item to the bytes of --file" };
        var delete = new Option<string?>("--delete") { HelpName = "GUID", Description = "delete this user item" };
        var file = new Option<string?>("--file") { HelpName = "F", Description = "the data for --set, or where --get writes" };
        var json = Values.Switch("--json", "print the list or the result as a JSON object");
        command.Add(path);
        foreach (var o in new Option[] { list, get, set, delete, file, json }) command.Add(o);
        command.SetAction(r =>
        {
            string image = r.GetValue(path)!;
            bool asJson = r.GetValue(json);
            string? g = r.GetValue(get), s = r.GetValue(set), d = r.GetValue(delete), f = r.GetValue(file);
            int actions = (g is null ? 0 : 1) + (s is null ? 0 : 1) + (d is null ? 0 : 1) + (r.GetValue(list) ? 1 : 0);
            if (actions > 1) throw new UsageException("give one of --list, --get, --set, --delete");
            if (s is not null && f is null) throw new UsageException("--set needs --file F (the item's bytes)");
            if (d is not null && f is not null) throw new UsageException("--file goes with --set or --get, not --delete");
            if ((s is not null || d is not null) && ImageInput.IsGzip(image))
                throw new UsageException("--set and --delete change the file itself; a .gz input can only be read (--list, --get)");
            if (s is not null) return Set(image, ParseGuid(s, "--set"), f!, asJson);
            if (d is not null) return Delete(image, ParseGuid(d, "--delete"), asJson);
            if (g is not null) return Get(image, ParseGuid(g, "--get"), f, asJson);
            return List(image, asJson);
        });
        return command;
    }

    private static Guid ParseGuid(string text, string option) =>
        Guid.TryParse(text, out var g) ? g : throw new UsageException($"option '{option}' takes a GUID, not '{text}'");

    private static int Fail(string image, VirtualDiskDiagnostic failure, bool asJson)
    {
        if (asJson) OperationJson.WriteFailure(image, failure);
        return OperationOutput.Fail(image, failure);
    }

    /// <summary>Reading (--list, --get): IMAGE opened alone (NO_PARENTS: metadata items are the file's own), read-only; X.gz is expanded first.</summary>
    private static VirtualDiskHandle? Open(string image, bool asJson, out int status, out ImageInput? input)
    {
        status = Program.ExitOk;
        if (!ImageInput.TryPrepareForCommand(image, asJson, out input))
        {
            status = Program.ExitFailed;
            return null;
        }
        var options = new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.None, Flags = OpenVirtualDiskFlags.NoParents, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) };
        if (input.TryOpen(options, out var handle, out VirtualDiskDiagnostic? failure)) return handle;
        status = Fail(image, failure!, asJson);
        input.Dispose();
        input = null;
        return null;
    }

    private static int List(string image, bool asJson)
    {
        using var handle = Open(image, asJson, out int status, out var input);
        using var expanded = input;
        if (handle is null) return status;
        var items = VirtualDiskOperations.EnumerateMetadata(handle);
        if (asJson)
        {
            OperationJson.Write(w =>
            {
                w.WriteString("path", input!.DisplayPath);
                w.WriteBoolean("ok", true);
                w.WriteStartArray("items");
                foreach (var i in items)
                {
                    w.WriteStartObject();
                    w.WriteString("itemId", Text.Guid(i.ItemId));
                    w.WriteNumber("length", i.Length);
                    w.WriteBoolean("isUser", i.IsUser);
                    w.WriteBoolean("isVirtualDisk", i.IsVirtualDisk);
                    w.WriteBoolean("isRequired", i.IsRequired);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            return Program.ExitOk;
        }
        if (handle.Format != VirtualDiskFormat.Vhdx) Console.Out.WriteLine($"{input!.DisplayPath}: a {handle.Format} has no metadata items");
        foreach (var i in items)
            Console.Out.WriteLine($"{Text.Guid(i.ItemId)}  {Text.Count(i.Length, "byte")}  {(i.IsUser ? "user" : "system")}{(i.IsVirtualDisk ? ", virtual disk" : "")}{(i.IsRequired ? ", required" : "")}");
        return Program.ExitOk;
    }

    private static int Get(string image, Guid id, string? target, bool asJson)
    {
        using var handle = Open(image, asJson, out int status, out var input);
        using var expanded = input;
        if (handle is null) return status;
        if (!VirtualDiskOperations.TryGetMetadata(handle, id, out var data, out var failure)) return Fail(image, failure!, asJson);
        if (target is not null)
        {
            try { File.WriteAllBytes(target, data!); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"vdisk: {target}: {e.Message}");
                return Program.ExitOutput;
            }
        }
        if (asJson)
        {
            OperationJson.Write(w =>
            {
                w.WriteString("path", input!.DisplayPath);
                w.WriteBoolean("ok", true);
                w.WriteString("itemId", Text.Guid(id));
                w.WriteNumber("length", data!.Length);
                if (target is null) w.WriteBase64String("data", data!); else w.WriteString("file", target);
            });
        }
        else if (target is null)
        {
            using var stdout = Output.OpenStdout();
            stdout.Write(data!);
        }
        return Program.ExitOk;
    }

    private static int Set(string image, Guid id, string source, bool asJson)
    {
        byte[] data;
        try
        {
            using var stream = File.OpenRead(source);
            data = new byte[MaxItem + 1];
            int n = 0, read;
            while (n < data.Length && (read = stream.Read(data, n, data.Length - n)) > 0) n += read;
            if (n > MaxItem) throw new UsageException($"{source}: more than 1 MiB; a metadata item holds at most 1 MiB");
            Array.Resize(ref data, n);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{source}: {e.Message}");
        }
        if (!VirtualDiskOperations.TrySetMetadata(image, id, data, out var failure)) return Fail(image, failure!, asJson);
        return Done(image, id, asJson, $"user item {Text.Guid(id)} set ({Text.Count(data.Length, "byte")})", data.Length);
    }

    private static int Delete(string image, Guid id, bool asJson)
    {
        if (!VirtualDiskOperations.TryDeleteMetadata(image, id, out var failure)) return Fail(image, failure!, asJson);
        return Done(image, id, asJson, $"user item {Text.Guid(id)} deleted", null);
    }

    private static int Done(string image, Guid id, bool asJson, string sentence, int? length)
    {
        if (!asJson)
        {
            Console.Out.WriteLine($"{image}: {sentence}");
            return Program.ExitOk;
        }
        OperationJson.Write(w =>
        {
            w.WriteString("path", image);
            w.WriteBoolean("ok", true);
            w.WriteString("itemId", Text.Guid(id));
            if (length is int l) w.WriteNumber("length", l); else w.WriteBoolean("deleted", true);
        });
        return Program.ExitOk;
    }
}
