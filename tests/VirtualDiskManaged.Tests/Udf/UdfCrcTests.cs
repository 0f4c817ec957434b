using System.Text;
using VirtualDiskManaged.FileSystems.Udf;

namespace VirtualDiskManaged.Tests.Udf;

/// <summary>
/// The descriptor CRC (ECMA-167 3/7.2.6: CRC-ITU-T, polynomial x^16 + x^12 + x^5 + 1, initial 0, MSB first): the
/// check value of the CRC catalogues, and the eight-bytes-at-a-time code against the polynomial division done
/// bit by bit at every length around the 8-byte steps.
/// </summary>
[TestFixture]
public sealed class UdfCrcTests
{
    /// <summary>Polynomial division, one bit at a time: the definition, with no table.</summary>
    private static ushort BitByBit(ReadOnlySpan<byte> data)
    {
        int crc = 0;
        foreach (byte b in data)
        {
            crc ^= b << 8;
            for (int i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
        }
        return (ushort)crc;
    }

    [Test]
    public void CheckValueIs0x31C3() => Assert.That(UdfCrc.Compute(Encoding.ASCII.GetBytes("123456789")), Is.EqualTo((ushort)0x31C3));

    [Test]
    public void EveryLengthMatchesThePolynomialDivision()
    {
        var random = new Random(0x0DF);
        var data = new byte[2100];
        random.NextBytes(data);
        for (int length = 0; length <= 80; length++)
            for (int start = 0; start < 9; start++)
                Assert.That(UdfCrc.Compute(data.AsSpan(start, length)), Is.EqualTo(BitByBit(data.AsSpan(start, length))), $"length {length} at {start}");
        Assert.That(UdfCrc.Compute(data.AsSpan(0, 2032)), Is.EqualTo(BitByBit(data.AsSpan(0, 2032))), "a whole 2 KiB descriptor's body");
        Assert.That(UdfCrc.Compute(new byte[2048]), Is.EqualTo((ushort)0), "zeros with initial 0");
    }
}
