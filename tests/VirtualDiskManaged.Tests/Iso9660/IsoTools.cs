using System.Diagnostics;
using System.Security.Cryptography;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Iso9660;

/// <summary>Runs the independent ISO tools (xorriso, genisoimage, isoinfo, bsdtar, implantisomd5, checkisomd5) and builds source trees.</summary>
internal static class IsoTools
{
    public static void Require(params string[] tools)
    {
        foreach (var t in tools)
            if (!TestPaths.HasTool(t)) Assert.Ignore($"{t} is not installed");
    }

    public static (int Rc, string Out, string Err) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C.UTF-8";
        psi.Environment["SOURCE_DATE_EPOCH"] = "1700000000";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(true); Assert.Fail($"{tool} did not finish"); }
        return (p.ExitCode, output, err.Result);
    }

    public static string RunOk(string tool, params string[] args)
    {
        var (rc, output, err) = Run(tool, args);
        Assert.That(rc, Is.EqualTo(0), $"{tool} {string.Join(' ', args)}: {err}");
        return output;
    }

    /// <summary>A tool's standard output as bytes (each byte one Latin-1 char).</summary>
    public static string RunBytes(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var m = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(m);
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), $"{tool}: {err.Result}");
        return System.Text.Encoding.Latin1.GetString(m.ToArray());
    }

    public static string Sha256(Stream s) => Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();

    public static string Sha256(string path) { using var f = File.OpenRead(path); return Sha256(f); }

    /// <summary>Opens an ISO file's file system (read-only).</summary>
    public static (FileStream File, FileSystemReader Fs) Open(string iso, FileSystemNamespace ns = FileSystemNamespace.Auto, int? session = null)
    {
        var f = File.OpenRead(iso);
        try
        {
            var fs = FileSystem.Open(f, new FileSystemOpenOptions { Namespace = ns, Session = session });
            return (f, fs);
        }
        catch
        {
            f.Dispose();
            throw;
        }
    }

    /// <summary>A tree that holds what readers get wrong: long and unicode names, deep directories, multi-sector directories, symlinks, empty files.</summary>
    public static string MakeTree(string folder)
    {
        string src = Path.Combine(folder, "tree");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "readme.txt"), "hello iso\n");
        File.WriteAllBytes(Path.Combine(src, "empty.dat"), []);
        File.WriteAllText(Path.Combine(src, "Grüße-日本語.txt"), "unicode name\n");
        File.WriteAllText(Path.Combine(src, new string('L', 180) + ".long"), "long name\n");
        string deep = src;
        for (int i = 1; i <= 11; i++) deep = Path.Combine(deep, "d" + i);
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "bottom.txt"), "deep\n");
        string many = Path.Combine(src, "many");
        Directory.CreateDirectory(many);
        for (int i = 0; i < 150; i++) File.WriteAllText(Path.Combine(many, $"file-number-{i:D4}.txt"), $"content {i}\n");
        var rnd = new Random(7);
        var big = new byte[300_000];
        rnd.NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "random.bin"), big);
        File.CreateSymbolicLink(Path.Combine(src, "link-abs"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(src, "link-rel"), "../tree/readme.txt");
        File.CreateSymbolicLink(Path.Combine(many, "up"), "..");
        return src;
    }
}
