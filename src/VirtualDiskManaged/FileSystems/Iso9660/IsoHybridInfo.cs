using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>One MBR partition entry (16 bytes at 446 + 16·n of sector 0).</summary>
/// <param name="Index">0–3.</param>
/// <param name="Status">0x80 active, 0x00 inactive.</param>
/// <param name="Type">The partition type byte (0x17 syslinux isohybrid, 0x00/0xEF with xorriso's GPT variant).</param>
/// <param name="FirstLba">First 512-byte sector.</param>
/// <param name="SectorCount">Length in 512-byte sectors.</param>
public sealed record MbrPartition(int Index, byte Status, byte Type, uint FirstLba, uint SectorCount);

/// <summary>One GPT partition entry (UEFI §5.3.3).</summary>
/// <param name="Index">0-based entry number.</param>
/// <param name="TypeGuid">Partition type GUID.</param>
/// <param name="UniqueGuid">Unique partition GUID.</param>
/// <param name="FirstLba">First 512-byte LBA.</param>
/// <param name="LastLba">Last 512-byte LBA (inclusive).</param>
/// <param name="Name">The UTF-16 name.</param>
public sealed record GptPartition(int Index, Guid TypeGuid, Guid UniqueGuid, ulong FirstLba, ulong LastLba, string Name);

/// <summary>
/// What the system area (sectors 0–15, ECMA-119 §6.2.1) holds besides ISO 9660: an MBR (0x55 0xAA at byte 510)
/// with its partitions, a GPT ("EFI PART" at byte 512) with its entries — an isohybrid image boots from a USB
/// stick through them. Information only: never a reason to refuse an image.
/// </summary>
public sealed class IsoHybridInfo
{
    /// <summary>GPT entries read at most (xorriso writes 248).</summary>
    public const int MaxGptEntries = 256;

    private IsoHybridInfo() { }

    /// <summary>True when sector 0 ends with the MBR signature 55 AA.</summary>
    public bool HasMbr { get; private init; }

    /// <summary>The non-empty MBR partitions.</summary>
    public IReadOnlyList<MbrPartition> MbrPartitions { get; private init; } = [];

    /// <summary>True when a GPT header ("EFI PART") is at byte 512.</summary>
    public bool HasGpt { get; private init; }

    /// <summary>The used GPT entries.</summary>
    public IReadOnlyList<GptPartition> GptPartitions { get; private init; } = [];

    /// <summary>
    /// True for an isohybrid image: an MBR whose partitions cover the ISO from sector 0 (syslinux isohybrid,
    /// type 0x17; xorriso -isohybrid-gpt-basdat, type 0x00) or whose boot code starts like isohdpfx.bin (33 ED).
    /// </summary>
    public bool IsIsohybrid { get; private init; }

    /// <summary>isohdpfx.bin: the LE32 at byte 432 (the boot file's LBA × 4), when the MBR has one.</summary>
    public uint? BootFileLbaTimes4 { get; private init; }

    internal static IsoHybridInfo Read(VolumeSource source)
    {
        Span<byte> s = stackalloc byte[1024];
        if (!source.TryReadExactlyAt(0, s)) return new IsoHybridInfo();
        bool mbr = s[510] == 0x55 && s[511] == 0xAA;
        var parts = new List<MbrPartition>();
        if (mbr)
            for (int i = 0; i < 4; i++)
            {
                var p = s.Slice(446 + 16 * i, 16);
                uint first = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]), count = BinaryPrimitives.ReadUInt32LittleEndian(p[12..]);
                if (p[4] != 0 || count != 0) parts.Add(new MbrPartition(i, p[0], p[4], first, count));
            }
        bool gpt = s.Slice(512, 8).SequenceEqual("EFI PART"u8);
        var gptParts = new List<GptPartition>();
        if (gpt)
        {
            var h = s.Slice(512, 512);
            ulong entriesLba = BinaryPrimitives.ReadUInt64LittleEndian(h[72..]);
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(h[80..]), size = BinaryPrimitives.ReadUInt32LittleEndian(h[84..]);
            if (size is >= 128 and <= 4096 && entriesLba is > 0 and < 1UL << 40)
            {
                var entry = new byte[size];
                for (int i = 0; i < Math.Min(count, MaxGptEntries); i++)
                {
                    long at = (long)entriesLba * 512 + (long)i * size;
                    if (!source.TryReadExactlyAt(at, entry)) break;
                    var type = new Guid(entry.AsSpan(0, 16));
                    if (type == Guid.Empty) continue;
                    gptParts.Add(new GptPartition(i, type, new Guid(entry.AsSpan(16, 16)), BinaryPrimitives.ReadUInt64LittleEndian(entry.AsSpan(32)),
                        BinaryPrimitives.ReadUInt64LittleEndian(entry.AsSpan(40)), Encoding.Unicode.GetString(entry.AsSpan(56, 72)).TrimEnd('\0')));
                }
            }
        }
        bool isohdpfx = mbr && s[0] == 0x33 && s[1] == 0xED;
        bool covers = parts.Exists(p => p.FirstLba == 0 && p.SectorCount > 0 && p.Type is 0x17 or 0x00 or 0x83 or 0xCD);
        return new IsoHybridInfo
        {
            HasMbr = mbr,
            MbrPartitions = parts,
            HasGpt = gpt,
            GptPartitions = gptParts,
            IsIsohybrid = mbr && (isohdpfx || covers),
            BootFileLbaTimes4 = isohdpfx ? BinaryPrimitives.ReadUInt32LittleEndian(s[432..]) : null,
        };
    }
}
