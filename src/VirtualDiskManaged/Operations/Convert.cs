using Microsoft.Win32.SafeHandles;
using VirtualDiskManaged.Create;
using VirtualDiskManaged.IO;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

/// <summary>The output format of <see cref="VirtualDiskOperations.Convert"/>.</summary>
public enum ConvertFormat
{
    /// <summary>From the output path's extension: .vhd/.avhd VHD, .vhdx/.avhdx VHDX, .raw/.img/.bin raw.</summary>
    Auto = 0,
    /// <summary>VHD (the VHD spec).</summary>
    Vhd = 1,
    /// <summary>VHDX (MS-VHDX).</summary>
    Vhdx = 2,
    /// <summary>A plain file holding the virtual bytes (sparse where the source is unallocated or zero).</summary>
    Raw = 3,
}

/// <summary>How the output of a VHD or VHDX convert is laid out.</summary>
public enum ConvertType
{
    /// <summary>Dynamically expanding: only blocks with non-zero data are allocated (default).</summary>
    Dynamic = 0,
    /// <summary>Fixed: every block allocated.</summary>
    Fixed = 1,
}

/// <summary>Progress of a convert: virtual bytes processed out of the total.</summary>
/// <param name="BytesDone">Virtual bytes of the source processed so far.</param>
/// <param name="BytesTotal">The source's virtual size.</param>
public readonly record struct ConvertProgress(long BytesDone, long BytesTotal);

/// <summary>Options of <see cref="VirtualDiskOperations.Convert"/> (docs/operations.md "convert").</summary>
public sealed record ConvertOptions
{
    /// <summary>The output format; default from the output path's extension.</summary>
    public ConvertFormat Format { get; init; }

    /// <summary>Dynamic (default) or fixed; VHD and VHDX outputs only.</summary>
    public ConvertType Type { get; init; }

    /// <summary>Block size of a dynamic VHD or of a VHDX output; 0 = the format's default (VHD 2 MiB, VHDX 32 MiB).</summary>
    public uint BlockSize { get; init; }

    /// <summary>How the input is read: an image the library opens (default, chains included) or a raw file.</summary>
    public VirtualDiskSourceFormat SourceFormat { get; init; }

    /// <summary>
    /// A fixed VHD for Azure: the virtual size rounded up to a whole MiB and at least 20 MiB (at most 32 TiB), so that
    /// <c>vdisk check --profile azure</c> passes. Needs <see cref="ConvertFormat.Auto"/> or <see cref="ConvertFormat.Vhd"/>.
    /// </summary>
    public bool Azure { get; init; }

    /// <summary>
    /// Fixed outputs: reserve the whole file on the host volume (CREATE_VIRTUAL_DISK_FLAG_FULL_PHYSICAL_ALLOCATION
    /// without SPARSE_FILE). Default false: the file is sparse where the source is unallocated or zero, as
    /// <c>qemu-img convert</c> leaves it (preallocation=off).
    /// </summary>
    public bool Preallocate { get; init; }

    /// <summary>
    /// How an image input is opened (ignored with <see cref="VirtualDiskSourceFormat.Raw"/>): its storage type, flags
    /// (for example NO_PARENTS), rule set, strictness and parent restriction apply; the input is always opened
    /// read-only, whatever its access mask and parameters say. Null (default): auto-detected, documented rules.
    /// </summary>
    public VirtualDiskOpenOptions? SourceOpenOptions { get; init; }

    /// <summary>Receives progress as the source is copied.</summary>
    public IProgress<ConvertProgress>? Progress { get; init; }

    /// <summary>Cancels the convert; nothing is left at the output path.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>What <see cref="VirtualDiskOperations.Convert"/> wrote.</summary>
/// <param name="OutputPath">The output's full path.</param>
/// <param name="Format">The output format (never Auto).</param>
/// <param name="Type">Dynamic or fixed (raw outputs say Fixed).</param>
/// <param name="VirtualSize">The output's virtual size.</param>
/// <param name="FileSize">The output file's length.</param>
public sealed record ConvertResult(string OutputPath, ConvertFormat Format, ConvertType Type, long VirtualSize, long FileSize);

public static partial class VirtualDiskOperations
{
    private const long MiB = 1L << 20;

    /// <summary>Azure managed-disk bounds of the virtual size (docs/operations.md "convert --azure").</summary>
    internal const long AzureMinSize = 20 * MiB, AzureMaxSize = 32L << 40;

    /// <summary>
    /// Converts the image (or, with <see cref="ConvertOptions.SourceFormat"/> Raw, the plain file) at
    /// <paramref name="inputPath"/> into a new VHD, VHDX or raw file at <paramref name="outputPath"/>, which must not
    /// exist. Only the source's allocated ranges are read (its allocation map, not its virtual size), and all-zero blocks
    /// are not allocated in dynamic outputs. The output is written under a temporary name in its folder, flushed and
    /// renamed: an interrupted or failed convert leaves nothing at <paramref name="outputPath"/>.
    /// </summary>
    /// <param name="inputPath">The source image or file.</param>
    /// <param name="outputPath">The new file.</param>
    /// <param name="options">Format, type, block size, source format, Azure, progress.</param>
    /// <returns>What was written.</returns>
    public static ConvertResult Convert(string inputPath, string outputPath, ConvertOptions? options = null)
    {
        if (!TryConvert(inputPath, outputPath, options, out var result, out var failure)) ThrowHelper.Throw(failure!);
        return result!;
    }

    /// <summary>Tries to convert (see <see cref="Convert"/>); on failure <paramref name="failure"/> says why.</summary>
    /// <param name="inputPath">The source image or file.</param>
    /// <param name="outputPath">The new file.</param>
    /// <param name="options">Options; null = defaults.</param>
    /// <param name="result">What was written, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryConvert(string inputPath, string outputPath, ConvertOptions? options, out ConvertResult? result, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(inputPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        options ??= new ConvertOptions();
        result = null;
        failure = Plan(outputPath, options, out var format);
        if (failure is not null) return false;
        var type = options.Azure ? ConvertType.Fixed : options.Type;

        // The source's size (the Azure size and the progress total need it before the copy starts).
        failure = SourceSize(inputPath, options, out long sourceSize);
        if (failure is not null) return false;
        long size = 0;
        if (options.Azure)
        {
            size = Math.Max(AzureMinSize, (sourceSize + MiB - 1) / MiB * MiB);
            if (size > AzureMaxSize)
            {
                failure = new(R.ConvertOptionsInvalid, inputPath, $"The source has {sourceSize} bytes; Azure takes at most {AzureMaxSize} (32 TiB)");
                return false;
            }
        }

        if (format == ConvertFormat.Raw)
        {
            failure = ConvertToRaw(inputPath, outputPath, options, sourceSize, out result);
            return failure is null;
        }

        var progress = options.Progress is { } p ? new Progress(p, sourceSize) : null;
        var create = new VirtualDiskCreateOptions
        {
            Format = format == ConvertFormat.Vhd ? VirtualDiskFormat.Vhd : VirtualDiskFormat.Vhdx,
            Type = type == ConvertType.Fixed ? VirtualDiskCreateType.Fixed : VirtualDiskCreateType.Dynamic,
            Size = size,
            SourcePath = inputPath,
            SourceFormat = options.SourceFormat,
            SourceOpenOptions = options.SourceOpenOptions,
            BlockSize = options.BlockSize,
            Sparse = type == ConvertType.Fixed && !options.Preallocate,
            Progress = progress,
            CancellationToken = options.CancellationToken,
        };
        if (!VirtualDisk.TryCreate(outputPath, create, out var handle, out VirtualDiskDiagnostic? created))
        {
            failure = created.Reason switch
            {
                R.CreateTargetExists => new(R.ConvertTargetExists, created.FilePath ?? outputPath, created.Detail),
                R.CreateFolderNotFound => new(R.ConvertFolderNotFound, created.FilePath ?? outputPath, created.Detail),
                R.CreateSourceOpenFailed => new(R.OperationOpenFailed, inputPath, inner: created.Inner ?? created, code: created.Code),
                R.CreateSourceReadFailed => new(R.ConvertReadFailed, inputPath, created.Detail, inner: created.Inner ?? created, code: created.Code),
                R.CreateCanceled => new(R.ConvertCanceled, outputPath),
                R.CreateDiskFull => new(R.ConvertDiskFull, outputPath, created.Detail),
                R.CreateWriteFailed => new(R.ConvertWriteFailed, outputPath, created.Detail),
                _ => created, // a create rule (for example a size below the format's minimum): its own reason and code
            };
            return false;
        }
        using (handle)
        {
            options.Progress?.Report(new(sourceSize, sourceSize));
            result = new(handle.Path, format, type, handle.VirtualSize, handle.Info.Top.FileSize);
        }
        return true;
    }

    private sealed class Progress(IProgress<ConvertProgress> inner, long total) : IProgress<long>
    {
        public void Report(long value) => inner.Report(new(Math.Min(value, total), total));
    }

    /// <summary>The output format and the option rules (docs/operations.md "convert").</summary>
    private static VirtualDiskDiagnostic? Plan(string outputPath, ConvertOptions o, out ConvertFormat format)
    {
        format = o.Format;
        if (format == ConvertFormat.Auto)
        {
            format = Path.GetExtension(outputPath).ToLowerInvariant() switch
            {
                ".vhd" or ".avhd" => ConvertFormat.Vhd,
                ".vhdx" or ".avhdx" => ConvertFormat.Vhdx,
                ".raw" or ".img" or ".bin" => ConvertFormat.Raw,
                _ => o.Azure ? ConvertFormat.Vhd : ConvertFormat.Auto,
            };
            if (format == ConvertFormat.Auto) return new(R.ConvertFormatNotDetermined, outputPath);
        }
        if (format is not (ConvertFormat.Vhd or ConvertFormat.Vhdx or ConvertFormat.Raw))
            return new(R.ConvertOptionsInvalid, outputPath, $"Format {o.Format}");
        if (o.Type is not (ConvertType.Dynamic or ConvertType.Fixed)) return new(R.ConvertOptionsInvalid, outputPath, $"Type {o.Type}");
        if (o.SourceFormat is not (VirtualDiskSourceFormat.Auto or VirtualDiskSourceFormat.Raw)) return new(R.ConvertOptionsInvalid, outputPath, $"Source format {o.SourceFormat}");
        if (o.Azure && format != ConvertFormat.Vhd) return new(R.ConvertOptionsInvalid, outputPath, $"--azure makes a fixed VHD, not {format}");
        if (o.Azure && o.Type == ConvertType.Dynamic && o.BlockSize != 0) return new(R.ConvertOptionsInvalid, outputPath, "--azure makes a fixed VHD: no block size");
        if (format == ConvertFormat.Raw && (o.Type != ConvertType.Dynamic || o.BlockSize != 0))
            return new(R.ConvertOptionsInvalid, outputPath, "A raw output has no type and no block size");
        if (format == ConvertFormat.Vhd && o.Type == ConvertType.Fixed && o.BlockSize != 0)
            return new(R.ConvertOptionsInvalid, outputPath, "A fixed VHD has no blocks (VHD spec: fixed hard disk image)");
        return null;
    }

    private static VirtualDiskDiagnostic? SourceSize(string inputPath, ConvertOptions o, out long size)
    {
        size = 0;
        if (o.SourceFormat == VirtualDiskSourceFormat.Raw)
        {
            var host = Host.HostFile.TryOpen(inputPath, exclusive: false, out var file);
            if (host is not null) return new(R.OperationOpenFailed, inputPath, inner: host, code: host.Code);
            using (file) size = (file!.Length + 511) / 512 * 512;
            return null;
        }
        var failure = OpenInput(inputPath, o.SourceOpenOptions, out var handle);
        if (failure is not null) return failure;
        using (handle) size = handle!.VirtualSize;
        return null;
    }

    /// <summary>A raw output: a sparse file of the virtual size with the source's non-zero allocated bytes written into it.</summary>
    private static VirtualDiskDiagnostic? ConvertToRaw(string inputPath, string outputPath, ConvertOptions o, long size, out ConvertResult? result)
    {
        result = null;
        string path;
        try { path = Path.GetFullPath(outputPath); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return new(R.ConvertFolderNotFound, outputPath, e.Message); }
        string? folder = Path.GetDirectoryName(path);
        if (folder is null || !Directory.Exists(folder)) return new(R.ConvertFolderNotFound, path, $"Folder {folder}");
        if (File.Exists(path) || Directory.Exists(path)) return new(R.ConvertTargetExists, path);

        VirtualDiskHandle? image = null;
        SafeFileHandle? raw = null;
        TargetFile? target = null;
        try
        {
            List<AllocatedRange> ranges;
            if (o.SourceFormat == VirtualDiskSourceFormat.Raw)
            {
                try { raw = File.OpenHandle(inputPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new(R.OperationOpenFailed, inputPath, e.Message, code: VirtualDiskError.IoDevice); }
                ranges = size == 0 ? [] : [new AllocatedRange(0, size)];
            }
            else
            {
                var failure = OpenInput(inputPath, o.SourceOpenOptions, out image);
                if (failure is not null) return failure;
                ranges = Allocated(image!);
            }
            target = TargetFile.Create(path, 0);
            target.SetLength(size);
            var buffer = new byte[CompareChunk];
            foreach (var r in ranges)
            {
                for (long offset = r.Offset; offset < r.End; offset += buffer.Length)
                {
                    o.CancellationToken.ThrowIfCancellationRequested();
                    var data = buffer.AsSpan(0, (int)Math.Min(buffer.Length, r.End - offset));
                    if (image is not null) image.ReadCore(offset, data);
                    else if (Host.UnixNative.NextData(raw!, offset) >= offset + data.Length) { o.Progress?.Report(new(offset + data.Length, size)); continue; }
                    else ReadRaw(raw!, offset, data);
                    // All-zero chunks stay holes of the sparse output.
                    if (data.ContainsAnyExcept((byte)0)) target.Write(offset, data);
                    o.Progress?.Report(new(offset + data.Length, size));
                }
            }
            target.Commit();
            o.Progress?.Report(new(size, size));
            result = new(path, ConvertFormat.Raw, ConvertType.Fixed, size, size);
            return null;
        }
        catch (OperationCanceledException) { return new(R.ConvertCanceled, path); }
        catch (VirtualDiskException e) { return new(R.ConvertReadFailed, inputPath, e.Diagnostic.Detail, e.Diagnostic.Offset, inner: e.Diagnostic, code: e.Diagnostic.Code); }
        catch (IOException e) when (File.Exists(path) && target is not null) { return new(R.ConvertTargetExists, path, e.Message); }
        catch (IOException e) when (IsDiskFull(e)) { return new(R.ConvertDiskFull, path, e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new(R.ConvertWriteFailed, path, e.Message); }
        finally
        {
            target?.Dispose();
            image?.Dispose();
            raw?.Dispose();
        }
    }

    private static void ReadRaw(SafeFileHandle raw, long offset, Span<byte> buffer)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = RandomAccess.Read(raw, buffer[filled..], offset + filled);
            if (n <= 0) break;
            filled += n;
        }
        buffer[filled..].Clear(); // the last sector past a raw file's end reads as zeros
    }

    /// <summary>ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows, ENOSPC (28) or EDQUOT (122) elsewhere.</summary>
    private static bool IsDiskFull(IOException e)
    {
        int code = e.HResult & 0xFFFF;
        return OperatingSystem.IsWindows() ? code is 112 or 39 : code is 28 or 122;
    }
}
