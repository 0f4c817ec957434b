using System.Buffers.Binary;

namespace VirtualDiskManaged.Vhd;

/// <summary>One 24-byte parent locator entry of the dynamic header (VHD spec "Dynamic Disk Header Format", parent locator entries).</summary>
internal readonly struct VhdParentLocatorEntry
{
    public const int Size = 24;
    public const int PlatformCodeOffset = 0;
    public const int PlatformDataSpaceOffset = 4;
    public const int PlatformDataLengthOffset = 8;
    public const int ReservedOffset = 12;
    public const int PlatformDataOffsetOffset = 16;

    public const uint CodeNone = 0;
    /// <summary>"Wi2r": deprecated relative path, 8-bit.</summary>
    public const uint CodeWi2r = 0x5769_3272;
    /// <summary>"Wi2k": deprecated absolute path, 8-bit.</summary>
    public const uint CodeWi2k = 0x5769_326B;
    /// <summary>"W2ru": relative path, UTF-16 LE.</summary>
    public const uint CodeW2ru = 0x5732_7275;
    /// <summary>"W2ku": absolute path, UTF-16 LE.</summary>
    public const uint CodeW2ku = 0x5732_6B75;
    /// <summary>"Mac ": Mac OS alias blob.</summary>
    public const uint CodeMac = 0x4D61_6320;
    /// <summary>"MacX": file URL, UTF-8.</summary>
    public const uint CodeMacX = 0x4D61_6358;

    /// <summary>Locator data longer than this is not read (a Windows path is at most 32,767 UTF-16 units).</summary>
    public const int MaxDataLength = 65_536;

    public uint PlatformCode { get; init; }
    /// <summary>Sectors per the spec, bytes in Virtual PC / Hyper-V files: informational only.</summary>
    public uint PlatformDataSpace { get; init; }
    public uint PlatformDataLength { get; init; }
    public uint Reserved { get; init; }
    public ulong PlatformDataOffset { get; init; }

    public bool IsUsed => PlatformCode != CodeNone;

    /// <summary>Parses one entry; every bit pattern is representable, so this never fails.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out VhdParentLocatorEntry entry, out VirtualDiskErrorReason reason)
    {
        if (bytes.Length < Size) { entry = default; reason = VirtualDiskErrorReason.VhdDynamicHeaderFieldInvalid; return false; }
        entry = new VhdParentLocatorEntry
        {
            PlatformCode = BinaryPrimitives.ReadUInt32BigEndian(bytes[PlatformCodeOffset..]),
            PlatformDataSpace = BinaryPrimitives.ReadUInt32BigEndian(bytes[PlatformDataSpaceOffset..]),
            PlatformDataLength = BinaryPrimitives.ReadUInt32BigEndian(bytes[PlatformDataLengthOffset..]),
            Reserved = BinaryPrimitives.ReadUInt32BigEndian(bytes[ReservedOffset..]),
            PlatformDataOffset = BinaryPrimitives.ReadUInt64BigEndian(bytes[PlatformDataOffsetOffset..]),
        };
        reason = VirtualDiskErrorReason.None;
        return true;
    }

    /// <summary>The platform code as text ("W2ru", "W2ku", ...).</summary>
    public string CodeText => VhdFooter.TagText(PlatformCode);

    /// <summary>Decodes locator data: W2ru/W2ku UTF-16 LE, Wi2r/Wi2k Latin-1, MacX UTF-8; trailing NULs trimmed. Null for other codes.</summary>
    public string? Decode(ReadOnlySpan<byte> data)
    {
        string? text = PlatformCode switch
        {
            CodeW2ru or CodeW2ku => System.Text.Encoding.Unicode.GetString(data[..(data.Length & ~1)]),
            CodeWi2r or CodeWi2k => System.Text.Encoding.Latin1.GetString(data),
            CodeMacX => System.Text.Encoding.UTF8.GetString(data),
            _ => null,
        };
        if (text is null) return null;
        int nul = text.IndexOf('\0');
        return nul >= 0 ? text[..nul] : text;
    }
}
