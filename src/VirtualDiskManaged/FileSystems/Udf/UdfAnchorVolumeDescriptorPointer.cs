using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The Anchor Volume Descriptor Pointer (ECMA-167 3/10.2, OSTA UDF 2.60 §2.2.3): the main and the reserve volume
/// descriptor sequence extents. It is recorded in at least two of sector 256, N−256 and N (ECMA-167 3/8.4.2.1);
/// an unclosed sequential disc has it at 256 only, or at 512 (OSTA UDF 2.60 §6.11.2).
/// </summary>
internal readonly record struct UdfAnchorVolumeDescriptorPointer(long Sector, uint MainLength, uint MainLocation, uint ReserveLength, uint ReserveLocation)
{
    public const int Size = 512;
    private const int MainExtentOffset = 16;
    private const int ReserveExtentOffset = 24;

    /// <summary>Block sizes probed, in order (UDF requires the logical block to equal the sector, OSTA UDF 2.60 §2.2.4.2).</summary>
    public static readonly int[] BlockSizes = [2048, 512, 4096, 1024];

    /// <summary>Reads and checks an AVDP at <paramref name="sector"/> (tag id 2, its location, checksum and CRC).</summary>
    public static bool TryRead(VolumeSource source, int blockSize, long sector, out UdfAnchorVolumeDescriptorPointer anchor)
    {
        anchor = default;
        if (sector < 0 || sector > uint.MaxValue) return false;
        Span<byte> d = stackalloc byte[Size];
        if (!source.TryReadExactlyAt(sector * blockSize, d)) return false;
        if (UdfTag.Check(d, UdfTagId.AnchorPointer, (uint)sector, out _) != UdfTagProblem.None) return false;
        anchor = new(sector,
            BinaryPrimitives.ReadUInt32LittleEndian(d[MainExtentOffset..]), BinaryPrimitives.ReadUInt32LittleEndian(d[(MainExtentOffset + 4)..]),
            BinaryPrimitives.ReadUInt32LittleEndian(d[ReserveExtentOffset..]), BinaryPrimitives.ReadUInt32LittleEndian(d[(ReserveExtentOffset + 4)..]));
        return true;
    }

    /// <summary>
    /// The sectors to look at for one block size, in order: 256, N−256, N, then the positions real writers use
    /// (N−1, N−2 and N−150/N−152 for discs read with the run-out or lead-out blocks, 512 for unclosed media; the
    /// same list Linux's udf_scan_anchors walks).
    /// </summary>
    public static IEnumerable<long> Candidates(long sectorCount)
    {
        long last = sectorCount - 1;
        yield return 256;
        if (last > 512) { yield return last - 256; }
        if (last > 256) { yield return last; }
        yield return 512;
        foreach (long d in Offsets)
            if (last - d > 256) { yield return last - d; yield return last - d - 256; }
    }

    private static readonly long[] Offsets = [1, 2, 150, 152];

    /// <summary>Finds the block size and a valid anchor (at most a handful of 512-byte reads).</summary>
    public static bool TryFind(VolumeSource source, bool quick, out int blockSize, out UdfAnchorVolumeDescriptorPointer anchor)
    {
        // Pass 1: sector 256 for every block size (the cheap test HasVolume relies on); pass 2: the other positions.
        foreach (int bs in BlockSizes)
            if (TryRead(source, bs, 256, out anchor)) { blockSize = bs; return true; }
        if (!quick)
        {
            foreach (int bs in BlockSizes)
                foreach (long s in Candidates(source.Length / bs))
                    if (s != 256 && TryRead(source, bs, s, out anchor)) { blockSize = bs; return true; }
        }
        blockSize = 0;
        anchor = default;
        return false;
    }
}
