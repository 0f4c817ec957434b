namespace VirtualDiskManaged.Host;

/// <summary>
/// What the write path of a layer does to its backing file (docs/write.md): positional reads and writes, growing the
/// file, and the flush barrier. <see cref="HostFile"/> is the real one; tests put a fault-injecting one in its place
/// (below the format layers) to model a machine crash. Thread-safe: positional I/O has no shared position.
/// </summary>
internal interface IBackingStore
{
    /// <summary>The file's path (for diagnostics).</summary>
    string Path { get; }

    /// <summary>The current length, including what this handle wrote.</summary>
    long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> (short only at the end).</summary>
    int ReadAt(long offset, Span<byte> buffer);

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> (not durable until <see cref="Flush"/> returns).</summary>
    void WriteAt(long offset, ReadOnlySpan<byte> data);

    /// <summary>Sets the length; the bytes a growth adds read as zeros.</summary>
    void SetLength(long length);

    /// <summary>The barrier: every write and length change issued before the call is on stable storage when it returns.</summary>
    void Flush();
}
