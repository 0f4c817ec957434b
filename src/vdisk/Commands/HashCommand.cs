using System.Security.Cryptography;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk hash</c>: the digest of the whole virtual content.</summary>
internal static class HashCommand
{
    private const string Help = """
        Usage: vdisk hash PATH [--algorithm sha256] [open options]

        Prints the SHA-256 of the whole virtual disk (what a guest reads, every byte of the virtual size)
        as lowercase hex, then the path: "<digest>  PATH". Parents of a differencing disk are read through.
        Without open options the image is opened as vdisk check does (read-only, no sharing conflicts).

        Options:
          --algorithm A     sha256 (default), sha384, sha512 or sha1
        """ + OpenCommand.OpenOptionsHelp;

    public static int Run(string[] args)
    {
        var a = ParsedArgs.Parse(args, [.. OpenArguments.ValueOptions, "algorithm"], OpenArguments.SwitchOptions);
        if (Program.ShowHelp(a, Help)) return Program.ExitOk;
        Program.RequirePositionals(a, 1, "PATH");
        var open = OpenArguments.From(a);
        HashAlgorithmName algorithm = (a.Value("algorithm") ?? "sha256").ToLowerInvariant().Replace("-", "", StringComparison.Ordinal) switch
        {
            "sha256" => HashAlgorithmName.SHA256,
            "sha384" => HashAlgorithmName.SHA384,
            "sha512" => HashAlgorithmName.SHA512,
            "sha1" => HashAlgorithmName.SHA1,
            var other => throw new UsageException($"--algorithm takes sha256, sha384, sha512 or sha1, not '{other}'"),
        };
        return Reading.WithImage(a.Positionals[0], open.ToReadingOptions(), (input, handle) =>
        {
            string digest = Digest(handle, algorithm, null);
            Console.Out.WriteLine($"{digest}  {input.DisplayPath}");
            return Program.ExitOk;
        });
    }

    /// <summary>Reads the whole virtual disk in 1 MiB pieces into the hash; <paramref name="progress"/> gets bytes done.</summary>
    internal static string Digest(VirtualDiskHandle handle, HashAlgorithmName algorithm, Action<long>? progress)
    {
        using var hash = IncrementalHash.CreateHash(algorithm);
        byte[] buffer = new byte[1 << 20];
        long size = handle.VirtualSize;
        for (long offset = 0; offset < size;)
        {
            int n = handle.Read(offset, buffer);
            if (n <= 0) throw new InvalidOperationException($"Read returned {n} at offset {offset} of {size}");
            hash.AppendData(buffer, 0, n);
            offset += n;
            progress?.Invoke(offset);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
