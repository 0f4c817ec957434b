using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>Images for the CLI tests, made by independent tools (genisoimage, qemu-img) and patched by byte offset.</summary>
internal static class CliImages
{
    /// <summary>The shared corpus (<see cref="TestPaths.SharedCorpus"/>).</summary>
    public static string? Corpus => TestPaths.SharedCorpus;

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
        if (fixChecksum) Seal(footer, 64);
        Patch(path, new FileInfo(path).Length - 512, footer);
    }

    /// <summary>CurrentSize of a VHD footer (offset 48, big-endian).</summary>
    public static long FooterCurrentSize(byte[] footer) => (long)BinaryPrimitives.ReadUInt64BigEndian(footer.AsSpan(48));

    /// <summary>C·H·S·512 from the footer's geometry (cylinders u16 at 56, heads at 58, sectors at 59).</summary>
    public static long FooterChsCapacity(byte[] footer) =>
        (long)BinaryPrimitives.ReadUInt16BigEndian(footer.AsSpan(56)) * footer[58] * footer[59] * 512;

    /// <summary>
    /// An empty differencing VHD (no block allocated: every read comes from the parent) whose only parent locator is
    /// W2ru = <paramref name="relativeParent"/>. Layout per the VHD spec: footer copy at 0, dynamic header at 512
    /// (cookie "cxsparse", table offset, block size 2 MiB, parent id = the parent footer's unique id at 68, parent
    /// time stamp 0 = not checked, locator entry at 576), BAT at 1536, locator data, trailing footer (disk type 4).
    /// </summary>
    public static string DifferencingVhd(string childPath, string parentPath, string relativeParent)
    {
        byte[] parentFooter = ReadFooter(parentPath);
        long size = FooterCurrentSize(parentFooter);
        const uint blockSize = 2 << 20;
        int entries = (int)((size + blockSize - 1) / blockSize);
        int batBytes = (entries * 4 + 511) / 512 * 512;
        long batOffset = 1536, locatorOffset = batOffset + batBytes;
        byte[] locator = System.Text.Encoding.Unicode.GetBytes(relativeParent); // W2ru: UTF-16LE
        var image = new byte[locatorOffset + 512 + 512];

        var footer = new byte[512];
        "conectix"u8.CopyTo(footer);
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(12), 0x00010000);
        BinaryPrimitives.WriteUInt64BigEndian(footer.AsSpan(16), 512);
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(24), 800_000_000);
        "vtst"u8.CopyTo(footer.AsSpan(28));
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(32), 0x00010000);
        "Wi2k"u8.CopyTo(footer.AsSpan(36));
        BinaryPrimitives.WriteUInt64BigEndian(footer.AsSpan(40), (ulong)size);
        BinaryPrimitives.WriteUInt64BigEndian(footer.AsSpan(48), (ulong)size);
        parentFooter.AsSpan(56, 4).CopyTo(footer.AsSpan(56)); // same geometry as the parent
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(60), 4);
        Guid.NewGuid().ToByteArray().CopyTo(footer, 68);
        Seal(footer, 64);

        var header = new byte[1024];
        "cxsparse"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), ulong.MaxValue);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(16), (ulong)batOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(24), 0x00010000);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(28), (uint)entries);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(32), blockSize);
        parentFooter.AsSpan(68, 16).CopyTo(header.AsSpan(40)); // parent unique id
        var name = System.Text.Encoding.BigEndianUnicode.GetBytes(Path.GetFileName(parentPath));
        name.CopyTo(header.AsSpan(64));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(576), 0x57327275); // "W2ru"
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(580), 512);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(584), (uint)locator.Length);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(592), (ulong)locatorOffset);
        Seal(header, 36);

        footer.CopyTo(image, 0);
        header.CopyTo(image, 512);
        image.AsSpan((int)batOffset, batBytes).Fill(0xFF);
        locator.CopyTo(image, (int)locatorOffset);
        footer.CopyTo(image, image.Length - 512);
        File.WriteAllBytes(childPath, image);
        return childPath;
    }

    /// <summary>VHD checksum: one's complement of the sum of all bytes, with the checksum field counted as zero.</summary>
    private static void Seal(byte[] structure, int checksumOffset)
    {
        BinaryPrimitives.WriteUInt32BigEndian(structure.AsSpan(checksumOffset), 0);
        uint sum = 0;
        foreach (byte b in structure) sum += b;
        BinaryPrimitives.WriteUInt32BigEndian(structure.AsSpan(checksumOffset), ~sum);
    }

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
