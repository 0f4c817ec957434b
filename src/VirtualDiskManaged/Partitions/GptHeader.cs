using System.Buffers.Binary;

namespace VirtualDiskManaged.Partitions;

/// <summary>The GPT header (UEFI 2.10 §5.3.2, Table 5-5 "GPT Header"), parsed and checked.</summary>
internal readonly struct GptHeader
{
    public const int SignatureOffset = 0;
    public const int RevisionOffset = 8;
    public const int HeaderSizeOffset = 12;
    public const int HeaderCrc32Offset = 16;
    public const int MyLbaOffset = 24;
    public const int AlternateLbaOffset = 32;
    public const int FirstUsableLbaOffset = 40;
    public const int LastUsableLbaOffset = 48;
    public const int DiskGuidOffset = 56;
    public const int PartitionEntryLbaOffset = 72;
    public const int NumberOfPartitionEntriesOffset = 80;
    public const int SizeOfPartitionEntryOffset = 84;
    public const int PartitionEntryArrayCrc32Offset = 88;

    /// <summary>The smallest valid HeaderSize (UEFI 2.10 §5.3.2: 92 bytes).</summary>
    public const int MinHeaderSize = 92;

    /// <summary>"EFI PART".</summary>
    public const ulong Signature = 0x5452415020494645;

    public ulong MyLba { get; init; }
    public ulong AlternateLba { get; init; }
    public ulong FirstUsableLba { get; init; }
    public ulong LastUsableLba { get; init; }
    public Guid DiskGuid { get; init; }
    public ulong PartitionEntryLba { get; init; }
    public uint NumberOfPartitionEntries { get; init; }
    public uint SizeOfPartitionEntry { get; init; }
    public uint PartitionEntryArrayCrc32 { get; init; }

    /// <summary>
    /// Parses the header in <paramref name="sector"/> (one logical block) and checks it as UEFI 2.10 §5.3.2 says a
    /// header is validated: the signature, HeaderSize from 92 to the block size, the header CRC32 (computed with the
    /// field zero), MyLBA equal to the block it was read from, SizeOfPartitionEntry 128 × 2^n. Returns a reason for the first failure.
    /// </summary>
    public static string? TryParse(ReadOnlySpan<byte> sector, ulong lba, out GptHeader header)
    {
        header = default;
        if (sector.Length < MinHeaderSize || BinaryPrimitives.ReadUInt64LittleEndian(sector) != Signature) return "No \"EFI PART\" signature";
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(sector[HeaderSizeOffset..]);
        if (size < MinHeaderSize || size > sector.Length) return $"HeaderSize {size} is outside 92..{sector.Length}";
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(sector[HeaderCrc32Offset..]);
        Span<byte> copy = stackalloc byte[(int)size];
        sector[..(int)size].CopyTo(copy);
        copy.Slice(HeaderCrc32Offset, 4).Clear();
        uint computed = Crc32.Compute(copy);
        if (computed != stored) return $"Header CRC32 {stored:X8} stored, {computed:X8} computed";
        header = new GptHeader
        {
            MyLba = BinaryPrimitives.ReadUInt64LittleEndian(sector[MyLbaOffset..]),
            AlternateLba = BinaryPrimitives.ReadUInt64LittleEndian(sector[AlternateLbaOffset..]),
            FirstUsableLba = BinaryPrimitives.ReadUInt64LittleEndian(sector[FirstUsableLbaOffset..]),
            LastUsableLba = BinaryPrimitives.ReadUInt64LittleEndian(sector[LastUsableLbaOffset..]),
            DiskGuid = new Guid(sector.Slice(DiskGuidOffset, 16)),
            PartitionEntryLba = BinaryPrimitives.ReadUInt64LittleEndian(sector[PartitionEntryLbaOffset..]),
            NumberOfPartitionEntries = BinaryPrimitives.ReadUInt32LittleEndian(sector[NumberOfPartitionEntriesOffset..]),
            SizeOfPartitionEntry = BinaryPrimitives.ReadUInt32LittleEndian(sector[SizeOfPartitionEntryOffset..]),
            PartitionEntryArrayCrc32 = BinaryPrimitives.ReadUInt32LittleEndian(sector[PartitionEntryArrayCrc32Offset..]),
        };
        if (header.MyLba != lba) return $"MyLBA {header.MyLba}, read from LBA {lba}";
        uint entrySize = header.SizeOfPartitionEntry;
        if (entrySize < GptPartitionEntry.MinSize || entrySize > 4096 || (entrySize & (entrySize - 1)) != 0)
            return $"SizeOfPartitionEntry {entrySize} is not 128 × 2^n";
        if (header.FirstUsableLba > header.LastUsableLba) return $"FirstUsableLBA {header.FirstUsableLba} > LastUsableLBA {header.LastUsableLba}";
        return null;
    }
}

/// <summary>One GPT partition entry (UEFI 2.10 §5.3.3, Table 5-6 "GPT Partition Entry").</summary>
internal readonly struct GptPartitionEntry
{
    public const int MinSize = 128;
    public const int PartitionTypeGuidOffset = 0;
    public const int UniquePartitionGuidOffset = 16;
    public const int StartingLbaOffset = 32;
    public const int EndingLbaOffset = 40;
    public const int AttributesOffset = 48;
    public const int PartitionNameOffset = 56;
    public const int PartitionNameLength = 72;

    public Guid PartitionTypeGuid { get; init; }
    public Guid UniquePartitionGuid { get; init; }
    public ulong StartingLba { get; init; }
    public ulong EndingLba { get; init; }
    public ulong Attributes { get; init; }
    public string Name { get; init; }

    /// <summary>An unused entry: PartitionTypeGUID zero (UEFI 2.10 §5.3.3).</summary>
    public bool IsUnused => PartitionTypeGuid == Guid.Empty;

    public static GptPartitionEntry Parse(ReadOnlySpan<byte> entry)
    {
        var name = entry.Slice(PartitionNameOffset, PartitionNameLength);
        int chars = 0;
        while (chars < PartitionNameLength / 2 && BinaryPrimitives.ReadUInt16LittleEndian(name[(chars * 2)..]) != 0) chars++;
        return new GptPartitionEntry
        {
            PartitionTypeGuid = new Guid(entry.Slice(PartitionTypeGuidOffset, 16)),
            UniquePartitionGuid = new Guid(entry.Slice(UniquePartitionGuidOffset, 16)),
            StartingLba = BinaryPrimitives.ReadUInt64LittleEndian(entry[StartingLbaOffset..]),
            EndingLba = BinaryPrimitives.ReadUInt64LittleEndian(entry[EndingLbaOffset..]),
            Attributes = BinaryPrimitives.ReadUInt64LittleEndian(entry[AttributesOffset..]),
            Name = System.Text.Encoding.Unicode.GetString(name[..(chars * 2)]),
        };
    }
}

/// <summary>CRC-32 (ISO-HDLC: polynomial 0x04C11DB7 reflected, initial and final XOR 0xFFFFFFFF), as GPT uses (UEFI 2.10 §5.3.2).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Build();

    private static uint[] Build()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        crc = ~crc;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);
}
