namespace VirtualDiskManaged.FileSystems;

/// <summary>Which directory tree of a volume to read (docs/iso9660.md, docs/udf.md).</summary>
public enum FileSystemNamespace
{
    /// <summary>UDF when the image has a UDF volume, else Rock Ridge, else Joliet, else plain ISO 9660.</summary>
    Auto = 0,

    /// <summary>The primary (or ISO 9660:1999 enhanced) descriptor's tree with ISO 9660 names.</summary>
    Iso9660,

    /// <summary>The Joliet supplementary descriptor's tree (UCS-2 names).</summary>
    Joliet,

    /// <summary>The primary descriptor's tree read through SUSP/RRIP (POSIX names, modes, links).</summary>
    RockRidge,

    /// <summary>The UDF (ECMA-167) file set.</summary>
    Udf,

    /// <summary>The ISO 9660:1999 Enhanced Volume Descriptor's tree (names as recorded, no version numbers).</summary>
    Iso9660Enhanced,
}
