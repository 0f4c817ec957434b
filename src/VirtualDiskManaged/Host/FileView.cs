namespace VirtualDiskManaged.Host;

/// <summary>
/// Positional, lock-free read access to the bytes of one backing file (or of a view over it, such as a
/// replayed VHDX log overlay). Implementations are safe for concurrent readers.
/// </summary>
internal abstract class FileView
{
    /// <summary>The path of the backing file (for diagnostics).</summary>
    public abstract string Path { get; }

    /// <summary>The length of the file as seen at open (or the logical length of the view).</summary>
    public abstract long Length { get; }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; returns the count read,
    /// which is smaller only at the end of the file. Throws <see cref="VirtualDiskException"/> on I/O errors.
    /// </summary>
    public abstract int ReadAt(long offset, Span<byte> buffer);

    /// <summary>
    /// Reads exactly <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>. A short read (the file
    /// shrank under an open handle) throws <see cref="VirtualDiskException"/> with <see cref="VirtualDiskErrorReason.BackingFileShrank"/>.
    /// </summary>
    public void ReadExactlyAt(long offset, Span<byte> buffer)
    {
        int n = ReadAt(offset, buffer);
        if (n != buffer.Length)
            ThrowHelper.Throw(VirtualDiskErrorReason.BackingFileShrank, Path,
                $"Needed {Counted.Of(buffer.Length, "byte")} at offset {offset}; the file now ends earlier", offset);
    }

    /// <summary>
    /// The offset of the first byte at or after <paramref name="offset"/> that may hold data: bytes before it are a
    /// hole of a sparse file and read as zeros; <see cref="long.MaxValue"/> when only a hole follows. The default (and
    /// any file system that cannot tell) answers <paramref name="offset"/> itself, so callers read.
    /// </summary>
    public virtual long NextData(long offset) => offset;

    /// <summary>Reads exactly, returning false (instead of throwing) when the file is too short.</summary>
    public bool TryReadExactlyAt(long offset, Span<byte> buffer) =>
        offset >= 0 && offset <= Length - buffer.Length && ReadAt(offset, buffer) == buffer.Length;
}
