namespace VirtualDiskManaged;

/// <summary>VIRTUAL_DISK_ACCESS_MASK: what the caller intends to do with the handle.</summary>
[Flags]
public enum VirtualDiskAccessMask : uint
{
    /// <summary>VIRTUAL_DISK_ACCESS_NONE: the only mask allowed with version 2 and 3 parameters.</summary>
    None = 0,
    /// <summary>VIRTUAL_DISK_ACCESS_ATTACH_RO: attach read-only.</summary>
    AttachRO = 0x0001_0000,
    /// <summary>VIRTUAL_DISK_ACCESS_ATTACH_RW: attach read/write (not for ISO).</summary>
    AttachRW = 0x0002_0000,
    /// <summary>VIRTUAL_DISK_ACCESS_DETACH.</summary>
    Detach = 0x0004_0000,
    /// <summary>VIRTUAL_DISK_ACCESS_GET_INFO: query information.</summary>
    GetInfo = 0x0008_0000,
    /// <summary>VIRTUAL_DISK_ACCESS_CREATE (not for ISO).</summary>
    Create = 0x0010_0000,
    /// <summary>VIRTUAL_DISK_ACCESS_METAOPS: metadata operations such as merge (not for ISO).</summary>
    MetaOps = 0x0020_0000,
    /// <summary>VIRTUAL_DISK_ACCESS_READ = ATTACH_RO | DETACH | GET_INFO (what ISO opens use).</summary>
    Read = 0x000D_0000,
    /// <summary>VIRTUAL_DISK_ACCESS_ALL: every defined bit.</summary>
    All = 0x003F_0000,
    /// <summary>VIRTUAL_DISK_ACCESS_WRITABLE = ATTACH_RW | CREATE | METAOPS.</summary>
    Writable = 0x0032_0000,
}
