using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using VirtualDiskManaged.Cli.Check;
using VirtualDiskManaged.Cli.CommandLine;
using VirtualDiskManaged.IsoBuild;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk mkiso</c>: builds an ISO 9660 image (Joliet, Rock Ridge, El Torito) from files and folders.</summary>
internal static class MkisoCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("mkiso", "build an ISO image from files and folders",
            "Builds an ISO 9660 image: each PATH that is a file is placed at the image's root, each folder has its contents "
            + "placed at the root (symbolic links recorded, never followed). --boot and --efi-boot name a file inside the image "
            + "(e.g. isolinux/isolinux.bin); a host file not in the tree is added at the root under its name. The same inputs "
            + "and --date (or SOURCE_DATE_EPOCH) give a byte-identical image. The image is written under a temporary name "
            + "and renamed when complete; a device or FIFO at OUT is written in place, and - is stdout (the summary then "
            + "goes to stderr). Example, a cloud-init seed: vdisk mkiso --output seed.iso --volume-id cidata "
            + "--joliet --rock-ridge user-data meta-data",
            "0 the image was written, 1 a source could not be read or the tree cannot be written as ISO 9660");
        var paths = new Argument<string[]>("PATH") { Description = "files and folders to put in the image", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "the image to write (- for stdout)", Required = true, HelpName = "OUT.iso" };
        var volumeId = new Option<string?>("--volume-id", "-V") { Description = "the volume label (at most 32 characters; default CDROM)", HelpName = "ID" };
        var joliet = Values.Switch("--joliet", "add a Joliet tree (Windows names, up to 64 characters)", "-J");
        var jolietLong = Values.Switch("--joliet-long", "allow Joliet names of up to 103 characters");
        var rockRidge = Values.Switch("--rock-ridge", "add Rock Ridge (POSIX names, modes, times, symbolic and hard links)", "-R");
        var level = Values.Number("--level", "1|2|3", "ISO 9660 interchange level (default 3: long names, files over 4 GiB)", 1, 3);
        var boot = new Option<string?>("--boot", "-b") { Description = "BIOS boot file (El Torito no-emulation entry)", HelpName = "FILE" };
        var bootInfo = Values.Switch("--boot-info-table", "patch a boot info table into the BIOS boot file's copy (ISOLINUX)");
        var loadSize = Values.Number("--boot-load-size", "N", "512-byte sectors the BIOS loads (default 4)", 1, 65535);
        var efi = new Option<string?>("--efi-boot", "-e") { Description = "EFI system partition image for a UEFI entry", HelpName = "FILE" };
        var date = Values.Number("--date", "EPOCH", "the time stamp of the build, seconds since 1970 (default SOURCE_DATE_EPOCH, else now)", 0, 253402300799);
        var noPad = Values.Switch("--no-pad", "end the image with its last file (no 300 KiB of zero padding)");
        var json = Values.Switch("--json", "print what was written as JSON");
        command.Add(paths);
        foreach (var o in new Option[] { output, volumeId, joliet, jolietLong, rockRidge, level, boot, bootInfo, loadSize, efi, date, noPad, json }) command.Add(o);
        command.SetAction(r =>
        {
            if (r.GetValue(bootInfo) && r.GetValue(boot) is null) throw new UsageException("--boot-info-table needs --boot");
            if (r.Given(loadSize) && r.GetValue(boot) is null) throw new UsageException("--boot-load-size needs --boot");
            string[] sources = r.GetValue(paths)!;
            var extra = new List<string>();
            string? biosPath = Resolve(r.GetValue(boot), sources, extra);
            string? efiPath = Resolve(r.GetValue(efi), sources, extra);
            var options = new IsoBuildOptions
            {
                VolumeId = r.GetValue(volumeId) ?? "CDROM",
                Joliet = r.GetValue(joliet) || r.GetValue(jolietLong),
                JolietLongNames = r.GetValue(jolietLong),
                RockRidge = r.GetValue(rockRidge),
                InterchangeLevel = (int)(r.GetValue(level) ?? 3),
                BootInfoTable = r.GetValue(bootInfo),
                BiosLoadSectors = (int)(r.GetValue(loadSize) ?? 4),
                Timestamp = r.GetValue(date) is long s ? DateTimeOffset.FromUnixTimeSeconds(s) : null,
                BiosBootPath = biosPath,
                EfiBootPath = efiPath,
                Padding = !r.GetValue(noPad),
            };
            return Run([.. sources, .. extra], r.GetValue(output)!, options, r.GetValue(json));
        });
        return command;
    }

    /// <summary>
    /// A boot file's image path: as given when some PATH puts a file there (a folder's relative path, or a file's
    /// name at the root); otherwise a host file of that path, added at the root under its name.
    /// </summary>
    private static string? Resolve(string? given, string[] sources, List<string> extra)
    {
        if (given is null) return null;
        string relative = given.Replace('\\', '/').TrimStart('/');
        foreach (string p in sources)
            if (Directory.Exists(p) ? File.Exists(Path.Combine(p, relative)) : Path.GetFileName(Path.GetFullPath(p)) == relative)
                return "/" + relative;
        if (!File.Exists(given)) throw new UsageException($"{given}: not a file of the image nor of this machine");
        string atRoot = Path.GetFileName(Path.GetFullPath(given));
        if (!sources.Any(p => !Directory.Exists(p) && Path.GetFileName(Path.GetFullPath(p)) == atRoot)) extra.Add(given);
        return "/" + atRoot;
    }

    private static int Run(string[] paths, string output, IsoBuildOptions options, bool json)
    {
        IsoImageBuilder builder;
        try
        {
            builder = new IsoImageBuilder(options);
            foreach (string p in paths)
            {
                if (Directory.Exists(p)) builder.AddTree(p);
                else if (File.Exists(p)) builder.AddFile("/" + Path.GetFileName(Path.GetFullPath(p)), p);
                else return Fail($"{p}: no such file or folder");
            }
        }
        catch (VirtualDiskException e)
        {
            return Fail(e.Diagnostic);
        }

        bool toStdout = output is "-" or "/dev/stdout" or "/dev/fd/1" or "/proc/self/fd/1";
        if (!toStdout && Directory.Exists(output)) throw new OutputException(output, "is a directory", null);
        using var bar = ProgressBar.Wanted && !json ? new ByteBar() : null;
        long size;
        try
        {
            if (toStdout)
            {
                using var stdout = Output.OpenStdout();
                size = builder.Build(stdout, bar);
                stdout.Flush();
            }
            else size = builder.Build(output, bar);
        }
        catch (VirtualDiskException e)
        {
            return Fail(e.Diagnostic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(output, Output.Reason(e, output), e);
        }
        bar?.Dispose();
        if (json)
        {
            // With the image on stdout, what was written goes to stderr.
            using var stdout = toStdout ? Console.OpenStandardError() : Output.OpenStdout();
            using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 1);
            w.WriteString("output", toStdout ? "-" : Path.GetFullPath(output));
            w.WriteNumber("size", size);
            w.WriteString("volumeId", options.VolumeId);
            w.WriteNumber("level", options.InterchangeLevel);
            w.WriteBoolean("joliet", options.Joliet);
            w.WriteBoolean("rockRidge", options.RockRidge);
            w.WriteNumber("timestamp", builder.Timestamp.ToUnixTimeSeconds());
            if (options.BiosBootPath is null) w.WriteNull("biosBoot"); else w.WriteString("biosBoot", options.BiosBootPath);
            if (options.EfiBootPath is null) w.WriteNull("efiBoot"); else w.WriteString("efiBoot", options.EfiBootPath);
            w.WriteEndObject();
            w.Flush();
            stdout.WriteByte((byte)'\n');
        }
        else (toStdout ? Console.Error : Console.Out).WriteLine($"{(toStdout ? "stdout" : output)}: {size.ToString("N0", CultureInfo.InvariantCulture)} bytes, volume '{options.VolumeId}', level {options.InterchangeLevel}"
            + (options.Joliet ? ", Joliet" : "") + (options.RockRidge ? ", Rock Ridge" : "")
            + (options.BiosBootPath is null ? "" : ", BIOS boot") + (options.EfiBootPath is null ? "" : ", UEFI boot"));
        return Program.ExitOk;
    }

    /// <summary>"vdisk mkiso: SOURCE: CODE Reason: message" (the source path when the failure is a host file's).</summary>
    private static int Fail(VirtualDiskDiagnostic d) =>
        Fail((d.FilePath is null ? "" : FileSystemInput.Printable(d.FilePath) + ": ") + $"{Text.Code(d.ErrorCode)} {d.Reason}: {d.Message}");

    private static int Fail(string message)
    {
        Console.Error.WriteLine("vdisk mkiso: " + message);
        return Program.ExitFailed;
    }

    /// <summary>A one-line byte progress bar on stderr (terminals only).</summary>
    private sealed class ByteBar : IProgress<IsoBuildProgress>, IDisposable
    {
        private readonly Lock _gate = new();
        private bool _drawn;

        public void Report(IsoBuildProgress value)
        {
            lock (_gate)
            {
                int percent = value.TotalBytes == 0 ? 100 : (int)(value.BytesWritten * 100 / value.TotalBytes);
                Terminal.RawError.Write($"\r\x1b[K[{new string('#', percent * 30 / 100)}{new string('.', 30 - percent * 30 / 100)}] {percent}% of {value.TotalBytes / (1 << 20):N0} MiB");
                _drawn = true;
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (_drawn) Terminal.RawError.Write("\r\x1b[K");
                _drawn = false;
            }
        }
    }
}
