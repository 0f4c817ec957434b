namespace VirtualDiskManaged.FileSystems;

/// <summary>
/// A read-only view of one namespace of a file system inside an image (ISO 9660, Joliet, Rock Ridge, UDF).
/// Entries, lookups and streams look the same for every namespace, so a caller walks any of them with the
/// same code. Directories are enumerated lazily; every walk is bounded by caps that do not depend on the
/// file. Thread-safe: any number of threads may enumerate and read at once. Get one from
/// <see cref="FileSystem.Open(VirtualDiskHandle, FileSystemOpenOptions?)"/>.
/// </summary>
public abstract class FileSystemReader : IDisposable
{
    /// <summary>The deepest directory level any walk descends to (the root is level 0).</summary>
    public const int MaxDepth = 1024;

    private protected FileSystemReader() { }

    /// <summary>The namespace this reader shows.</summary>
    public abstract FileSystemNamespace Namespace { get; }

    /// <summary>Every namespace the volume holds (for example Rock Ridge, Joliet and ISO 9660 on one disc).</summary>
    public abstract IReadOnlyList<FileSystemNamespace> AvailableNamespaces { get; }

    /// <summary>The volume's label (ISO 9660 volume identifier, Joliet's when Joliet is read, UDF logical volume identifier).</summary>
    public abstract string VolumeLabel { get; }

    /// <summary>The root directory.</summary>
    public abstract FileSystemEntry Root { get; }

    /// <summary>Problems found while opening that did not stop it (for example a UDF metadata mirror used).</summary>
    public virtual IReadOnlyList<VirtualDiskDiagnostic> Warnings => [];

    /// <summary>
    /// The entries of <paramref name="directory"/> (without <c>.</c> and <c>..</c>), read lazily as the caller
    /// advances. Throws <see cref="VirtualDiskException"/> when the directory's records are damaged.
    /// </summary>
    public abstract IEnumerable<FileSystemEntry> EnumerateDirectory(FileSystemEntry directory);

    /// <summary>Finds the entry at an absolute path (<c>/</c>-separated; the root is <c>/</c>).</summary>
    public abstract bool TryGetEntry(string path, out FileSystemEntry? entry, out VirtualDiskDiagnostic? failure);

    /// <summary>
    /// A read-only, seekable stream over a regular file's content (multi-extent files joined, compressed
    /// files decompressed). Its positional reads are thread-safe; each stream has its own position.
    /// </summary>
    public abstract Stream OpenFile(FileSystemEntry file);

    /// <summary>
    /// The deep check: walks the whole tree (and every structure the format has besides) and returns every
    /// problem found, each with a <see cref="VirtualDiskDiagnostic.Reason"/>, the path inside the image and the
    /// byte offset (empty when none).
    /// </summary>
    public abstract IReadOnlyList<VirtualDiskDiagnostic> Verify(CancellationToken cancellationToken = default);

    /// <summary>The entry at <paramref name="path"/>; throws <see cref="VirtualDiskException"/> when there is none.</summary>
    public FileSystemEntry GetEntry(string path)
    {
        if (!TryGetEntry(path, out var entry, out var failure)) ThrowHelper.Throw(failure!);
        return entry!;
    }

    /// <summary>The entries of the directory at <paramref name="path"/>, read lazily.</summary>
    public IEnumerable<FileSystemEntry> EnumerateDirectory(string path)
    {
        var directory = GetEntry(path);
        if (!directory.IsDirectory) ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotADirectory, null, entryPath: directory.Path));
        return EnumerateDirectory(directory);
    }

    /// <summary>
    /// Every entry below <paramref name="path"/> (not the start itself), depth first, each directory's entries
    /// before descending into them; bounded by <see cref="MaxDepth"/>. Memory holds one pending list of
    /// directories, never a whole tree.
    /// </summary>
    public IEnumerable<FileSystemEntry> EnumerateTree(string path = "/")
    {
        var start = GetEntry(path);
        if (!start.IsDirectory) ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotADirectory, null, entryPath: start.Path));
        return Walk(start);
    }

    private IEnumerable<FileSystemEntry> Walk(FileSystemEntry start)
    {
        var pending = new Stack<(FileSystemEntry Directory, int Depth)>();
        pending.Push((start, 0));
        while (pending.Count > 0)
        {
            var (directory, depth) = pending.Pop();
            var subdirectories = new List<FileSystemEntry>();
            foreach (var entry in EnumerateDirectory(directory))
            {
                yield return entry;
                if (entry.IsDirectory) subdirectories.Add(entry);
            }
            if (subdirectories.Count > 0 && depth + 1 >= MaxDepth)
                ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemTreeTooDeep, null,
                    $"Cap: {MaxDepth} levels", subdirectories[0].RecordOffset, entryPath: subdirectories[0].Path));
            for (int i = subdirectories.Count - 1; i >= 0; i--) pending.Push((subdirectories[i], depth + 1));
        }
    }

    /// <summary>A read-only stream over the regular file at <paramref name="path"/>.</summary>
    public Stream OpenFile(string path)
    {
        if (!TryOpenFile(path, out var stream, out var failure)) ThrowHelper.Throw(failure!);
        return stream!;
    }

    /// <summary>Opens the regular file at <paramref name="path"/> without throwing for a missing or wrong entry.</summary>
    public bool TryOpenFile(string path, out Stream? stream, out VirtualDiskDiagnostic? failure)
    {
        stream = null;
        if (!TryGetEntry(path, out var entry, out failure)) return false;
        if (entry!.Kind != FileSystemEntryKind.File)
        {
            failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotAFile, null, entry.Kind.ToString(), entry.RecordOffset, entryPath: entry.Path);
            return false;
        }
        try
        {
            stream = OpenFile(entry);
            return true;
        }
        catch (VirtualDiskException e)
        {
            failure = e.Diagnostic;
            return false;
        }
    }

    /// <summary>Releases what the reader holds (it does not close the handle or stream it reads from).</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
