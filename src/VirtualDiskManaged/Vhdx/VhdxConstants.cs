namespace VirtualDiskManaged.Vhdx;

/// <summary>Sizes, offsets and GUIDs of MS-VHDX (MS-VHDX §2).</summary>
internal static class VhdxConstants
{
    public const long KiB = 1024, MiB = 1024 * KiB;

    /// <summary>MS-VHDX §2.2: header section layout.</summary>
    public const long Header1Offset = 64 * KiB, Header2Offset = 128 * KiB;
    public const long RegionTable1Offset = 192 * KiB, RegionTable2Offset = 256 * KiB;
    public const int HeaderSize = 4096, RegionTableSize = 64 * 1024, MetadataTableSize = 64 * 1024;

    /// <summary>MS-VHDX §2.2: the first 1 MiB holds only the header section.</summary>
    public const long HeaderSectionLength = MiB;

    /// <summary>MS-VHDX §1.5, §2.6.2.2: the largest virtual size, 64 TiB.</summary>
    public const long MaxVirtualSize = 64L * 1024 * 1024 * MiB;

    /// <summary>MS-VHDX §2.5: a sector bitmap block holds 2^23 bits.</summary>
    public const long SectorsPerChunk = 1L << 23;

    /// <summary>Region GUIDs (MS-VHDX §2.2.3.2) and metadata item GUIDs (MS-VHDX §2.6.2).</summary>
    public static readonly Guid BatRegion = new("2DC27766-F623-4200-9D64-115E9BFD4A08");
    public static readonly Guid MetadataRegion = new("8B7CA206-4790-4B9A-B8FE-575F050F886E");
    public static readonly Guid FileParametersItem = new("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    public static readonly Guid VirtualDiskSizeItem = new("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
    public static readonly Guid VirtualDiskIdItem = new("BECA12AB-B2E6-4523-93EF-C309E000C746");
    public static readonly Guid LogicalSectorSizeItem = new("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
    public static readonly Guid PhysicalSectorSizeItem = new("CDA348C7-445D-4471-9CC9-E9885251C556");
    public static readonly Guid ParentLocatorItem = new("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
    public static readonly Guid VhdxParentLocatorType = new("B04AEFB7-D19E-4A81-B789-25B8E9445913");

    public static bool IsPowerOfTwo(ulong v) => v != 0 && (v & (v - 1)) == 0;
}
