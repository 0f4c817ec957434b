using System.Diagnostics;
using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.IsoBuild;

/// <summary>Runs the independent ISO readers the builder's output is checked against.</summary>
internal static class IsoBuildTools
{
    public static void Require(params string[] tools)
    {
        foreach (var t in tools)
            if (!TestPaths.HasTool(t)) Assert.Ignore($"{t} is not installed (.ci/run installs it)");
    }

    /// <summary>Runs a tool with no standard input; fails the test on a time-out.</summary>
    public static (int Exit, string Out, string Err) Run(string tool, params string[] args) => RunIn(null, tool, args);

    public static (int Exit, string Out, string Err) RunIn(string? folder, string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        if (folder is not null) psi.WorkingDirectory = folder;
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C.UTF-8";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(entireProcessTree: true); Assert.Fail($"{tool} {string.Join(' ', args)} timed out"); }
        p.WaitForExit();
        return (p.ExitCode, outTask.Result, errTask.Result);
    }

    /// <summary>Extracts with bsdtar (Rock Ridge reader) into a new folder; returns it.</summary>
    public static string BsdtarExtract(string iso, string folder)
    {
        Directory.CreateDirectory(folder);
        var (rc, _, err) = RunIn(folder, "bsdtar", "-xf", iso);
        Assert.That(rc, Is.EqualTo(0), err);
        return folder;
    }

    /// <summary>Every entry below a host folder: relative path → ("d" | "l:target" | SHA-256 of the content).</summary>
    public static SortedDictionary<string, string> Describe(string folder)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(folder));
        while (pending.Count > 0)
        {
            foreach (var item in pending.Pop().EnumerateFileSystemInfos())
            {
                string rel = Path.GetRelativePath(folder, item.FullName).Replace('\\', '/');
                if (item.LinkTarget is string target) result[rel] = "l:" + target;   // never followed
                else if (item is DirectoryInfo sub) { result[rel] = "d"; pending.Push(sub); }
                else result[rel] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(item.FullName)));
            }
        }
        return result;
    }

    /// <summary>pycdlib (Debian's python3-pycdlib, run by /usr/bin/python3): every path of a namespace and the SHA-256 of each file.</summary>
    public static SortedDictionary<string, string> Pycdlib(string iso, string facade)
    {
        const string script = """
import sys, hashlib, io, pycdlib
iso = pycdlib.PyCdlib(); iso.open(sys.argv[1]); kind = sys.argv[2]
f = {'rr': iso.get_rock_ridge_facade, 'joliet': iso.get_joliet_facade, 'iso': iso.get_iso9660_facade}[kind]()
for root, dirs, files in f.walk('/'):
    for d in dirs:
        p = (root.rstrip('/') + '/' + d)
        if kind == 'rr' and p == '/rr_moved': continue
        print('d\t' + p)
    for n in files:
        p = root.rstrip('/') + '/' + n
        b = io.BytesIO(); f.get_file_from_iso_fp(b, p) if kind != 'rr' or not iso.get_record(rr_path=p).rock_ridge.is_symlink() else None
        print('f\t' + p + '\t' + hashlib.sha256(b.getvalue()).hexdigest())
iso.close()
""";
        string py = "/usr/bin/python3";
        if (!File.Exists(py)) Assert.Ignore("/usr/bin/python3 is not installed");
        var (probe, _, _) = Run(py, "-c", "import pycdlib");
        if (probe != 0) Assert.Ignore("python3-pycdlib is not installed (.ci/run installs it)");
        var (rc, output, err) = Run(py, "-c", script, iso, facade);
        Assert.That(rc, Is.EqualTo(0), err);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t');
            result[parts[1].TrimStart('/')] = parts[0] == "d" ? "d" : parts[2].ToUpperInvariant();
        }
        return result;
    }
}
