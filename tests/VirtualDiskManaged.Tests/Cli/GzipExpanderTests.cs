using System.Diagnostics;
using System.Security.Cryptography;
using VirtualDiskManaged.Cli.Gzip;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// The CLI's own gzip expander (RFC 1952 framing, RFC 1951 inflate, CRC-32) gives exactly what the gzip tool gives,
/// for every .gz in testdata and, when present, in the shared corpus.
/// </summary>
[TestFixture]
public sealed class GzipExpanderTests
{
    private static IEnumerable<string> Files()
    {
        foreach (string f in Directory.EnumerateFiles(TestPaths.TestData, "*.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            yield return f;
        if (CliImages.Corpus is { } corpus)
            foreach (string f in Directory.EnumerateFiles(corpus, "*.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                yield return f;
    }

    [Test]
    public void ExpandsLikeGzip()
    {
        CliImages.RequireTool("gzip");
        int count = 0;
        foreach (string file in Files())
        {
            using var sink = new HashingSink();
            using (var input = File.OpenRead(file))
                GzipExpander.Expand(input, sink, long.MaxValue, file);
            Assert.That(sink.Digest(), Is.EqualTo(GzipToolSha256(file)), file);
            count++;
        }
        Assert.That(count, Is.GreaterThan(10));
    }

    [Test]
    public void Crc32MatchesTheCheckValue()
    {
        // The CRC-32 (ISO 3309, reflected 0xEDB88320) check value of "123456789" is 0xCBF43926.
        Assert.That(Crc32.Update(0, "123456789"u8), Is.EqualTo(0xCBF43926u));
        Assert.That(Crc32.Update(Crc32.Update(0, "1234"u8), "56789"u8), Is.EqualTo(0xCBF43926u));
        Assert.That(Crc32.Update(0, []), Is.Zero);
    }

    private static string GzipToolSha256(string file)
    {
        var psi = new ProcessStartInfo("gzip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-dc");
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string digest = Convert.ToHexStringLower(SHA256.HashData(p.StandardOutput.BaseStream));
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, err.Result);
        return digest;
    }

    private sealed class HashingSink : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string Digest() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override void Write(ReadOnlySpan<byte> buffer) => _hash.AppendData(buffer);
        public override void Write(byte[] buffer, int offset, int count) => _hash.AppendData(buffer, offset, count);
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
