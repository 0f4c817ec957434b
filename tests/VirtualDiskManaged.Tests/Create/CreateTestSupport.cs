using System.Diagnostics;
using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Create;

/// <summary>Independent tools that judge created images: qemu-img, vhdiinfo, 7-Zip. Tests ignore themselves when a tool is missing.</summary>
internal static class CreateTools
{
    public const long MiB = 1024 * 1024, GiB = 1024 * MiB, TiB = 1024 * GiB;

    public static (int ExitCode, string Output) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(); return (-1, "timeout"); }
        return (p.ExitCode, stdout + stderr.Result);
    }

    public static void Require(string tool)
    {
        if (!TestPaths.HasTool(tool)) Assert.Ignore($"{tool} is not installed");
    }

    /// <summary>qemu-img info --output=json with the format forced (a fixed VHD probes as raw otherwise).</summary>
    public static JsonElement QemuInfo(string image, string format)
    {
        Require("qemu-img");
        var (rc, output) = Run("qemu-img", "info", "-f", format, "--output=json", image);
        Assert.That(rc, Is.EqualTo(0), "qemu-img info: " + output);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    public static string QemuFormat(VirtualDiskFormat format) => format == VirtualDiskFormat.Vhd ? "vpc" : "vhdx";

    /// <summary>vhdiinfo's "Name: value" lines.</summary>
    public static Dictionary<string, string> VhdiInfo(string image)
    {
        Require("vhdiinfo");
        var (rc, output) = Run("vhdiinfo", image);
        Assert.That(rc, Is.EqualTo(0), "vhdiinfo: " + output);
        var fields = new Dictionary<string, string>();
        foreach (var line in output.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        return fields;
    }

    /// <summary>7zz l -slt: the listing's properties (7-Zip opens VHD and VHDX as archives).</summary>
    public static Dictionary<string, string> SevenZipList(string image)
    {
        Require("7zz");
        var (rc, output) = Run("7zz", "l", "-slt", image);
        Assert.That(rc, Is.EqualTo(0), "7zz l: " + output);
        Assert.That(output, Does.Not.Contain("ERROR").And.Not.Contain("WARNINGS"), "7zz l: " + output);
        var fields = new Dictionary<string, string>();
        foreach (var line in output.Split('\n'))
        {
            int eq = line.IndexOf(" = ", StringComparison.Ordinal);
            if (eq > 0) fields.TryAdd(line[..eq].Trim(), line[(eq + 3)..].Trim());
        }
        return fields;
    }

    /// <summary>qemu-img compare: 0 = same guest-visible content.</summary>
    public static (int ExitCode, string Output) QemuCompare(string a, string formatA, string b, string formatB)
    {
        Require("qemu-img");
        return Run("qemu-img", "compare", "-f", formatA, "-F", formatB, a, b);
    }

    /// <summary>A sparse raw file of zeros of <paramref name="size"/> bytes (the reference for "reads as zeros").</summary>
    public static string ZeroRaw(string folder, long size)
    {
        string p = Path.Combine(folder, "zero.raw");
        using (var fs = File.Create(p)) fs.SetLength(size);
        return p;
    }

    /// <summary>A raw file with a pattern at a few places (the source of copy tests).</summary>
    public static string PatternRaw(string folder, string name, long size, params long[] offsets)
    {
        string p = Path.Combine(folder, name);
        using var fs = File.Create(p);
        fs.SetLength(size);
        var block = new byte[64 * 1024];
        for (int i = 0; i < offsets.Length; i++)
        {
            new Random(i + 1).NextBytes(block);
            fs.Position = offsets[i];
            fs.Write(block, 0, (int)Math.Min(block.Length, size - offsets[i]));
        }
        return p;
    }

    /// <summary>True when every byte of the open disk reads as zero.</summary>
    public static bool ReadsAsZeros(VirtualDiskHandle handle)
    {
        var buffer = new byte[4 * 1024 * 1024];
        for (long o = 0; o < handle.VirtualSize; o += buffer.Length)
        {
            int n = handle.Read(o, buffer);
            if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0)) return false;
        }
        return true;
    }

    /// <summary>Files in <paramref name="folder"/> whose names mark a temporary create file.</summary>
    public static string[] TempLeftovers(string folder) =>
        Directory.GetFiles(folder, "*.vdm-tmp", new EnumerationOptions { AttributesToSkip = 0 });
}

/// <summary>One folder per test, deleted afterwards.</summary>
public abstract class CreateTestBase
{
    /// <summary>This test's folder.</summary>
    protected string Folder { get; private set; } = "";

    /// <summary>Makes the folder.</summary>
    [SetUp]
    public void MakeFolder() => Folder = TestPaths.NewTempFolder("create");

    /// <summary>Removes the folder.</summary>
    [TearDown]
    public void RemoveFolder()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A path in this test's folder.</summary>
    protected string At(string name) => Path.Combine(Folder, name);
}
