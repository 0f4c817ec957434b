using System.Diagnostics;

namespace VirtualDiskManaged.Benchmarks.Support;

/// <summary>The kinds of image the open and read benchmarks cover.</summary>
public enum ImageKind
{
    Iso,
    VhdFixed,
    VhdDynamic,
    VhdDifferencing,
    VhdxFixed,
    VhdxDynamic,
    VhdxDifferencing,
}

/// <summary>Virtual size class of an image: 1 GiB, or the large size that shows whether open scales with the disk size.</summary>
public enum SizeClass
{
    /// <summary>1 GiB.</summary>
    Small,
    /// <summary>VHD: 2040 GiB (qemu's VHD maximum, ~2 TiB); VHDX: 64 TiB (the format's maximum); fixed VHDX: 15 TiB (ext4's file size limit).</summary>
    Large,
    /// <summary>
    /// 16 MiB with 1 MiB VHDX blocks: a differencing child whose BAT uses 17 entries (16 payload, 1 sector bitmap)
    /// of the 4,097 its one chunk spans (MS-VHDX §2.5). Benchmarked for the VHDX kinds only (Program.IsMeaningful).
    /// </summary>
    Tiny,
}

/// <summary>
/// Generates the benchmark images once into a temp folder shared by every benchmark process of a run (and kept for
/// later runs: each image is written under a temporary name and renamed when complete). qemu-img makes the fixed and
/// dynamic images (from a raw file of random bytes for the read benchmarks); the project's test writers make the
/// differencing chains, which qemu-img cannot create.
/// </summary>
public static class BenchImages
{
    /// <summary>Bump when the set of images or how they are made changes.</summary>
    private const int Version = 1;

    /// <summary>Size of the content used by the read benchmarks (random bytes, fully allocated in every image).</summary>
    public const int ContentSize = 64 << 20;

    public const long OneGiB = 1L << 30;
    public const long VhdLarge = 2040L << 30;
    public const long VhdxLarge = 64L << 40;
    public const long VhdxFixedLarge = 15L << 40;
    public const long TinySize = 16L << 20;
    public const uint TinyBlockSize = 1u << 20;

    private static readonly Lock Gate = new();

    public static string Folder { get; } = Path.Combine(Path.GetTempPath(), $"vdm-bench-images-v{Version}");

    /// <summary>The virtual size of an empty image of this kind and size class.</summary>
    public static long VirtualSize(ImageKind kind, SizeClass size) => (kind, size) switch
    {
        (_, SizeClass.Small) => OneGiB,
        (_, SizeClass.Tiny) => TinySize,
        (ImageKind.Iso, _) => OneGiB,
        (ImageKind.VhdFixed or ImageKind.VhdDynamic or ImageKind.VhdDifferencing, _) => VhdLarge,
        (ImageKind.VhdxFixed, _) => VhdxFixedLarge,
        _ => VhdxLarge,
    };

    /// <summary>The file extension of a kind.</summary>
    public static string Extension(ImageKind kind) => kind switch
    {
        ImageKind.Iso => ".iso",
        ImageKind.VhdFixed or ImageKind.VhdDynamic or ImageKind.VhdDifferencing => ".vhd",
        _ => ".vhdx",
    };

    public static bool IsVhd(ImageKind kind) => kind is ImageKind.VhdFixed or ImageKind.VhdDynamic or ImageKind.VhdDifferencing;

    public static bool IsVhdx(ImageKind kind) => kind is ImageKind.VhdxFixed or ImageKind.VhdxDynamic or ImageKind.VhdxDifferencing;

    /// <summary>An image for the open benchmarks: no data written (only metadata), virtual size by <paramref name="size"/>.</summary>
    public static string Empty(ImageKind kind, SizeClass size)
    {
        string name = $"empty-{kind}-{size}{Extension(kind)}".ToLowerInvariant();
        long bytes = VirtualSize(kind, size);
        return Make(name, target =>
        {
            switch (kind)
            {
                case ImageKind.Iso: MakeIso(target, bytes); break;
                case ImageKind.VhdFixed: QemuImg("create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on", target, bytes.ToString()); break;
                case ImageKind.VhdDynamic: QemuImg("create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", target, bytes.ToString()); break;
                case ImageKind.VhdxFixed: QemuImg("create", "-q", "-f", "vhdx", "-o", "subformat=fixed", target, bytes.ToString()); break;
                case ImageKind.VhdxDynamic:
                    QemuImg("create", "-q", "-f", "vhdx", "-o", size == SizeClass.Tiny ? $"subformat=dynamic,block_size={TinyBlockSize}" : "subformat=dynamic", target, bytes.ToString());
                    break;
                case ImageKind.VhdDifferencing or ImageKind.VhdxDifferencing:
                    ChainBuilder.MakeEmptyChild(kind, EmptyParent(kind, size)!, target, size == SizeClass.Tiny ? TinyBlockSize : 32u << 20); break;
                default: throw new ArgumentOutOfRangeException(nameof(kind));
            }
        });
    }

    /// <summary>The parent of <see cref="Empty"/>'s differencing image of <paramref name="kind"/> (an empty dynamic disk of the same format and size); null for other kinds.</summary>
    public static string? EmptyParent(ImageKind kind, SizeClass size) => kind switch
    {
        ImageKind.VhdDifferencing => Empty(ImageKind.VhdDynamic, size),
        ImageKind.VhdxDifferencing => Empty(ImageKind.VhdxDynamic, size),
        _ => null,
    };

    /// <summary>The raw file of random bytes (fixed seed) that every read image holds.</summary>
    public static string RawContent() => Make("content.raw", target =>
    {
        var random = new Random(20261122);
        var chunk = new byte[1 << 20];
        using var output = File.Create(target);
        for (int i = 0; i < ContentSize / chunk.Length; i++)
        {
            random.NextBytes(chunk);
            output.Write(chunk);
        }
    });

    /// <summary>
    /// An image for the read benchmarks holding <see cref="ContentSize"/> bytes, fully allocated, and the raw file
    /// with the same virtual content (the baseline). For differencing kinds the chain has three levels.
    /// </summary>
    public static (string Image, string Raw) WithContent(ImageKind kind)
    {
        string raw = RawContent();
        string name = $"content-{kind}{Extension(kind)}".ToLowerInvariant();
        switch (kind)
        {
            case ImageKind.Iso:
                // The ISO's virtual disk is the file itself: the raw content padded into an ISO 9660 image.
                string iso = Make(name, target => MakeIso(target, ContentSize, raw));
                return (iso, iso);
            case ImageKind.VhdFixed:
                return (Make(name, t => QemuImg("convert", "-q", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size=on", raw, t)), raw);
            case ImageKind.VhdDynamic:
                return (Make(name, t => QemuImg("convert", "-q", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic,force_size=on", raw, t)), raw);
            case ImageKind.VhdxFixed:
                return (Make(name, t => QemuImg("convert", "-q", "-f", "raw", "-O", "vhdx", "-o", "subformat=fixed", raw, t)), raw);
            case ImageKind.VhdxDynamic:
                return (Make(name, t => QemuImg("convert", "-q", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic", raw, t)), raw);
            case ImageKind.VhdDifferencing:
            case ImageKind.VhdxDifferencing:
                return ChainBuilder.ThreeLevelChain(kind, raw);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Runs <paramref name="create"/> into a temporary name unless the image exists; returns the final path.</summary>
    internal static string Make(string name, Action<string> create)
    {
        lock (Gate)
        {
            Directory.CreateDirectory(Folder);
            string path = Path.Combine(Folder, name);
            if (File.Exists(path)) return path;
            string temp = Path.Combine(Folder, $"tmp-{Environment.ProcessId}-{name}");
            if (File.Exists(temp)) File.Delete(temp);
            create(temp);
            File.Move(temp, path, overwrite: true);
            return path;
        }
    }

    /// <summary>
    /// An ISO 9660 image of <paramref name="size"/> bytes: a small image made by xorriso (genisoimage as fallback),
    /// extended sparsely with zeros (a valid ISO may be longer than its volume), or with <paramref name="contentFrom"/>'s
    /// bytes written after the descriptors.
    /// </summary>
    private static void MakeIso(string target, long size, string? contentFrom = null)
    {
        string dir = Path.Combine(Folder, $"isosrc-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "readme.txt"), "VirtualDiskManaged benchmark image\n");
        try
        {
            if (Tool.Exists("xorriso")) Tool.Run("xorriso", "-as", "mkisofs", "-quiet", "-V", "BENCH", "-o", target, dir);
            else Tool.Run("genisoimage", "-quiet", "-V", "BENCH", "-o", target, dir);
        }
        finally { Directory.Delete(dir, true); }
        using var file = new FileStream(target, FileMode.Open, FileAccess.ReadWrite);
        if (contentFrom is not null)
        {
            // Overwrite everything after the first 64 KiB (the descriptors live before that) with the random content.
            using var input = File.OpenRead(contentFrom);
            input.Position = 64 << 10;
            file.Position = 64 << 10;
            input.CopyTo(file);
        }
        file.SetLength(size);
    }

    internal static void QemuImg(params string[] args) => Tool.Run("qemu-img", args);
}

/// <summary>Runs external tools, failing loudly.</summary>
internal static class Tool
{
    public static bool Exists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));

    public static string Run(string name, params string[] args)
    {
        var info = new ProcessStartInfo(name) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {name}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{name} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
        return stdout.Result;
    }
}
