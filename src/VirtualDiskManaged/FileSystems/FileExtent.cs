namespace VirtualDiskManaged.FileSystems;

/// <summary>
/// One run of a file's recorded bytes: <see cref="Offset"/> is the byte offset in the volume (the image's
/// virtual bytes), <see cref="Length"/> the count of bytes the run holds. A run with
/// <see cref="IsSparse"/> has no bytes in the volume and reads as zeros.
/// </summary>
public readonly record struct FileExtent(long Offset, long Length, bool IsSparse = false);
