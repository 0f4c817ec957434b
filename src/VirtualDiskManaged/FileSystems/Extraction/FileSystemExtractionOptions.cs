namespace VirtualDiskManaged.FileSystems.Extraction;

/// <summary>How <see cref="FileSystemExtractor.Extract"/> writes a file system's entries to a folder (docs/filesystems-cli.md).</summary>
public sealed class FileSystemExtractionOptions
{
    /// <summary>
    /// The absolute paths inside the image to extract (files, directories with everything below them, symbolic
    /// links); null or empty extracts the whole tree. Each is written under its full path from the root, so
    /// <c>/boot/grub</c> lands at <c>TARGET/boot/grub</c>.
    /// </summary>
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>Replace files and symbolic links already in the target folder (never a directory). Default false: they are reported and kept.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Create symbolic links as links (default true); false reports them as not extracted.</summary>
    public bool CreateSymbolicLinks { get; init; } = true;

    /// <summary>Set the modification time of files and directories from the image (default true).</summary>
    public bool PreserveTimes { get; init; } = true;

    /// <summary>On Unix: give files the permission bits the image records (rwx only, never set-id or sticky; the owner can always read and write). Default true.</summary>
    public bool PreservePermissions { get; init; } = true;

    /// <summary>
    /// Files written at once (default: the processor count, at most 8). Files under 1 MiB are always written on the
    /// calling thread in walk order (many small files in one folder from several threads contend for the folder);
    /// larger ones are copied in parallel. 1 writes every file on the calling thread.
    /// </summary>
    public int MaxParallelism { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>Told after each entry; may be called from several threads, never at the same time.</summary>
    public IProgress<FileSystemExtractionProgress>? Progress { get; init; }
}

/// <summary>How far an extraction has come.</summary>
/// <param name="EntriesDone">Entries handled so far (extracted or reported).</param>
/// <param name="BytesWritten">File content bytes written so far.</param>
/// <param name="LastEntryPath">The path inside the image of the entry just handled.</param>
public readonly record struct FileSystemExtractionProgress(long EntriesDone, long BytesWritten, string LastEntryPath);

/// <summary>What an extraction did, and everything it could not do with the reason why.</summary>
public sealed class FileSystemExtractionResult
{
    internal FileSystemExtractionResult(long files, long directories, long links, long bytes,
        IReadOnlyList<VirtualDiskDiagnostic> failures, IReadOnlyList<VirtualDiskDiagnostic> warnings)
    {
        FilesExtracted = files;
        DirectoriesCreated = directories;
        SymbolicLinksCreated = links;
        BytesWritten = bytes;
        Failures = failures;
        Warnings = warnings;
    }

    /// <summary>Regular files written to their final names.</summary>
    public long FilesExtracted { get; }

    /// <summary>Directories created (or found in place as real directories).</summary>
    public long DirectoriesCreated { get; }

    /// <summary>Symbolic links created.</summary>
    public long SymbolicLinksCreated { get; }

    /// <summary>File content bytes written.</summary>
    public long BytesWritten { get; }

    /// <summary>
    /// Every entry that was not extracted: each with its <see cref="VirtualDiskDiagnostic.Reason"/> (1700–1799, or
    /// the reader's own reason for a damaged structure) and <see cref="VirtualDiskDiagnostic.EntryPath"/>; sorted by
    /// entry path.
    /// </summary>
    public IReadOnlyList<VirtualDiskDiagnostic> Failures { get; }

    /// <summary>Entries that were extracted with a shortcoming (a time that could not be set); sorted by entry path.</summary>
    public IReadOnlyList<VirtualDiskDiagnostic> Warnings { get; }

    /// <summary>True when every entry asked for was extracted.</summary>
    public bool Succeeded => Failures.Count == 0;
}
