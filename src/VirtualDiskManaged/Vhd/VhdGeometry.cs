namespace VirtualDiskManaged.Vhd;

/// <summary>The VHD spec's CHS algorithm (VHD spec "Appendix: CHS Calculation").</summary>
internal static class VhdGeometry
{
    public const long MaxSectors = 65535L * 16 * 255;

    /// <summary>The geometry the spec's appendix computes for a size in bytes (rounding down).</summary>
    public static DiskGeometry FromSize(long size)
    {
        long totalSectors = Math.Min(Math.Max(size, 0) / 512, MaxSectors);
        long spt, heads, cth;
        if (totalSectors >= 65535L * 16 * 63)
        {
            spt = 255; heads = 16; cth = totalSectors / spt;
        }
        else
        {
            spt = 17;
            cth = totalSectors / spt;
            heads = Math.Max((cth + 1023) / 1024, 4);
            if (cth >= heads * 1024 || heads > 16) { spt = 31; heads = 16; cth = totalSectors / spt; }
            if (cth >= heads * 1024) { spt = 63; heads = 16; cth = totalSectors / spt; }
        }
        return new DiskGeometry((int)(cth / heads), (int)heads, (int)spt);
    }
}
