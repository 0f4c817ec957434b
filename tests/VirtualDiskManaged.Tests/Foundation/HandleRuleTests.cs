// CA2022: these tests call Read for its exceptions and checks its return value explicitly.
#pragma warning disable CA2022
using VirtualDiskManaged.Host;
using VirtualDiskManaged.Tests.Support;
using M = VirtualDiskManaged.VirtualDiskAccessMask;
using R = VirtualDiskManaged.VirtualDiskErrorReason;
using G = VirtualDiskManaged.GetVirtualDiskInfoVersion;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// docs/open-path.md §1: what a handle may do (else 5), its stream (read-only, seekable, own position, positional reads from
/// many threads), Dispose, and the .NET layer's exception and TryOpen overloads.
/// </summary>
public sealed class HandleRuleTests
{
    private const uint AccessDenied = 5;
    private string _folder = null!;
    private string _iso = null!;
    private byte[] _bytes = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Files.Folder();
        // 1 MiB: an ISO 9660 descriptor at 32,768 and pseudo-random bytes elsewhere, so every offset is distinguishable.
        _bytes = new byte[512 * Files.Sector];
        new Random(20261122).NextBytes(_bytes);
        Array.Clear(_bytes, Files.DescriptorOffset, Files.Sector);
        _bytes[Files.DescriptorOffset] = 1;
        "CD001"u8.CopyTo(_bytes.AsSpan(Files.DescriptorOffset + 1));
        _bytes[Files.DescriptorOffset + 6] = 1;
        _iso = Path.Combine(_folder, "data.iso");
        File.WriteAllBytes(_iso, _bytes);
    }

    private VirtualDiskHandle Open(M access, OpenVirtualDiskParameters? p = null, string? path = null)
    {
        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, path ?? _iso, access, 0, p, OpenRuleSet.Current, out var handle);
        Assert.That(code, Is.EqualTo(0u));
        return handle!;
    }

    // ---- OpenStream: V1 (or null parameters) with ATTACH_RO/ATTACH_RW; V2/V3 with GetInfoOnly = false ----

    [TestCase(0x0u, false, TestName = "OpenStream V1 NONE")]
    [TestCase(0x10000u, true, TestName = "OpenStream V1 ATTACH_RO")]
    [TestCase(0x40000u, false, TestName = "OpenStream V1 DETACH")]
    [TestCase(0x80000u, false, TestName = "OpenStream V1 GET_INFO")]
    [TestCase(0xC0000u, false, TestName = "OpenStream V1 DETACH|GET_INFO")]
    [TestCase(0x90000u, true, TestName = "OpenStream V1 ATTACH_RO|GET_INFO")]
    [TestCase(0xD0000u, true, TestName = "OpenStream V1 READ")]
    public void OpenStreamOnIsoHandles(uint mask, bool allowed)
    {
        foreach (var p in new[] { null, OpenVirtualDiskParameters.V1(), OpenVirtualDiskParameters.V1(0) })
        {
            using var handle = Open((M)mask, p);
            Assert.That(handle.CanRead, Is.EqualTo(allowed));
            if (allowed)
            {
                using var stream = handle.OpenStream();
                Assert.That(stream.CanRead, Is.True);
                Assert.That(handle.Read(0, new byte[16]), Is.EqualTo(16));
            }
            else
            {
                var e = Assert.Throws<VirtualDiskException>(() => handle.OpenStream());
                Assert.That(e!.ErrorCode, Is.EqualTo(AccessDenied));
                Assert.That(e.Reason, Is.EqualTo(R.HandleAccessDenied));
                var r = Assert.Throws<VirtualDiskException>(() => handle.Read(0, new byte[16]));
                Assert.That(r!.ErrorCode, Is.EqualTo(AccessDenied));
            }
        }
    }

    // ---- GetVirtualDiskInformation: V1 with GET_INFO, or any V2/V3 handle ----

    [TestCase(0x0u, false, TestName = "GetInfo V1 NONE")]
    [TestCase(0x10000u, false, TestName = "GetInfo V1 ATTACH_RO")]
    [TestCase(0x40000u, false, TestName = "GetInfo V1 DETACH")]
    [TestCase(0x80000u, true, TestName = "GetInfo V1 GET_INFO")]
    [TestCase(0x90000u, true, TestName = "GetInfo V1 ATTACH_RO|GET_INFO")]
    [TestCase(0xD0000u, true, TestName = "GetInfo V1 READ")]
    public void GetInformationOnIsoHandles(uint mask, bool allowed)
    {
        using var handle = Open((M)mask);
        Assert.That(handle.CanGetInfo, Is.EqualTo(allowed));
        foreach (var version in new[] { G.Size, G.VirtualStorageType, G.ProviderSubtype, G.PhysicalDisk, (G)99 })
        {
            uint code = VirtDisk.GetVirtualDiskInformation(handle, version, out var info);
            if (allowed) Assert.That(code, Is.Not.EqualTo(AccessDenied), version.ToString());
            else Assert.That(code, Is.EqualTo(AccessDenied), $"{version}: the access check comes before the version check");
            Assert.That(info, Is.Not.Null);
        }
    }

    public static IEnumerable<TestCaseData> V2Handles()
    {
        foreach (var v in new[] { OpenVirtualDiskVersion.Version2, OpenVirtualDiskVersion.Version3 })
        foreach (var (ro, gio) in new[] { (true, false), (false, false), (true, true), (false, true) })
            yield return new TestCaseData(v, ro, gio).SetName($"HandleV{(int)v} ReadOnly={ro} GetInfoOnly={gio}");
    }

    [TestCaseSource(nameof(V2Handles))]
    [Category("NeedsVhdProvider")]
    public void Version2And3Handles(OpenVirtualDiskVersion version, bool readOnly, bool getInfoOnly)
    {
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        string vhd = Path.Combine(_folder, "fixed.vhd");
        Assert.That(Files.Run("qemu-img", $"create -q -f vpc -o subformat=fixed \"{vhd}\" 1M", out var output), Is.EqualTo(0), output);
        var p = new OpenVirtualDiskParameters { Version = version, ReadOnly = readOnly, GetInfoOnly = getInfoOnly };
        using var handle = Open(M.None, p, vhd);
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, G.Size, out _), Is.EqualTo(0u), "any V2/V3 handle may query");
        if (getInfoOnly)
            Assert.That(Assert.Throws<VirtualDiskException>(() => handle.OpenStream())!.ErrorCode, Is.EqualTo(AccessDenied));
        else
            using (var s = handle.OpenStream()) Assert.That(s.CanWrite, Is.EqualTo(!readOnly), "ReadOnly = false writes (issue 16, docs/write.md)");
    }

    [TestCase(0x20000u, true, TestName = "VhdHandle V1 ATTACH_RW reads")]
    [TestCase(0x200000u, false, TestName = "VhdHandle V1 METAOPS does not read")]
    [TestCase(0x100000u, false, TestName = "VhdHandle V1 CREATE does not read")]
    [TestCase(0x3F0000u, true, TestName = "VhdHandle V1 ALL reads")]
    [Category("NeedsVhdProvider")]
    public void Version1WritableHandles(uint mask, bool reads)
    {
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        string vhd = Path.Combine(_folder, "fixed.vhd");
        Assert.That(Files.Run("qemu-img", $"create -q -f vpc -o subformat=fixed \"{vhd}\" 1M", out var output), Is.EqualTo(0), output);
        using var handle = Open((M)mask, null, vhd);
        if (reads)
            using (var s = handle.OpenStream()) Assert.That(s.CanWrite, Is.True, "ATTACH_RW handles write (issue 16, docs/write.md)");
        else
            Assert.That(Assert.Throws<VirtualDiskException>(() => handle.OpenStream())!.ErrorCode, Is.EqualTo(AccessDenied));
    }

    // ---- closed handles ----

    [Test]
    public void ClosedHandle()
    {
        var handle = Open(M.Read);
        var stream = handle.OpenStream();
        handle.Dispose();
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, G.Size, out _), Is.EqualTo(AccessDenied));
        Assert.Throws<ObjectDisposedException>(() => handle.OpenStream());
        Assert.Throws<ObjectDisposedException>(() => handle.Read(0, new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => _ = handle.Info);
        // A stream that outlives its handle fails on read instead of returning stale or wrong bytes.
        Assert.Catch<Exception>(() => stream.ReadExactly(new byte[16]));
        Assert.That(VirtDisk.CloseHandle(handle), Is.EqualTo(0u));
        Assert.That(VirtDisk.CloseHandle(null), Is.EqualTo(0u));
    }

    [Test]
    public void NullHandleIs87() => Assert.That(VirtDisk.GetVirtualDiskInformation(null!, G.Size, out _), Is.EqualTo(87u));

    [Test]
    public async Task DisposeReleasesTheFile()
    {
        var handle = Open(M.Read);
        await handle.DisposeAsync();
        // An exclusive open of the file (what a writer does) works, and a new conflicting handle too.
        Assert.That(HostFile.TryOpen(_iso, exclusive: true, out var file), Is.Null);
        file!.Dispose();
        using var again = Open(M.AttachRO);
        using var s = again.OpenStream();
        Assert.That(s.ReadByte(), Is.EqualTo(_bytes[0]));
    }

    // ---- the stream: a conformance checklist ----

    [Test]
    public void StreamCapabilitiesAndLength()
    {
        using var handle = Open(M.Read);
        using var s = handle.OpenStream();
        Assert.That(s.CanRead, Is.True);
        Assert.That(s.CanSeek, Is.True);
        Assert.That(s.CanWrite, Is.False);
        Assert.That(s.CanTimeout, Is.False);
        Assert.That(s.Length, Is.EqualTo(_bytes.Length));
        Assert.That(s.Position, Is.EqualTo(0));
        Assert.Throws<InvalidOperationException>(() => _ = s.ReadTimeout);
    }

    [Test]
    public void StreamWritesAreNotSupported()
    {
        using var handle = Open(M.Read);
        using var s = handle.OpenStream();
        Assert.Throws<NotSupportedException>(() => s.Write(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => s.Write(new byte[1]));
        Assert.Throws<NotSupportedException>(() => s.WriteByte(1));
        Assert.Throws<NotSupportedException>(() => s.SetLength(10));
        Assert.ThrowsAsync<NotSupportedException>(async () => await s.WriteAsync(new byte[1]));
        Assert.DoesNotThrow(() => s.Flush());
        Assert.That(File.ReadAllBytes(_iso), Is.EqualTo(_bytes));
    }

    [Test]
    public void StreamSeekSemantics()
    {
        using var handle = Open(M.Read);
        using var s = handle.OpenStream();
        Assert.That(s.Seek(100, SeekOrigin.Begin), Is.EqualTo(100));
        Assert.That(s.Position, Is.EqualTo(100));
        Assert.That(s.Seek(50, SeekOrigin.Current), Is.EqualTo(150));
        Assert.That(s.Seek(-10, SeekOrigin.Current), Is.EqualTo(140));
        Assert.That(s.Seek(-1, SeekOrigin.End), Is.EqualTo(_bytes.Length - 1));
        Assert.That(s.ReadByte(), Is.EqualTo(_bytes[^1]));
        Assert.That(s.ReadByte(), Is.EqualTo(-1), "end of stream");
        Assert.That(s.Seek(0, SeekOrigin.End), Is.EqualTo(_bytes.Length));
        // Seeking before the start fails and leaves the position alone (like FileStream).
        s.Position = 7;
        Assert.Throws<IOException>(() => s.Seek(-8, SeekOrigin.Current));
        Assert.Throws<IOException>(() => s.Seek(-1, SeekOrigin.Begin));
        Assert.That(s.Position, Is.EqualTo(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Position = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Seek(0, (SeekOrigin)3));
        // Beyond the end is allowed; reads there return 0.
        Assert.That(s.Seek(10, SeekOrigin.End), Is.EqualTo(_bytes.Length + 10));
        Assert.That(s.Read(new byte[10]), Is.EqualTo(0));
        s.Position = long.MaxValue;
        Assert.That(s.Read(new byte[10]), Is.EqualTo(0));
    }

    [Test]
    public void StreamReadSemantics()
    {
        using var handle = Open(M.Read);
        using var s = handle.OpenStream();
        var buffer = new byte[100];
        Assert.That(s.Read(buffer, 10, 50), Is.EqualTo(50));
        Assert.That(buffer.AsSpan(10, 50).ToArray(), Is.EqualTo(_bytes.AsSpan(0, 50).ToArray()));
        Assert.That(buffer.AsSpan(0, 10).ToArray(), Is.All.EqualTo(0), "outside the requested range untouched");
        Assert.That(s.Position, Is.EqualTo(50));
        Assert.That(s.Read(buffer, 0, 0), Is.EqualTo(0));
        Assert.That(s.Position, Is.EqualTo(50), "a zero-length read does not move");
        // A read across the end returns what is left.
        s.Position = _bytes.Length - 30;
        Assert.That(s.Read(buffer, 0, 100), Is.EqualTo(30));
        Assert.That(buffer.AsSpan(0, 30).ToArray(), Is.EqualTo(_bytes.AsSpan(_bytes.Length - 30).ToArray()));
        Assert.That(s.Position, Is.EqualTo(_bytes.Length));
        Assert.Throws<ArgumentNullException>(() => s.Read(null!, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Read(buffer, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Read(buffer, 0, -1));
        Assert.Catch<ArgumentException>(() => s.Read(buffer, 90, 20)); // Stream.ValidateBufferArguments: ArgumentOutOfRangeException
    }

    [Test]
    public async Task StreamAsyncReads()
    {
        using var handle = Open(M.Read);
        await using var s = handle.OpenStream();
        s.Position = 40000;
        var buffer = new byte[5000];
        Assert.That(await s.ReadAsync(buffer), Is.EqualTo(5000));
        Assert.That(buffer, Is.EqualTo(_bytes.AsSpan(40000, 5000).ToArray()));
        Assert.That(await s.ReadAsync(buffer, 0, 10, CancellationToken.None), Is.EqualTo(10));
        Assert.That(s.Position, Is.EqualTo(45010));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => await s.ReadAsync(buffer, cts.Token));
        Assert.That(s.Position, Is.EqualTo(45010));
    }

    [Test]
    public void StreamsHaveTheirOwnPositions()
    {
        using var handle = Open(M.Read);
        using var a = handle.OpenStream();
        using var b = handle.OpenStream();
        a.Position = 1000;
        Assert.That(b.Position, Is.EqualTo(0));
        Assert.That(b.ReadByte(), Is.EqualTo(_bytes[0]));
        Assert.That(a.ReadByte(), Is.EqualTo(_bytes[1000]));
    }

    [Test]
    public void DisposedStream()
    {
        using var handle = Open(M.Read);
        var s = handle.OpenStream();
        s.Dispose();
        s.Dispose();
        Assert.That(s.CanRead, Is.False);
        Assert.That(s.CanSeek, Is.False);
        Assert.That(s.CanWrite, Is.False);
        Assert.Throws<ObjectDisposedException>(() => s.ReadByte());
        Assert.Throws<ObjectDisposedException>(() => s.Read(new byte[1], 0, 1));
        Assert.Throws<ObjectDisposedException>(() => s.Seek(0, SeekOrigin.Begin));
        Assert.Throws<ObjectDisposedException>(() => _ = s.Length);
        Assert.Throws<ObjectDisposedException>(() => _ = s.Position);
        // The handle is unaffected.
        using var t = handle.OpenStream();
        Assert.That(t.ReadByte(), Is.EqualTo(_bytes[0]));
    }

    [Test]
    public void EightThreadsReadRandomRangesOfOneHandle()
    {
        using var handle = Open(M.Read);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var random = new Random(1000 + t);
            using var stream = handle.OpenStream(); // each thread: its own stream, plus positional reads on the shared handle
            var buffer = new byte[70000];
            for (int i = 0; i < 400; i++)
            {
                int offset = random.Next(_bytes.Length);
                int length = random.Next(1, buffer.Length);
                int expected = Math.Min(length, _bytes.Length - offset);
                var span = buffer.AsSpan(0, length);
                int n = (i & 1) == 0 ? handle.Read(offset, span) : ReadAt(stream, offset, span);
                if (n != expected || !span[..n].SequenceEqual(_bytes.AsSpan(offset, n)))
                {
                    failures.Add($"thread {t} read {i}: offset {offset} length {length} got {n}");
                    return;
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.That(failures, Is.Empty);

        static int ReadAt(Stream s, long offset, Span<byte> buffer)
        {
            s.Position = offset;
            int total = 0, n;
            while (total < buffer.Length && (n = s.Read(buffer[total..])) > 0) total += n;
            return total;
        }
    }

    // ---- the .NET layer ----

    [Test]
    public void ExceptionCarriesCodeReasonFileAndMessage()
    {
        string missing = Path.Combine(_folder, "missing.vhd");
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(missing));
        Assert.That(e!.ErrorCode, Is.EqualTo(2u));
        Assert.That(e.Error, Is.EqualTo(VirtualDiskError.FileNotFound));
        Assert.That(e.Reason, Is.EqualTo(R.FileNotFound));
        Assert.That(e.FilePath, Is.EqualTo(Path.GetFullPath(missing)));
        Assert.That(e.Message, Does.Contain(Path.GetFullPath(missing)));
        Assert.That(e.Message, Does.Contain(VirtualDiskErrors.MessageOf(R.FileNotFound)));
        Assert.That(e, Is.InstanceOf<IOException>());
        Assert.That(e.Diagnostic.ToString(), Does.Contain("ERROR_FILE_NOT_FOUND"));

        var corrupt = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(Files.Iso(_folder, "bad.iso", identifier: null)));
        Assert.That(corrupt!.ErrorCode, Is.EqualTo(1392u));
        Assert.That(corrupt.Reason, Is.EqualTo(R.IsoNoVolumeDescriptor));
        Assert.That(corrupt.Diagnostic.Offset, Is.EqualTo(32768));
    }

    [Test]
    public void TryOpenWithErrorCode()
    {
        Assert.That(VirtualDisk.TryOpen(_iso, null, out var handle, out VirtualDiskError error), Is.True);
        using (handle)
        {
            Assert.That(error, Is.EqualTo(VirtualDiskError.Success));
            Assert.That(handle!.VirtualSize, Is.EqualTo(_bytes.Length));
        }
        Assert.That(VirtualDisk.TryOpen(Path.Combine(_folder, "missing", "x.iso"), null, out var none, out error), Is.False);
        Assert.That(none, Is.Null);
        Assert.That(error, Is.EqualTo(VirtualDiskError.PathNotFound));
        Assert.That(VirtualDisk.TryOpen(null, null, out none, out error), Is.False);
        Assert.That(error, Is.EqualTo(VirtualDiskError.InvalidParameter));
    }

    [Test]
    public void TryOpenWithDiagnostic()
    {
        Assert.That(VirtualDisk.TryOpen(_iso, Files.Options(M.Read), out var handle, out VirtualDiskDiagnostic? failure), Is.True);
        using (handle)
        {
            Assert.That(failure, Is.Null);
            Assert.That(handle!.CanRead && handle.CanGetInfo, Is.True);
        }
        Assert.That(VirtualDisk.TryOpen(_iso, Files.Options(M.AttachRW), out var none, out failure), Is.False);
        Assert.That(none, Is.Null);
        Assert.That(failure!.ErrorCode, Is.EqualTo(87u));
        Assert.That(failure.Reason, Is.EqualTo(R.IsoAccessNotAllowed));
        Assert.That(failure.IsWarning, Is.False);
    }

    [Test]
    public void DefaultOptionsAreAttachRoAndGetInfo()
    {
        var options = new VirtualDiskOpenOptions();
        Assert.That(options.Access, Is.EqualTo(M.AttachRO | M.GetInfo));
        Assert.That(options.StorageType, Is.EqualTo(VirtualStorageType.Auto));
        Assert.That(options.Parameters, Is.Null);
        Assert.That(options.Flags, Is.EqualTo(OpenVirtualDiskFlags.None));
        using var handle = VirtualDisk.Open(_iso);
        Assert.That(handle.CanRead, Is.True);
        Assert.That(handle.CanGetInfo, Is.True);
    }
}
