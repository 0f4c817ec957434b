using System.Diagnostics;
using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>A VhdxWriter plus the plain byte array the guest should see (the model the test asserts against).</summary>
internal sealed class ModelDisk
{
    public ModelDisk(VhdxWriter writer, byte[]? parentContent = null)
    {
        Writer = writer;
        Content = parentContent is null ? new byte[writer.VirtualSize] : (byte[])parentContent.Clone();
    }

    public VhdxWriter Writer { get; }
    public byte[] Content { get; }

    public ModelDisk Fill(long offset, int length, byte pattern)
    {
        Writer.Fill(offset, length, pattern);
        Content.AsSpan((int)offset, length).Fill(pattern);
        return this;
    }

    public string Sha256 => Convert.ToHexString(SHA256.HashData(Content)).ToLowerInvariant();
}

internal static class VhdxTestSupport
{
    public static string Save(VhdxWriter writer, string folder, string name)
    {
        string path = Path.Combine(folder, name);
        writer.Save(path);
        return path;
    }

    public static string Save(byte[] image, string folder, string name)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, image);
        return path;
    }

    public static (int ExitCode, string Output) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(60_000)) { p.Kill(); return (-1, "timeout"); }
        return (p.ExitCode, stdout + stderr);
    }

    /// <summary>vhdiinfo's "Name: value" lines.</summary>
    public static Dictionary<string, string> VhdiInfo(string image)
    {
        var (rc, output) = Run("vhdiinfo", image);
        Assert.That(rc, Is.EqualTo(0), output);
        var fields = new Dictionary<string, string>();
        foreach (var line in output.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return fields;
    }

    /// <summary>SHA-256 of the disk as libvhdi's FUSE mount (vhdimount) shows it, or null when FUSE does not work here.</summary>
    public static string? VhdimountSha256(string image) => VhdimountSha256(image, out _);

    /// <summary>As <see cref="VhdimountSha256(string)"/>, with vhdimount's messages when it did not mount.</summary>
    public static string? VhdimountSha256(string image, out string messages)
    {
        messages = "";
        if (!TestPaths.HasTool("vhdimount") || !File.Exists("/dev/fuse")) return null;
        string mount = TestPaths.NewTempFolder("mnt");
        var psi = new ProcessStartInfo("vhdimount") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(image);
        psi.ArgumentList.Add(mount);
        using var p = Process.Start(psi)!;
        p.WaitForExit(30_000);
        string disk = Path.Combine(mount, "vhdi1");
        try
        {
            if (!File.Exists(disk))
            {
                if (p.HasExited) messages = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                return null;
            }
            using var s = File.OpenRead(disk);
            return Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
        }
        finally
        {
            Run("umount", mount);
        }
    }
}
