using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Udf;

namespace VirtualDiskManaged.Tests.Udf;

/// <summary>
/// The read-ahead window a UDF directory enumeration reads file entries through: it returns exactly the volume's
/// bytes wherever the read falls (inside the window, across its end, at the volume's end) and refuses what lies
/// past the end, as a direct read does.
/// </summary>
[TestFixture]
public sealed class UdfReadAheadTests
{
    [Test]
    public void ReturnsTheVolumesBytesEverywhere()
    {
        var bytes = new byte[3 * UdfReadAhead.WindowSize + 1000];
        new Random(17).NextBytes(bytes);
        var source = VolumeSource.FromStream(new MemoryStream(bytes), "test");
        using var readAhead = new UdfReadAhead();
        var buffer = new byte[2048];
        long[] offsets = [0, 2048, 2048 * 31, UdfReadAhead.WindowSize - 100, 10, UdfReadAhead.WindowSize * 2 + 5, bytes.Length - 2048, 0];
        foreach (long at in offsets)
        {
            Assert.That(readAhead.TryReadExactlyAt(source, at, buffer), Is.True, $"at {at}");
            Assert.That(buffer, Is.EqualTo(bytes.AsSpan((int)at, buffer.Length).ToArray()), $"bytes at {at}");
        }
        Assert.That(readAhead.TryReadExactlyAt(source, bytes.Length - 2047, buffer), Is.False, "one byte past the end");
        Assert.That(readAhead.TryReadExactlyAt(source, -1, buffer), Is.False, "a negative offset");
        Assert.That(readAhead.TryReadExactlyAt(source, 4096, buffer), Is.True, "a read after a refused one");
        Assert.That(buffer, Is.EqualTo(bytes.AsSpan(4096, buffer.Length).ToArray()));
        var big = new byte[UdfReadAhead.WindowSize + 1];
        Assert.That(readAhead.TryReadExactlyAt(source, 1, big), Is.True, "larger than the window: read directly");
        Assert.That(big, Is.EqualTo(bytes.AsSpan(1, big.Length).ToArray()));
    }
}
