using System.Text;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>
/// CRC-32C against published check values and against an independent textbook table implementation
/// (<see cref="VhdxWriter.Crc32CReference"/>); the interleaved path against the simple one on many lengths and alignments.
/// </summary>
public sealed class Crc32CTests
{
    // check("123456789") is the catalogue value of CRC-32/ISCSI (= CRC-32C); the others are RFC 3720 appendix B.4 vectors.
    [TestCase("123456789", 0xE3069283u)]
    [TestCase("", 0x00000000u)]
    [TestCase("a", 0xC1D04330u)]
    public void KnownAsciiVectors(string text, uint expected) =>
        Assert.That(Crc32C.Compute(Encoding.ASCII.GetBytes(text)), Is.EqualTo(expected));

    [Test]
    public void Rfc3720Vectors()
    {
        Assert.That(Crc32C.Compute(new byte[32]), Is.EqualTo(0x8A9136AAu), "32 zero bytes");
        Assert.That(Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()), Is.EqualTo(0x62A8AB43u), "32 bytes of 0xFF");
        Assert.That(Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()), Is.EqualTo(0x46DD794Eu), "0..31");
        Assert.That(Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()), Is.EqualTo(0x113FDB5Cu), "31..0");
    }

    [Test]
    public void MatchesTheTableImplementationOnManyLengthsAndAlignments()
    {
        var rng = new Random(12345);
        var data = new byte[70_000];
        rng.NextBytes(data);
        int[] lengths = [0, 1, 7, 8, 9, 15, 16, 17, 1535, 1536, 1537, 3071, 3072, 3073, 4095, 4096, 4097, 4608, 9216, 9217, 65536, 65537, 69_000];
        foreach (int length in lengths)
            for (int align = 0; align < 9; align++)
            {
                if (align + length > data.Length) continue;
                var span = data.AsSpan(align, length);
                uint reference = VhdxWriter.Crc32CReference(span);
                Assert.That(Crc32C.Compute(span), Is.EqualTo(reference), $"length {length}, alignment {align}");
                Assert.That(~Crc32C.UpdateSimple(0xFFFFFFFFu, span), Is.EqualTo(reference), $"simple, length {length}");
                Assert.That(~Crc32C.UpdateInterleaved(0xFFFFFFFFu, span), Is.EqualTo(reference), $"interleaved, length {length}");
            }
        for (int i = 0; i < 200; i++)
        {
            int length = rng.Next(0, 20_000), align = rng.Next(0, 64);
            var span = data.AsSpan(align, length);
            Assert.That(Crc32C.UpdateInterleaved(0x12345678u, span), Is.EqualTo(Crc32C.UpdateSimple(0x12345678u, span)), $"length {length}");
        }
    }

    [Test]
    public void ZeroedFieldEqualsCopyWithZeroedField()
    {
        var rng = new Random(7);
        var data = new byte[65536];
        rng.NextBytes(data);
        var copy = (byte[])data.Clone();
        copy.AsSpan(4, 4).Clear();
        Assert.That(Crc32C.ComputeWithZeroedField(data, 4), Is.EqualTo(VhdxWriter.Crc32CReference(copy)));
    }
}
