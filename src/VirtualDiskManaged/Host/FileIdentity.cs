namespace VirtualDiskManaged.Host;

/// <summary>What makes two paths the same file: device + inode on Unix, volume serial + file index on Windows.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Index);
