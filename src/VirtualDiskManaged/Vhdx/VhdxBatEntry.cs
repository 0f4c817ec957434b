namespace VirtualDiskManaged.Vhdx;

/// <summary>Payload block states (MS-VHDX §2.5.1.1); 4 is reserved, 5 is the v0.95 draft's UNMAPPED.</summary>
internal enum VhdxPayloadState : byte
{
    NotPresent = 0,
    Undefined = 1,
    Zero = 2,
    Unmapped = 3,
    Reserved4 = 4,
    UnmappedV095 = 5,
    FullyPresent = 6,
    PartiallyPresent = 7,
}

/// <summary>One 64-bit BAT entry: state in bits 0–2, reserved bits 3–19, FileOffsetMB in bits 20–63 (MS-VHDX §2.5).</summary>
internal readonly record struct VhdxBatEntry(ulong Raw)
{
    public const int Size = 8;
    private const ulong ReservedMask = 0xFFFF8; // bits 3-19

    /// <summary>Sector bitmap entry states (MS-VHDX §2.5.1.2).</summary>
    public const byte SbNotPresent = 0, SbPresent = 6;

    public byte State => (byte)(Raw & 7);

    public VhdxPayloadState PayloadState => (VhdxPayloadState)(Raw & 7);

    public bool ReservedBitsSet => (Raw & ReservedMask) != 0;

    /// <summary>The block's byte offset in the file (FileOffsetMB × 1 MiB); negative when bit 63 is set (always beyond the file).</summary>
    public long FileOffset => (long)(Raw & 0xFFFF_FFFF_FFF0_0000);
}
