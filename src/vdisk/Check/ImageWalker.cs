namespace VirtualDiskManaged.Cli.Check;

/// <summary>One image to check: its path (as reported) and its shard key (path relative to the folder given, '/' separated).</summary>
internal readonly record struct FoundImage(string Path, string Key);

/// <summary>Expands the command line's paths into the list of images: files as given, folders walked (sorted ordinally).</summary>
internal static class ImageWalker
{
    private static readonly string[] Extensions = [".vhd", ".vhdx", ".avhd", ".avhdx", ".iso"];

    /// <summary>True for the names a folder walk picks up: the image extensions, plain or with .gz.</summary>
    public static bool IsImageName(string name)
    {
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        return Extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    public static List<FoundImage> Expand(IEnumerable<string> inputs, bool recursive)
    {
        var list = new List<FoundImage>();
        foreach (string input in inputs)
        {
            if (Directory.Exists(input))
            {
                foreach (string file in Walk(input, recursive))
                    list.Add(new FoundImage(file, Path.GetRelativePath(input, file).Replace('\\', '/')));
            }
            else list.Add(new FoundImage(input, input.Replace('\\', '/'))); // a file, or a path the library will report as not found
        }
        return list;
    }

    private static List<string> Walk(string root, bool recursive)
    {
        var found = new List<string>();
        var pending = new Stack<string>();
        pending.Push(root);
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0, RecurseSubdirectories = false };
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", options))
            {
                if (entry is DirectoryInfo d)
                {
                    // Symbolic links to folders are not followed (no cycles).
                    if (recursive && d.LinkTarget is null) pending.Push(Path.Combine(dir, d.Name));
                }
                else if (IsImageName(entry.Name)) found.Add(Path.Combine(dir, entry.Name));
            }
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }
}
