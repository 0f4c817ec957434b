namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>A minimal ISO 9660 image (ECMA-119): 16 system-area sectors, a primary volume descriptor, a set terminator, and some data sectors.</summary>
internal static class CraftedIso
{
    public static byte[] Build(int totalSectors = 24)
    {
        var image = new byte[totalSectors * 2048];
        var pvd = image.AsSpan(16 * 2048, 2048);
        pvd[0] = 1;
        "CD001"u8.CopyTo(pvd[1..]);
        pvd[6] = 1;
        "HOSTILE_TEST"u8.CopyTo(pvd[40..]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(pvd[80..], (uint)totalSectors);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(pvd[84..], (uint)totalSectors);
        pvd[128] = 0x00; pvd[129] = 0x08; pvd[130] = 0x08; pvd[131] = 0x00;
        var term = image.AsSpan(17 * 2048, 2048);
        term[0] = 255;
        "CD001"u8.CopyTo(term[1..]);
        term[6] = 1;
        for (int i = 18 * 2048; i < image.Length; i++) image[i] = (byte)(i * 7 >> 3);
        return image;
    }
}
