using System.Text;

namespace VirtualDiskManaged.Cli.Check;

/// <summary>
/// <c>--shard K/N</c>: a stable 1/N share of the images. Each image's key is its path relative to the folder given on
/// the command line ('/' separators; a file given directly is its path as given), hashed with 64-bit FNV-1a over the
/// key's UTF-8 bytes; the image belongs to shard (hash mod N) + 1. The hash depends on nothing but the key, so every
/// image lands in exactly one shard on every machine, whatever the order of the walk or where the folder is.
/// </summary>
internal readonly record struct Shard(int Index, int Count)
{
    /// <summary>The largest N accepted.</summary>
    public const int MaxCount = 1_000_000;

    public static bool TryParse(string text, out Shard shard, out string error)
    {
        shard = default;
        error = "";
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !int.TryParse(text.AsSpan(0, slash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k)
            || !int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
        {
            error = $"--shard takes K/N (e.g. 2/8), not '{text}'";
            return false;
        }
        if (n < 1 || n > MaxCount || k < 1 || k > n)
        {
            error = $"--shard K/N needs 1 <= K <= N <= {MaxCount:N0}, not '{text}'";
            return false;
        }
        shard = new Shard(k, n);
        return true;
    }

    /// <summary>True when the image with this key belongs to this shard.</summary>
    public bool Contains(string key) => (int)(Fnv1a64(key) % (ulong)Count) == Index - 1;

    /// <summary>The 1-based shard of <paramref name="key"/> among <paramref name="count"/>.</summary>
    public static int Of(string key, int count) => (int)(Fnv1a64(key) % (ulong)count) + 1;

    /// <summary>64-bit FNV-1a (offset basis 14695981039346656037, prime 1099511628211) of the UTF-8 bytes.</summary>
    public static ulong Fnv1a64(string key)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(key))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }

    public override string ToString() => $"{Index}/{Count}";
}
