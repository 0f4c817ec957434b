using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Write;

/// <summary>The write API (docs/write.md): which handles write, bounds, read-back against a model, never a parent.</summary>
public sealed class WriteApiTests
{
    private const long Size = 8 * WriteImages.MiB;
    private static IEnumerable<WriteKind> Kinds => Enum.GetValues<WriteKind>();

    [TestCaseSource(nameof(Kinds))]
    public void ReadOnlyHandlesNeverWrite(WriteKind kind)
    {
        string folder = TestPaths.NewTempFolder("ro");
        try
        {
            var (path, _) = WriteImages.Create(kind, folder, Size);
            var before = FileSnapshot.Of(path);
            foreach (var options in new[]
            {
                new VirtualDiskOpenOptions(),
                new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRO },
                new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) },
            })
            {
                using var disk = VirtualDisk.Open(path, options);
                Assert.That(disk.CanWrite, Is.False);
                var e = Assert.Throws<VirtualDiskException>(() => disk.Write(0, new byte[512]))!;
                Assert.That(e.Diagnostic.Reason, Is.EqualTo(VirtualDiskErrorReason.HandleNotWritable));
                Assert.That(e.Diagnostic.Code, Is.EqualTo(VirtualDiskError.AccessDenied));
                Assert.Throws<VirtualDiskException>(() => disk.Flush());
                using var stream = disk.OpenStream();
                Assert.That(stream.CanWrite, Is.False);
                Assert.Throws<NotSupportedException>(() => stream.Write(new byte[512]));
            }
            Assert.That(FileSnapshot.Of(path), Is.EqualTo(before));
        }
        finally { Directory.Delete(folder, true); }
    }

    [TestCaseSource(nameof(Kinds))]
    public void WritableOpenWithoutWritesChangesNothing(WriteKind kind)
    {
        string folder = TestPaths.NewTempFolder("rw0");
        try
        {
            var (path, _) = WriteImages.Create(kind, folder, Size);
            var before = FileSnapshot.Of(path);
            using (var disk = VirtualDisk.Open(path, WriteImages.ReadWrite))
            {
                Assert.That(disk.CanWrite, Is.True);
                using var stream = disk.OpenStream();
                Assert.That(stream.CanWrite, Is.True);
                var buffer = new byte[4096];
                disk.Read(0, buffer);
            }
            Assert.That(FileSnapshot.Of(path), Is.EqualTo(before));
        }
        finally { Directory.Delete(folder, true); }
    }

    [Test]
    public void WhichHandlesWrite()
    {
        string folder = TestPaths.NewTempFolder("which");
        try
        {
            var (path, _) = WriteImages.Create(WriteKind.VhdxDynamic, folder, Size);
            (VirtualDiskOpenOptions Options, bool CanWrite)[] cases =
            [
                (new() { Access = VirtualDiskAccessMask.AttachRW }, true),
                (new() { Access = VirtualDiskAccessMask.All }, true),
                (new() { Access = VirtualDiskAccessMask.AttachRW, Parameters = OpenVirtualDiskParameters.V1(2) }, true),
                (new() { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: false) }, true),
                (new() { Access = VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo }, false),
                (new() { Access = VirtualDiskAccessMask.MetaOps }, false),
            ];
            foreach (var (options, canWrite) in cases)
            {
                using var disk = VirtualDisk.Open(path, options);
                Assert.That(disk.CanWrite, Is.EqualTo(canWrite), options.ToString());
            }
        }
        finally { Directory.Delete(folder, true); }
    }

    [TestCaseSource(nameof(Kinds))]
    public void WritesBeyondTheEndFailPrecisely(WriteKind kind)
    {
        string folder = TestPaths.NewTempFolder("end");
        try
        {
            var (path, _) = WriteImages.Create(kind, folder, Size);
            using var disk = VirtualDisk.Open(path, WriteImages.ReadWrite);
            var e = Assert.Throws<VirtualDiskException>(() => disk.Write(Size - 512, new byte[1024]))!;
            Assert.That(e.Diagnostic.Reason, Is.EqualTo(VirtualDiskErrorReason.WriteBeyondEnd));
            Assert.That(e.Diagnostic.Code, Is.EqualTo(VirtualDiskError.InvalidParameter));
            Assert.That(e.Diagnostic.Offset, Is.EqualTo(Size - 512));
            Assert.Throws<VirtualDiskException>(() => disk.Write(Size + 1, ReadOnlySpan<byte>.Empty));
            Assert.Throws<ArgumentOutOfRangeException>(() => disk.Write(-1, new byte[1]));
            disk.Write(Size - 512, new byte[512]); // the last sector is fine
            disk.Write(Size, ReadOnlySpan<byte>.Empty);
        }
        finally { Directory.Delete(folder, true); }
    }

    /// <summary>Unaligned writes of every size against a byte model; the content survives a reopen; a parent is never written.</summary>
    [TestCaseSource(nameof(Kinds))]
    public void WritesReadBackAsAModel(WriteKind kind)
    {
        string folder = TestPaths.NewTempFolder("model");
        try
        {
            var (path, model) = WriteImages.Create(kind, folder, Size);
            string? parent = Directory.GetFiles(folder).FirstOrDefault(f => Path.GetFileName(f).StartsWith("parent", StringComparison.Ordinal));
            var parentBefore = parent is null ? null : FileSnapshot.Of(parent);
            var random = new Random(7 + (int)kind);
            using (var disk = VirtualDisk.Open(path, WriteImages.ReadWrite))
            {
                var readBack = new byte[3 << 20];
                for (int i = 0; i < 120; i++)
                {
                    int length = random.Next(4) switch { 0 => random.Next(1, 600), 1 => random.Next(1, 10000), 2 => random.Next(1, 300000), _ => random.Next(1, 3 << 20) };
                    long offset = random.NextInt64(Size - length + 1);
                    var data = new byte[length];
                    random.NextBytes(data);
                    disk.Write(offset, data);
                    data.CopyTo(model, offset);
                    if (i % 10 == 0) disk.Flush();
                    int n = Math.Min(readBack.Length, length + 1024);
                    long at = Math.Max(0, Math.Min(offset - 512, Size - n));
                    disk.Read(at, readBack.AsSpan(0, n));
                    Assert.That(readBack.AsSpan(0, n).SequenceEqual(model.AsSpan((int)at, n)), Is.True, $"read-back after write {i} ({length} at {offset})");
                }
                // Through a stream too.
                using var stream = disk.OpenStream();
                stream.Position = 12345;
                stream.Write([1, 2, 3, 4, 5]);
                new byte[] { 1, 2, 3, 4, 5 }.CopyTo(model, 12345);
                stream.Flush();
            }
            using (var reopened = VirtualDisk.Open(path))
            {
                Assert.That(reopened.Warnings.Select(w => w.Reason), Is.Empty.Or.All.Not.EqualTo(VirtualDiskErrorReason.VhdxLogReplayed), "a clean close leaves nothing to replay");
                var all = new byte[Size];
                reopened.Read(0, all);
                Assert.That(all.AsSpan().SequenceEqual(model), Is.True, "content after reopen");
                Assert.That(reopened.Verify(), Is.Empty);
                if (WriteImages.IsVhdx(kind)) Assert.That(reopened.Info.Top.LogGuid, Is.EqualTo(Guid.Empty));
            }
            if (parent is not null) Assert.That(FileSnapshot.Of(parent), Is.EqualTo(parentBefore), "the parent is never written");
            if (kind is WriteKind.VhdDynamic or WriteKind.VhdDifferencing)
            {
                // VHD spec: the copy at offset 0 stays identical to the trailing footer.
                byte[] file = File.ReadAllBytes(path);
                Assert.That(file.AsSpan(0, 512).SequenceEqual(file.AsSpan(file.Length - 512)), Is.True, "footer copy at 0 = trailing footer");
            }
        }
        finally { Directory.Delete(folder, true); }
    }

    /// <summary>RWDepth 2 (version 1) locks the parent for writing as Windows documents, but writes still go to the child only.</summary>
    [TestCase(WriteKind.VhdDifferencing)]
    [TestCase(WriteKind.VhdxDifferencing)]
    public void RWDepthTwoStillWritesOnlyTheChild(WriteKind kind)
    {
        string folder = TestPaths.NewTempFolder("rwdepth");
        try
        {
            var (path, _) = WriteImages.Create(kind, folder, Size);
            string parent = Directory.GetFiles(folder).Single(f => Path.GetFileName(f).StartsWith("parent", StringComparison.Ordinal));
            var before = FileSnapshot.Of(parent);
            using (var disk = VirtualDisk.Open(path, new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW, Parameters = OpenVirtualDiskParameters.V1(2) }))
            {
                disk.Write(100, new byte[70000]);
                disk.Write(3 * WriteImages.MiB - 10, new byte[20]);
                disk.Flush();
            }
            Assert.That(FileSnapshot.Of(parent), Is.EqualTo(before));
        }
        finally { Directory.Delete(folder, true); }
    }

    /// <summary>A failing backing write surfaces as WriteFailed; the handle then refuses writes (WriteHandleFaulted) and the image still opens.</summary>
    [TestCase(WriteKind.VhdDynamic)]
    [TestCase(WriteKind.VhdxDynamic)]
    public void AFailedWriteFaultsTheHandle(WriteKind kind)
    {
        string folder = TestPaths.NewTempFolder("fault");
        try
        {
            var (path, _) = WriteImages.Create(kind, folder, Size);
            using (var disk = VirtualDisk.Open(path, WriteImages.ReadWrite))
            {
                FailingStore? store = null;
                disk.Writer!.WrapStore(inner => store = new FailingStore(inner));
                disk.Write(0, new byte[4096]);
                store!.Fail = true;
                var e = Assert.Throws<VirtualDiskException>(() => disk.Write(3 * WriteImages.MiB, new byte[4096]))!;
                Assert.That(e.Diagnostic.Reason, Is.EqualTo(VirtualDiskErrorReason.WriteFailed));
                store.Fail = false;
                e = Assert.Throws<VirtualDiskException>(() => disk.Write(0, new byte[512]))!;
                Assert.That(e.Diagnostic.Reason, Is.EqualTo(VirtualDiskErrorReason.WriteHandleFaulted));
            }
            using var reopened = VirtualDisk.Open(path);
            Assert.That(reopened.Verify(), Is.Empty);
        }
        finally { Directory.Delete(folder, true); }
    }

    private sealed class FailingStore(VirtualDiskManaged.Host.IBackingStore inner) : VirtualDiskManaged.Host.IBackingStore
    {
        public volatile bool Fail;
        public string Path => inner.Path;
        public long Length => inner.Length;
        public int ReadAt(long offset, Span<byte> buffer) => inner.ReadAt(offset, buffer);
        public void WriteAt(long offset, ReadOnlySpan<byte> data)
        {
            if (Fail) throw new VirtualDiskException(new(VirtualDiskErrorReason.WriteFailed, inner.Path, "injected EIO", offset));
            inner.WriteAt(offset, data);
        }
        public void SetLength(long length)
        {
            if (Fail) throw new VirtualDiskException(new(VirtualDiskErrorReason.WriteFailed, inner.Path, "injected EIO", length));
            inner.SetLength(length);
        }
        public void Flush()
        {
            if (Fail) throw new VirtualDiskException(new(VirtualDiskErrorReason.FlushFailed, inner.Path, "injected EIO"));
            inner.Flush();
        }
    }

    /// <summary>4 KiB logical sectors (VHDX): partial-sector writes merge whole 4 KiB sectors, from the parent where the bit is clear.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void VhdxWith4KSectorsReadsBackAsAModel(bool differencing)
    {
        string folder = TestPaths.NewTempFolder("4k");
        try
        {
            var model = new byte[Size];
            string path = Path.Combine(folder, "disk.vhdx");
            if (differencing)
            {
                var parent = new Vhdx.VhdxWriter(Size, 2 << 20, logicalSectorSize: 4096);
                var bytes = new byte[3 << 20];
                new Random(1).NextBytes(bytes);
                parent.Write(1 << 20, bytes);
                bytes.CopyTo(model, 1 << 20);
                parent.Save(Path.Combine(folder, "parent.vhdx"));
                new Vhdx.VhdxWriter(Size, 2 << 20, logicalSectorSize: 4096) { Parent = new Vhdx.VhdxParentSpec(parent.DataWriteGuid, "parent.vhdx") }.Save(path);
            }
            else new Vhdx.VhdxWriter(Size, 2 << 20, logicalSectorSize: 4096).Save(path);
            var random = new Random(3);
            using (var disk = VirtualDisk.Open(path, WriteImages.ReadWrite))
            {
                Assert.That(disk.LogicalSectorSize, Is.EqualTo(4096));
                for (int i = 0; i < 60; i++)
                {
                    int length = random.Next(2) == 0 ? random.Next(1, 9000) : random.Next(1, 3 << 20);
                    long offset = random.NextInt64(Size - length + 1);
                    var data = new byte[length];
                    random.NextBytes(data);
                    disk.Write(offset, data);
                    data.CopyTo(model, offset);
                }
            }
            using var reopened = VirtualDisk.Open(path);
            var all = new byte[Size];
            reopened.Read(0, all);
            Assert.That(all.AsSpan().SequenceEqual(model), Is.True);
            Assert.That(reopened.Verify(), Is.Empty);
        }
        finally { Directory.Delete(folder, true); }
    }

    [Test]
    public void VhdxFirstWriteChangesFileAndDataWriteGuids()
    {
        string folder = TestPaths.NewTempFolder("guids");
        try
        {
            var (path, _) = WriteImages.Create(WriteKind.VhdxDynamic, folder, Size);
            VirtualDiskFileInfo before;
            using (var disk = VirtualDisk.Open(path)) before = disk.Info.Top;
            using (var disk = VirtualDisk.Open(path, WriteImages.ReadWrite)) disk.Write(0, new byte[4096]);
            using (var disk = VirtualDisk.Open(path))
            {
                var after = disk.Info.Top;
                Assert.That(after.FileWriteGuid, Is.Not.EqualTo(before.FileWriteGuid));
                Assert.That(after.Identifier, Is.Not.EqualTo(before.Identifier), "DataWriteGuid (IDENTIFIER)");
                Assert.That(after.LogGuid, Is.EqualTo(Guid.Empty));
                Assert.That(disk.Warnings, Is.Empty);
            }
        }
        finally { Directory.Delete(folder, true); }
    }
}
