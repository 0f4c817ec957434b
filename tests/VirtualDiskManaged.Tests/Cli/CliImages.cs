using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>Images for the CLI tests, made by independent tools (genisoimage, qemu-img) and patched by byte offset.</summary>
internal static class CliImages
{
    /// <summary>The shared corpus: ../shared/corpus beside the checkout, or VDM_SHARED_CORPUS.</summary>
    public static string? Corpus
    {
        get
        {
            if (TestPaths.SharedCorpus is { } p) return p;
            string? env = Environment.GetEnvironmentVariable("VDM_SHARED_CORPUS");
            return env is not null && File.Exists(Path.Combine(env, "manifest.json")) ? env : null;
        }
    }

    public static void RequireTool(string name)
    {
        if (!TestPaths.HasTool(name)) Assert.Ignore($"{name} is not installed (CI installs it)");
    }

    /// <summary>Runs a tool; fails the test when it fails.</summary>
    public static string Tool(string name, params string[] args)
    {
        RequireTool(name);
        var psi = new ProcessStartInfo(name) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, $"{name} {string.Join(' ', args)} failed: {err.Result}");
        return output;
    }

    /// <summary>An ISO made by genisoimage from a folder with one file; with El Torito (no emulation) when asked.</summary>
    public static string Iso(string folder, string name, bool elTorito = false)
    {
        string src = Path.Combine(folder, name + "-src");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "hello.txt"), "hello from " + name);
        var args = new List<string> { "-quiet", "-o", Path.Combine(folder, name), "-V", "CLITEST" };
        if (elTorito)
        {
            File.WriteAllBytes(Path.Combine(src, "boot.img"), new byte[2048]);
            args.AddRange(["-b", "boot.img", "-no-emul-boot", "-boot-load-size", "4"]);
        }
        args.Add(src);
        Tool("genisoimage", [.. args]);
        Directory.Delete(src, true);
        return Path.Combine(folder, name);
    }

    /// <summary>qemu-img create -f vpc (fixed or dynamic, force_size for exact sizes).</summary>
    public static string Vhd(string folder, string name, string size, bool isFixed = true, bool forceSize = true)
    {
        string path = Path.Combine(folder, name);
        string opts = $"subformat={(isFixed ? "fixed" : "dynamic")}{(forceSize ? ",force_size=on" : "")}";
        Tool("qemu-img", "create", "-q", "-f", "vpc", "-o", opts, path, size);
        return path;
    }

    /// <summary>qemu-img create -f vhdx.</summary>
    public static string Vhdx(string folder, string name, string size)
    {
        string path = Path.Combine(folder, name);
        Tool("qemu-img", "create", "-q", "-f", "vhdx", path, size);
        return path;
    }

    /// <summary>Writes bytes at an offset of a file.</summary>
    public static void Patch(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        f.Write(bytes);
    }

    /// <summary>The trailing 512-byte VHD footer (VHD spec: the last 512 bytes of the file).</summary>
    public static byte[] ReadFooter(string path)
    {
        using var f = File.OpenRead(path);
        var b = new byte[512];
        f.Position = f.Length - 512;
        f.ReadExactly(b);
        return b;
    }

    /// <summary>Rewrites the trailing footer, recomputing its checksum (one's complement of the byte sum, field at 64).</summary>
    public static void WriteFooter(string path, byte[] footer, bool fixChecksum = true)
    {
        if (fixChecksum)
        {
            BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(64), 0);
            uint sum = 0;
            foreach (byte b in footer) sum += b;
            BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(64), ~sum);
        }
        Patch(path, new FileInfo(path).Length - 512, footer);
    }

    /// <summary>CurrentSize of a VHD footer (offset 48, big-endian).</summary>
    public static long FooterCurrentSize(byte[] footer) => (long)BinaryPrimitives.ReadUInt64BigEndian(footer.AsSpan(48));

    /// <summary>C·H·S·512 from the footer's geometry (cylinders u16 at 56, heads at 58, sectors at 59).</summary>
    public static long FooterChsCapacity(byte[] footer) =>
        (long)BinaryPrimitives.ReadUInt16BigEndian(footer.AsSpan(56)) * footer[58] * footer[59] * 512;

    public static string Gzip(string path, bool deleteOriginal = true)
    {
        string gz = path + ".gz";
        using (var input = File.OpenRead(path))
        using (var output = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            input.CopyTo(output);
        if (deleteOriginal) File.Delete(path);
        return gz;
    }

    public static string FileSha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
