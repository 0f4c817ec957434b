using VirtualDiskManaged.FileSystems;

namespace VirtualDiskManaged.Cli.Check;

/// <summary>
/// The iso profile's rule on names: the same file (the same first extent of data) should have the same path in
/// every namespace a reader may pick — Rock Ridge (Linux, macOS, libarchive), Joliet (Windows without UDF) and UDF
/// (Windows on bridge discs). It uses only the library's FileSystemReader entries.
/// </summary>
internal static class IsoNameRules
{
    /// <summary>Entries read per namespace at most (a cap that does not depend on the image).</summary>
    private const int MaxEntries = 2_000_000;

    private const int Examples = 3;

    public static void Evaluate(VirtualDiskHandle handle, List<RuleViolation> rules)
    {
        FileSystemReader? first = null;
        try
        {
            if (!FileSystem.TryOpen(handle, new FileSystemOpenOptions(), out first, out _)) return;
            var namespaces = first!.AvailableNamespaces.Where(n => n is FileSystemNamespace.RockRidge or FileSystemNamespace.Joliet or FileSystemNamespace.Udf).ToList();
            if (namespaces.Count < 2) return;
            var maps = new List<(FileSystemNamespace Ns, Dictionary<long, string> Paths)>();
            foreach (var ns in namespaces)
            {
                if (!FileSystem.TryOpen(handle, new FileSystemOpenOptions { Namespace = ns }, out var reader, out _)) continue;
                using (reader)
                {
                    var map = new Dictionary<long, string>();
                    int n = 0;
                    foreach (var e in reader!.EnumerateTree())
                    {
                        if (++n > MaxEntries) break;
                        if (e.Kind != FileSystemEntryKind.File || e.Length == 0 || e.Extents.Count == 0 || e.Extents[0].IsSparse) continue;
                        map.TryAdd(e.Extents[0].Offset, e.Path);
                    }
                    maps.Add((ns, map));
                }
            }
            for (int i = 0; i + 1 < maps.Count; i++)
            {
                var (a, pa) = maps[i];
                var (b, pb) = maps[i + 1];
                int differ = 0;
                var examples = new List<string>();
                foreach (var (offset, pathA) in pa)
                {
                    if (!pb.TryGetValue(offset, out var pathB) || pathA == pathB) continue;
                    if (++differ <= Examples) examples.Add($"{pathA} ({Name(b)}: {pathB})");
                }
                if (differ == 0) continue;
                rules.Add(new("iso.names-differ", false,
                    $"{differ:N0} file(s) have different paths in {Name(a)} and {Name(b)}, e.g. {string.Join("; ", examples)}. Readers that pick different namespaces (Linux: Rock Ridge, Windows: UDF or Joliet) show different names.",
                    "Keep names within Joliet's 64 characters (or build with xorriso -as mkisofs -joliet-long) and give every namespace the same names (xorriso -as mkisofs -r -J [-udf])."));
            }
        }
        catch (VirtualDiskException)
        {
            // A damaged tree is the deep check's finding, not this rule's.
        }
        finally
        {
            first?.Dispose();
        }
    }

    private static string Name(FileSystemNamespace ns) => ns switch
    {
        FileSystemNamespace.RockRidge => "Rock Ridge",
        FileSystemNamespace.Joliet => "Joliet",
        FileSystemNamespace.Udf => "UDF",
        _ => "ISO 9660",
    };
}
