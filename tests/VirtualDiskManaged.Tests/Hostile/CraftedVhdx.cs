using System.Buffers.Binary;
using VirtualDiskManaged.Tests.Hostile.Fuzzing;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// Builds small dynamic VHDX images from the MS-VHDX layout (MS-VHDX §2) for hostile-input tests. Fixed layout:
/// headers at 64/128 KiB, region tables at 192/256 KiB, log at 1 MiB (1 MiB, empty), metadata region at 2 MiB,
/// BAT region at 3 MiB, payload blocks from 4 MiB. Tests patch fields and call <see cref="FixChecksums"/>.
/// </summary>
internal sealed class CraftedVhdx
{
    public const int MiB = 1024 * 1024;
    public const int Header1 = 64 * 1024, Header2 = 128 * 1024, Regions1 = 192 * 1024, Regions2 = 256 * 1024;
    public const long LogOffset = MiB, MetadataOffset = 2 * MiB, BatOffset = 3 * MiB, DataOffset = 4 * MiB;
    /// <summary>Metadata table entry positions (entry i at MetadataOffset + 32 + 32·i): file parameters, size, disk id, logical, physical.</summary>
    public const int EntryFileParameters = 0, EntryVirtualSize = 1, EntryDiskId = 2, EntryLogical = 3, EntryPhysical = 4;

    public static readonly Guid BatRegion = new("2DC27766-F623-4200-9D64-115E9BFD4A08");
    public static readonly Guid MetadataRegion = new("8B7CA206-4790-4B9A-B8FE-575F050F886E");
    private static readonly Guid FileParameters = new("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    private static readonly Guid VirtualDiskSize = new("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
    private static readonly Guid VirtualDiskId = new("BECA12AB-B2E6-4523-93EF-C309E000C746");
    private static readonly Guid LogicalSectorSize = new("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
    private static readonly Guid PhysicalSectorSize = new("CDA348C7-445D-4471-9CC9-E9885251C556");

    public long VirtualSize { get; init; } = 8 * MiB;
    public uint BlockSize { get; init; } = MiB;
    public IReadOnlyCollection<int> AllocatedBlocks { get; init; } = [0, 3];
    public Func<long, byte> Pattern { get; init; } = CraftedVhd.DefaultPattern;
    public Guid DataWriteGuid { get; init; } = Guid.NewGuid();

    public byte[] Build()
    {
        long chunkRatio = (1L << 23) * 512 / BlockSize;
        long dataBlocks = (VirtualSize + BlockSize - 1) / BlockSize;
        long batEntries = dataBlocks + (dataBlocks - 1) / chunkRatio;
        if (batEntries * 8 > MiB) throw new ArgumentException("BAT too big for the crafted layout");
        var blocks = AllocatedBlocks.Order().ToList();
        var image = new byte[DataOffset + (long)blocks.Count * BlockSize];
        "vhdxfile"u8.CopyTo(image);
        foreach (var (at, seq) in new[] { (Header1, 1), (Header2, 2) })
        {
            var h = image.AsSpan(at, 4096);
            "head"u8.CopyTo(h);
            BinaryPrimitives.WriteUInt64LittleEndian(h[8..], (ulong)seq);
            Guid.NewGuid().ToByteArray().CopyTo(h[16..]);
            DataWriteGuid.ToByteArray().CopyTo(h[32..]);
            BinaryPrimitives.WriteUInt16LittleEndian(h[66..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(h[68..], MiB);
            BinaryPrimitives.WriteUInt64LittleEndian(h[72..], (ulong)LogOffset);
        }
        foreach (int at in new[] { Regions1, Regions2 })
        {
            var r = image.AsSpan(at, 64 * 1024);
            "regi"u8.CopyTo(r);
            BinaryPrimitives.WriteUInt32LittleEndian(r[8..], 2);
            WriteRegion(r[16..], BatRegion, BatOffset, MiB);
            WriteRegion(r[48..], MetadataRegion, MetadataOffset, MiB);
        }
        var m = image.AsSpan((int)MetadataOffset, MiB);
        "metadata"u8.CopyTo(m);
        BinaryPrimitives.WriteUInt16LittleEndian(m[10..], 5);
        const uint required = 4, virtualDisk = 2;
        WriteItem(m, EntryFileParameters, FileParameters, 0x10000, 8, required);
        WriteItem(m, EntryVirtualSize, VirtualDiskSize, 0x10008, 8, required | virtualDisk);
        WriteItem(m, EntryDiskId, VirtualDiskId, 0x10010, 16, required | virtualDisk);
        WriteItem(m, EntryLogical, LogicalSectorSize, 0x10020, 4, required | virtualDisk);
        WriteItem(m, EntryPhysical, PhysicalSectorSize, 0x10024, 4, required | virtualDisk);
        BinaryPrimitives.WriteUInt32LittleEndian(m[0x10000..], BlockSize);
        BinaryPrimitives.WriteUInt64LittleEndian(m[0x10008..], (ulong)VirtualSize);
        Guid.NewGuid().ToByteArray().CopyTo(m[0x10010..]);
        BinaryPrimitives.WriteUInt32LittleEndian(m[0x10020..], 512);
        BinaryPrimitives.WriteUInt32LittleEndian(m[0x10024..], 512);
        for (int i = 0; i < blocks.Count; i++)
        {
            int b = blocks[i];
            long fileOffset = DataOffset + (long)i * BlockSize;
            long index = b + b / chunkRatio;
            ulong entry = 6UL | ((ulong)(fileOffset / MiB) << 20);
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan((int)(BatOffset + 8 * index)), entry);
            long start = (long)b * BlockSize;
            long n = Math.Min(BlockSize, VirtualSize - start);
            for (long k = 0; k < n; k++) image[fileOffset + k] = Pattern(start + k);
        }
        FixChecksums(image);
        return image;
    }

    public byte[] ExpectedContent()
    {
        var content = new byte[VirtualSize];
        for (long i = 0; i < VirtualSize; i++)
            content[i] = AllocatedBlocks.Contains((int)(i / BlockSize)) ? Pattern(i) : (byte)0;
        return content;
    }

    private static void WriteRegion(Span<byte> e, Guid id, long offset, uint length)
    {
        id.ToByteArray().CopyTo(e);
        BinaryPrimitives.WriteUInt64LittleEndian(e[16..], (ulong)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(e[24..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(e[28..], 1);
    }

    private static void WriteItem(Span<byte> table, int index, Guid id, uint offset, uint length, uint flags)
    {
        var e = table.Slice(32 + 32 * index, 32);
        id.ToByteArray().CopyTo(e);
        BinaryPrimitives.WriteUInt32LittleEndian(e[16..], offset);
        BinaryPrimitives.WriteUInt32LittleEndian(e[20..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(e[24..], flags);
    }

    /// <summary>Recomputes the CRC-32C of both headers and both region tables.</summary>
    public static void FixChecksums(byte[] image)
    {
        Crc32C.Fix(image.AsSpan(Header1, 4096), 4);
        Crc32C.Fix(image.AsSpan(Header2, 4096), 4);
        Crc32C.Fix(image.AsSpan(Regions1, 64 * 1024), 4);
        Crc32C.Fix(image.AsSpan(Regions2, 64 * 1024), 4);
    }

    /// <summary>Writes a little-endian value at an absolute offset, then fixes the checksums.</summary>
    public static void Patch(byte[] image, long offset, ulong value, int size)
    {
        var s = image.AsSpan((int)offset, size);
        if (size == 8) BinaryPrimitives.WriteUInt64LittleEndian(s, value);
        else if (size == 4) BinaryPrimitives.WriteUInt32LittleEndian(s, (uint)value);
        else BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)value);
        FixChecksums(image);
    }

    /// <summary>Patches a field of both headers (offset inside the 4 KiB header).</summary>
    public static void PatchHeaders(byte[] image, int field, ulong value, int size)
    {
        Patch(image, Header1 + field, value, size);
        Patch(image, Header2 + field, value, size);
    }

    /// <summary>Patches a field of region entry <paramref name="entry"/> in both region tables (offset inside the 32-byte entry).</summary>
    public static void PatchRegionEntry(byte[] image, int entry, int field, ulong value, int size)
    {
        Patch(image, Regions1 + 16 + 32 * entry + field, value, size);
        Patch(image, Regions2 + 16 + 32 * entry + field, value, size);
    }

    /// <summary>Patches a field of metadata table entry <paramref name="entry"/> (offset inside the 32-byte entry).</summary>
    public static void PatchMetadataEntry(byte[] image, int entry, int field, ulong value, int size) =>
        Patch(image, MetadataOffset + 32 + 32 * entry + field, value, size);
}
