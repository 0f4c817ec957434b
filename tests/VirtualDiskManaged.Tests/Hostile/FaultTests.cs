using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.OpenPath;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// Issue 7 part 6: a backing file truncated while a handle is open, and I/O errors from the backing file, surface as
/// the library's error with a code — never as wrong data, another exception type, or a crash.
/// </summary>
[TestFixture, Category("Hostile")]
public sealed class FaultTests
{
    private static string Disk(string kind, string folder) => kind switch
    {
        "iso" => HostileFiles.Write(CraftedIso.Build(1200), "disk.iso", folder),
        "fixed-vhd" => HostileFiles.Write(new CraftedVhd { DiskType = 2, VirtualSize = 2 * 1024 * 1024 }.Build(), "fixed.vhd", folder),
        "dynamic-vhd" => HostileFiles.Write(new CraftedVhd { VirtualSize = 4 * 1024 * 1024, BlockSize = 512 * 1024, AllocatedBlocks = [0, 2, 7] }.Build(), "dyn.vhd", folder),
        "dynamic-vhdx" => HostileFiles.Write(new CraftedVhdx { VirtualSize = 8 * 1024 * 1024, AllocatedBlocks = [0, 3, 6] }.Build(), "dyn.vhdx", folder),
        _ => throw new ArgumentException(kind),
    };

    /// <summary>Shrinks a file that another handle has open (the OS allows it: the library shares reading and deleting).</summary>
    private static void Shrink(string path, long length)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        fs.SetLength(length);
    }

    [TestCase("iso", 0.5)]
    [TestCase("iso", 0.0)]
    [TestCase("fixed-vhd", 0.5)]
    [TestCase("fixed-vhd", 0.0)]
    [TestCase("dynamic-vhd", 0.5)]
    [TestCase("dynamic-vhd", 0.0)]
    [TestCase("dynamic-vhdx", 0.6)]
    [TestCase("dynamic-vhdx", 0.0)]
    public void FileShrunkUnderAnOpenHandleFailsWithACodeNeverWrongData(string kind, double keep)
    {
        string path = Disk(kind, TestPaths.NewTempFolder("shrink"));
        using var handle = VirtualDisk.Open(path);
        byte[] reference = new byte[handle.VirtualSize];
        Assert.That(handle.Read(0, reference), Is.EqualTo(reference.Length));
        Shrink(path, (long)(new FileInfo(path).Length * keep) / 4096 * 4096);

        int failures = 0, successes = 0;
        var buffer = new byte[64 * 1024];
        for (long at = 0; at < reference.Length; at += buffer.Length)
        {
            int len = (int)Math.Min(buffer.Length, reference.Length - at);
            buffer.AsSpan().Fill(0xEE);
            try
            {
                int n = handle.Read(at, buffer.AsSpan(0, len));
                Assert.That(n, Is.EqualTo(len), $"short read at {at}");
                Assert.That(buffer.AsSpan(0, len).SequenceEqual(reference.AsSpan((int)at, len)), Is.True, $"wrong data at {at} after the file shrank");
                successes++;
            }
            catch (VirtualDiskException e)
            {
                Assert.That(Fuzzing.Oracle.IsContractCode(e.ErrorCode), Is.True, e.Message);
                Assert.That(e.Reason, Is.EqualTo(VirtualDiskErrorReason.BackingFileShrank).Or.EqualTo(VirtualDiskErrorReason.HostIoError), e.Message);
                failures++;
            }
        }
        Assert.That(failures, Is.GreaterThan(0), "reads of data that is no longer in the file must fail");
        TestContext.Out.WriteLine($"{successes} range(s) still read correctly, {failures} failed with a code");
        // Streams report the same error (as an IOException subtype carrying the code).
        using var stream = handle.OpenStream();
        var ex = Assert.Throws<VirtualDiskException>(() => stream.CopyTo(Stream.Null));
        Assert.That(ex!.Reason, Is.EqualTo(VirtualDiskErrorReason.BackingFileShrank).Or.EqualTo(VirtualDiskErrorReason.HostIoError));
    }

    [TestCase("iso")]
    [TestCase("fixed-vhd")]
    [TestCase("dynamic-vhd")]
    [TestCase("dynamic-vhdx")]
    public void FileShrunkBeforeOpenIsACorruptionCodeNotACrash(string kind)
    {
        string path = Disk(kind, TestPaths.NewTempFolder("short"));
        long length = new FileInfo(path).Length;
        foreach (long keep in new[] { length - 1, length - 512, length / 2, 4096, 1, 0 })
        {
            Shrink(path, keep);
            var outcome = HostileFiles.OpenAndRead(path);
            if (outcome.Failure is not null)
                Assert.That(Fuzzing.Oracle.IsContractCode(outcome.Code), Is.True, outcome.ToString);
        }
    }

    // ---------------- I/O errors ----------------

    /// <summary>
    /// A real kernel I/O error through the real <see cref="HostFile"/>: /proc/self/mem is a regular file whose read at
    /// an unmapped address fails with EIO. The error must come out as <see cref="VirtualDiskException"/> (HostIoError).
    /// </summary>
    [Test]
    public void KernelIoErrorFromTheBackingFileIsTheLibrarysError()
    {
        if (!File.Exists("/proc/self/mem")) Assert.Ignore("/proc/self/mem is Linux-only");
        var failure = HostFile.TryOpen("/proc/self/mem", exclusive: false, out var file);
        Assert.That(failure, Is.Null, failure?.ToString());
        using (file)
        {
            var buffer = new byte[4096];
            var ex = Assert.Throws<VirtualDiskException>(() => file!.ReadAt(0, buffer));
            Assert.That(ex!.Reason, Is.EqualTo(VirtualDiskErrorReason.HostIoError));
            Assert.That(Fuzzing.Oracle.IsContractCode(ex.ErrorCode), Is.True);
        }
    }

    /// <summary>A view that fails like a dying disk: EIO-style errors at and beyond one offset, or short reads there.</summary>
    private sealed class FaultingView(HostFile file, long faultAt, bool shortRead) : FileView
    {
        public override string Path => file.Path;
        public override long Length => file.Length;
        public int Calls;

        public override int ReadAt(long offset, Span<byte> buffer)
        {
            Interlocked.Increment(ref Calls);
            if (offset + buffer.Length <= faultAt) return file.ReadAt(offset, buffer);
            if (shortRead) return offset >= faultAt ? 0 : file.ReadAt(offset, buffer[..(int)(faultAt - offset)]);
            ThrowHelper.Throw(VirtualDiskErrorReason.HostIoError, Path, "Injected EIO", offset);
            return 0;
        }
    }

    /// <summary>A layer mapping the file 1:1 through a faulting source, with an optional parent region.</summary>
    private sealed class FaultingLayer(HostFile file, FileView source, long size, long parentFrom) : DiskLayer(file, source)
    {
        public override long VirtualSize => size;
        public override uint DeviceId => VirtualStorageDeviceId.Vhd;
        public override VirtualDiskProviderSubtype Subtype => VirtualDiskProviderSubtype.Fixed;
        public override VirtualDiskFileInfo Describe() => new() { Path = File.Path, Format = VirtualDiskFormat.Vhd, VirtualSize = size, FileSize = File.Length };

        protected override Run MapRun(long virtualOffset, long maxLength) => virtualOffset >= parentFrom
            ? Run.FromParent(maxLength)
            : Run.Data(Math.Min(maxLength, parentFrom - virtualOffset), virtualOffset);
    }

    private static VirtualDiskHandle HandleOver(DiskLayer top) =>
        new(top, new OpenRequest { StorageType = VirtualStorageType.Vhd, Path = top.File.Path, Access = VirtualDiskAccessMask.AttachRO }, [], null);

    private static HostFile RealFile(out byte[] content)
    {
        content = new byte[256 * 1024];
        new Random(7).NextBytes(content);
        string path = HostileFiles.Write(content, "backing.bin");
        Assert.That(HostFile.TryOpen(path, exclusive: false, out var file), Is.Null);
        return file!;
    }

    [TestCase(false, TestName = "Injected EIO in a data run")]
    [TestCase(true, TestName = "Injected short read in a data run")]
    public void IoFaultInADataRunIsTheLibrarysError(bool shortRead)
    {
        var file = RealFile(out byte[] content);
        long faultAt = 100_000;
        var view = new FaultingView(file, faultAt, shortRead);
        using var handle = HandleOver(new FaultingLayer(file, view, content.Length, long.MaxValue));
        var buffer = new byte[content.Length];
        // Below the fault: the right bytes.
        Assert.That(handle.Read(0, buffer.AsSpan(0, (int)faultAt)), Is.EqualTo((int)faultAt));
        Assert.That(buffer.AsSpan(0, (int)faultAt).SequenceEqual(content.AsSpan(0, (int)faultAt)), Is.True);
        // Across it: the library's error with a code, through both the handle and a stream.
        var ex = Assert.Throws<VirtualDiskException>(() => handle.Read(0, buffer));
        Assert.That(ex!.Reason, Is.EqualTo(shortRead ? VirtualDiskErrorReason.BackingFileShrank : VirtualDiskErrorReason.HostIoError));
        Assert.That(Fuzzing.Oracle.IsContractCode(ex.ErrorCode), Is.True);
        using var stream = handle.OpenStream();
        Assert.Throws<VirtualDiskException>(() => stream.CopyTo(Stream.Null));
        Assert.That(view.Calls, Is.GreaterThan(0));
    }

    [Test]
    public void IoFaultInAParentIsTheLibrarysError()
    {
        var childFile = RealFile(out byte[] content);
        var parentFile = RealFile(out _);
        var child = new FaultingLayer(childFile, childFile, content.Length, parentFrom: 128 * 1024);
        child.Parent = new FaultingLayer(parentFile, new FaultingView(parentFile, 0, shortRead: false), content.Length, long.MaxValue);
        using var handle = HandleOver(child);
        var buffer = new byte[64 * 1024];
        Assert.That(handle.Read(0, buffer), Is.EqualTo(buffer.Length), "the child's own bytes still read");
        var ex = Assert.Throws<VirtualDiskException>(() => handle.Read(120 * 1024, buffer));
        Assert.That(ex!.Reason, Is.EqualTo(VirtualDiskErrorReason.HostIoError));
    }

    [Test]
    public void ParentRunsOfAHandleOpenedWithoutParentsFailWithACode()
    {
        var file = RealFile(out byte[] content);
        var layer = new FaultingLayer(file, file, content.Length, parentFrom: 4096) { ParentsOmitted = true };
        using var handle = HandleOver(layer);
        var ex = Assert.Throws<VirtualDiskException>(() => handle.Read(0, new byte[8192]));
        Assert.That(ex!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentNotOpened));
        Assert.That(Fuzzing.Oracle.IsContractCode(ex.ErrorCode), Is.True);
    }
}
