using System.CommandLine;
using System.Security.Cryptography;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk hash</c>: the digest of the whole virtual content.</summary>
internal static class HashCommand
{
    private static readonly string[] Algorithms = ["sha256", "sha384", "sha512", "sha1"];

    public static CliCommand Build()
    {
        var command = new CliCommand("hash", "SHA-256 of the whole virtual content",
            "Prints the SHA-256 of the whole virtual disk (what a guest reads, every byte of the virtual size) "
            + "as lowercase hex, two spaces and the path (the sha256sum line format). Parents of a differencing disk are read through. "
            + "Without open options the image is opened as vdisk check does (read-only, no sharing conflicts).",
            "0 the digest was printed, 1 the open or a read failed or the input could not be read");
        var path = new Argument<string>("PATH") { Description = "the image (X.gz is expanded first)" };
        var algorithm = Values.OneOf("--algorithm", "A", "sha256 (default), sha384, sha512 or sha1", [.. Algorithms, "sha-256", "sha-384", "sha-512", "sha-1"]);
        var open = new OpenOptions();
        command.Add(path);
        command.Add(algorithm);
        open.AddTo(command);
        command.SetAction(r =>
        {
            HashAlgorithmName name = (r.GetValue(algorithm) ?? "sha256").Replace("-", "", StringComparison.Ordinal) switch
            {
                "sha384" => HashAlgorithmName.SHA384,
                "sha512" => HashAlgorithmName.SHA512,
                "sha1" => HashAlgorithmName.SHA1,
                _ => HashAlgorithmName.SHA256,
            };
            return Run(r.GetValue(path)!, open.Bind(r).ToReadingOptions(), name);
        });
        return command;
    }

    private static int Run(string path, VirtualDiskOpenOptions options, HashAlgorithmName algorithm) =>
        Reading.WithImage(path, options, (input, handle) =>
        {
            string digest = Digest(handle, algorithm, null);
            Console.Out.WriteLine($"{digest}  {input.DisplayPath}");
            return Program.ExitOk;
        });

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
