using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk convert</c>: <see cref="VirtualDiskOperations.TryConvert"/> (docs/operations.md "convert").</summary>
internal static class ConvertCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("convert", "copy an image (or a raw file) into a new VHD, VHDX or raw file",
            "Reads IN (any image the library opens, chains included, or with --source-format raw a plain file) and writes its "
            + "virtual content into OUT, which must not exist. Only allocated ranges of IN are read; all-zero blocks are not "
            + "allocated in a dynamic output. OUT is written under a temporary name in its folder, flushed and renamed, so an "
            + "interrupted convert leaves nothing at OUT. --azure makes a fixed VHD whose size is rounded up to a whole MiB "
            + "(at least 20 MiB) so that 'vdisk check --profile azure' passes. IN may be X.gz (expanded "
            + "first); the source open options --flags, --rules and --strict say how IN is opened (always read-only). A progress bar is drawn when stderr is a terminal.",
            "0 OUT was written, 1 the convert failed (nothing was left at OUT) or IN.gz could not be expanded");
        var input = new Argument<string>("IN") { Description = "the source image or file (X.gz is expanded first)" };
        var output = new Argument<string>("OUT") { Description = "the new file (must not exist)" };
        var format = Values.OneOf("--format", "FORMAT", "vhd, vhdx or raw (default: from OUT's extension: .vhd, .vhdx, .raw/.img/.bin)", ["vhd", "vhdx", "raw"], "-O");
        var type = Values.OneOf("--type", "TYPE", "dynamic (default) or fixed (VHD and VHDX outputs)", ["fixed", "dynamic"]);
        var blockSize = Values.Number("--block-size", "N", "block size in bytes, K/M suffixes allowed (VHD 512K or 2M; VHDX 1M to 256M)", 1, uint.MaxValue);
        blockSize.CustomParser = r =>
        {
            string v = r.Tokens[0].Value;
            if (CreateCommand.TryParseSize(v, out long n) && n > 0 && n <= uint.MaxValue) return n;
            r.AddError($"option '--block-size' takes a size such as 2M, not '{v}'");
            return null;
        };
        var sourceFormat = Values.OneOf("--source-format", "FORMAT", "auto (default: an image) or raw (a plain file)", ["auto", "raw"]);
        var azure = Values.Switch("--azure", "a fixed VHD sized to a whole MiB for Azure (implies --format vhd --type fixed)");
        var preallocate = Values.Switch("--preallocate", "fixed outputs: reserve the whole file on the host volume (default: sparse, as qemu-img)");
        var open = new OpenOptions();
        command.Add(input);
        command.Add(output);
        foreach (var o in new Option[] { format, type, blockSize, sourceFormat, azure, preallocate }) command.Add(o);
        open.AddReadOnlySourceTo(command);
        command.SetAction(r =>
        {
            bool isAzure = r.GetValue(azure);
            string? t = r.GetValue(type);
            if (isAzure && t == "dynamic") throw new UsageException("--azure makes a fixed VHD: --type dynamic contradicts it");
            if (isAzure && r.GetValue(format) is { } f && f != "vhd") throw new UsageException($"--azure makes a VHD, not {f}");
            var sourceOpen = open.BindReadOnlySource(r);
            bool raw = r.GetValue(sourceFormat) == "raw";
            string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
            // IN.gz is expanded into a private temp folder (its compressed parents beside it, docs/cli.md "Compressed images").
            if (!ImageInput.TryPrepareForCommand(inPath, json: false, out var prepared)) return Program.ExitFailed;
            using var source = prepared;
            if (source.IsCompressed && !raw)
            {
                var readOnly = (sourceOpen ?? new VirtualDiskOpenOptions()) with
                {
                    Access = VirtualDiskAccessMask.None,
                    Parameters = OpenVirtualDiskParameters.V2(readOnly: true),
                    ValidationMode = true,
                };
                if (source.TryOpen(readOnly, out var chain, out _)) chain!.Dispose(); // brings the parents; the convert reports any failure
            }
            using var bar = new OperationOutput.Bar();
            var options = new ConvertOptions
            {
                Format = r.GetValue(format) switch { "vhd" => ConvertFormat.Vhd, "vhdx" => ConvertFormat.Vhdx, "raw" => ConvertFormat.Raw, _ => ConvertFormat.Auto },
                Type = t == "fixed" ? ConvertType.Fixed : ConvertType.Dynamic,
                BlockSize = (uint)(r.GetValue(blockSize) ?? 0),
                SourceFormat = raw ? VirtualDiskSourceFormat.Raw : VirtualDiskSourceFormat.Auto,
                SourceOpenOptions = sourceOpen,
                Azure = isAzure,
                Preallocate = r.GetValue(preallocate),
                Progress = bar,
            };
            bool ok = VirtualDiskOperations.TryConvert(source.OpenPath, outPath, options, out var result, out var failure);
            bar.Dispose();
            if (!ok)
            {
                string at = failure!.FilePath == source.OpenPath || failure.Reason == VirtualDiskErrorReason.OperationOpenFailed ? inPath : outPath;
                return OperationOutput.Fail(at, failure, source.MapPath);
            }
            string kind = result!.Format == ConvertFormat.Raw ? "raw" : $"{(result.Format == ConvertFormat.Vhd ? "VHD" : "VHDX")} {(result.Type == ConvertType.Fixed ? "fixed" : "dynamic")}";
            Console.Out.WriteLine($"converted {inPath} -> {result.OutputPath}: {kind}, {Text.Size(result.VirtualSize)}, file {Text.Size(result.FileSize)}");
            return Program.ExitOk;
        });
        return command;
    }
}
