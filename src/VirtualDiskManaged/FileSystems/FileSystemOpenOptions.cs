namespace VirtualDiskManaged.FileSystems;

/// <summary>How <see cref="FileSystem.Open(VirtualDiskHandle, FileSystemOpenOptions?)"/> reads a volume.</summary>
public sealed class FileSystemOpenOptions
{
    /// <summary>Which tree to read; <see cref="FileSystemNamespace.Auto"/> (the default) picks as docs/iso9660.md says.</summary>
    public FileSystemNamespace Namespace { get; init; } = FileSystemNamespace.Auto;

    /// <summary>For multisession ISO images: the 0-based session to read; null (the default) reads the last one.</summary>
    public int? Session { get; init; }
}
