namespace VirtualDiskManaged;

/// <summary>OPEN_VIRTUAL_DISK_FLAG values.</summary>
[Flags]
public enum OpenVirtualDiskFlags : uint
{
    /// <summary>OPEN_VIRTUAL_DISK_FLAG_NONE.</summary>
    None = 0,
    /// <summary>Open a differencing disk without its parents (reads of sectors it lacks then fail).</summary>
    NoParents = 0x1,
    /// <summary>Reserved: the backing file is blank; skip verification.</summary>
    BlankFile = 0x2,
    /// <summary>Reserved: boot drive (kernel callers only).</summary>
    BootDrive = 0x4,
    /// <summary>Open the backing file with cached I/O.</summary>
    CachedIO = 0x8,
    /// <summary>Open without parents; the caller builds the chain (rule set Current only).</summary>
    CustomDiffChain = 0x10,
    /// <summary>Every backing file but the leaf uses cached I/O.</summary>
    ParentCachedIO = 0x20,
    /// <summary>Open a VHD Set file without any virtual disk.</summary>
    VhdSetFileOnly = 0x40,
    /// <summary>Do not use relative parent locators.</summary>
    IgnoreRelativeParentLocator = 0x80,
    /// <summary>No flush or FUA for backing files.</summary>
    NoWriteHardening = 0x100,
    /// <summary>Open even when the backing file is compressed (rule set Current).</summary>
    SupportCompressedVolumes = 0x200,
    /// <summary>Open even when the backing file is sparse on any file system.</summary>
    SupportSparseFilesAnyFs = 0x400,
    /// <summary>Open even when the backing file is encrypted (rule set Current).</summary>
    SupportEncryptedFiles = 0x800,
}
