using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Udf;

/// <summary>Runs the independent UDF tools (mkudffs, udfclient, udfinfo, 7zz, genisoimage, pycdlib) with a timeout.</summary>
internal static class UdfTools
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs a tool; stdin text optional; kills it (by its own id) when it outlives the timeout and returns -1.</summary>
    public static int Run(string file, IEnumerable<string> args, out string output, string? stdin = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C.UTF-8";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeout ?? Timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit();
            output = "timed out";
            return -1;
        }
        output = stdout.Result + stderr.Result;
        return p.ExitCode;
    }

    public static void Require(params string[] tools)
    {
        foreach (var t in tools)
            if (!TestPaths.HasTool(t)) Assert.Ignore($"{t} is not installed (CI installs it)");
    }

    /// <summary>
    /// The source tree put on images: a small file, an empty file, a 100,000-byte file (several extents on small
    /// blocks), a 3-byte file embedded in its ICB, a nested directory. Returns path → bytes (paths with '/').
    /// </summary>
    public static Dictionary<string, byte[]> WriteSourceTree(string folder, bool unicode = false)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["hello.txt"] = "hello, udf\n"u8.ToArray(),
            ["empty.dat"] = [],
            ["tiny"] = "abc"u8.ToArray(),
            ["big.bin"] = Pseudo(100_000, 1),
            ["dir1/inner.txt"] = "inner file\n"u8.ToArray(),
            ["dir1/dir2/deep.bin"] = Pseudo(5000, 2),
        };
        if (unicode) files["dir1/Ünïcødé ☃.txt"] = "unicode\n"u8.ToArray();
        foreach (var (path, data) in files)
        {
            string full = Path.Combine(folder, path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, data);
        }
        return files;
    }

    public static byte[] Pseudo(int length, int seed)
    {
        var data = new byte[length];
        uint x = (uint)(seed * 2654435761u) | 1;
        for (int i = 0; i < length; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; data[i] = (byte)x; }
        return data;
    }

    /// <summary>Puts the source tree's top-level entries into the first logical volume of an image with udfclient (put recurses).</summary>
    public static bool Populate(string image, int blockSize, string source, out string log)
    {
        int rc = Run("udfclient", ["-b", blockSize.ToString(), image], out var listing, "ls\nquit\n");
        string? volume = listing.Split('\n').Where(l => l.StartsWith('d')).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last()).FirstOrDefault();
        if (rc != 0 || volume is null) { log = "udfclient ls: " + listing; return false; }
        var sb = new StringBuilder();
        sb.Append("cd ").Append(volume).Append('\n').Append("lcd ").Append(source).Append('\n');
        foreach (var e in Directory.EnumerateFileSystemEntries(source).Order(StringComparer.Ordinal)) sb.Append("put ").Append(Path.GetFileName(e)).Append('\n');
        sb.Append("sync\nquit\n");
        rc = Run("udfclient", ["-W", "-b", blockSize.ToString(), image], out log, sb.ToString());
        return rc == 0 && !log.Contains("No space left", StringComparison.Ordinal) && !log.Contains("failed", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>udfinfo's key=value lines.</summary>
    public static Dictionary<string, string> UdfInfo(string image)
    {
        int rc = Run("udfinfo", [image], out var output);
        var d = new Dictionary<string, string>();
        if (rc != 0) return d;
        foreach (var line in output.Split('\n'))
        {
            int eq = line.IndexOf('=');
            if (eq > 0 && !line.StartsWith("start=", StringComparison.Ordinal)) d.TryAdd(line[..eq], line[(eq + 1)..]);
        }
        return d;
    }

    /// <summary>7-Zip's view of a UDF image (-tudf): path → (is folder, size); null when 7-Zip cannot open it.</summary>
    public static Dictionary<string, (bool Folder, long Size)>? SevenZipList(string image)
    {
        int rc = Run("7zz", ["l", "-tudf", "-slt", image], out var output);
        if (rc != 0 && !output.Contains("Headers Error", StringComparison.Ordinal) || output.Contains("Can not open", StringComparison.Ordinal)) return null;
        var result = new Dictionary<string, (bool, long)>();
        int start = output.IndexOf("----------", StringComparison.Ordinal);
        if (start < 0) return result;
        foreach (var block in output[start..].Split("\n\n"))
        {
            string? path = null; bool folder = false; long size = 0;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("Path = ", StringComparison.Ordinal)) path = line[7..];
                else if (line.StartsWith("Folder = ", StringComparison.Ordinal)) folder = line[9..] == "+";
                else if (line.StartsWith("Size = ", StringComparison.Ordinal)) long.TryParse(line[7..], out size);
            }
            if (path is not null) result["/" + path] = (folder, folder ? 0 : size);
        }
        return result;
    }

    /// <summary>7-Zip's extraction: path → SHA-256 of every regular file.</summary>
    public static Dictionary<string, string> SevenZipHashes(string image)
    {
        string folder = TestPaths.NewTempFolder("udf7z");
        try
        {
            Run("7zz", ["x", "-tudf", "-y", "-o" + folder, image], out _);
            return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .ToDictionary(f => "/" + Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'), f => Sha256(File.ReadAllBytes(f)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    public static string Sha256(Stream s) => Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();

    /// <summary>The reader's view: path → (is directory, size, SHA-256 or null), non-associated entries only.</summary>
    public static Dictionary<string, (bool Folder, long Size, string? Sha)> ReaderView(FileSystemReader fs, bool includeHidden = true)
    {
        var d = new Dictionary<string, (bool, long, string?)>();
        foreach (var e in fs.EnumerateTree("/"))
        {
            if (e.IsAssociated || (!includeHidden && e.IsHidden)) continue;
            string? sha = null;
            if (e.Kind == FileSystemEntryKind.File) { using var s = fs.OpenFile(e); sha = Sha256(s); }
            d[e.Path] = (e.IsDirectory, e.IsDirectory ? 0 : e.Length, sha);
        }
        return d;
    }

    public static FileSystemReader Open(string image, FileSystemNamespace ns = FileSystemNamespace.Udf)
    {
        using var stream = File.OpenRead(image);
        var ms = new MemoryStream(File.ReadAllBytes(image));
        return FileSystem.Open(ms, new FileSystemOpenOptions { Namespace = ns });
    }
}
