using System.Security.Cryptography;

namespace VirtualDiskManaged.Tests.Support;

/// <summary>What a read-only open must not change about a file: its length, modification time and bytes (docs/open-path.md §12).</summary>
internal sealed record FileSnapshot(long Length, DateTime Modified, string Sha256)
{
    public static FileSnapshot Of(string path)
    {
        using var s = File.OpenRead(path);
        return new FileSnapshot(s.Length, File.GetLastWriteTimeUtc(path), Convert.ToHexString(SHA256.HashData(s)));
    }
}
