using VirtualDiskManaged.Tests.Support;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Tests.Vhd;

/// <summary>Differencing chains (docs/open-path.md §10) made with <see cref="VhdWriter"/>: locators, moves, flags, identity, cycles.</summary>
public sealed class VhdChainTests
{
    private const long MiB = 1 << 20;
    private const long Size = 6 * MiB; // three 2 MiB blocks

    /// <summary>base (dynamic) ← mid (diff) ← top (diff), with content overlapping across block and sector boundaries.</summary>
    private sealed class Chain
    {
        public required VhdWriter Base, Mid, Top;
        public byte[] Expected => Top.ExpectedContent(Mid.ExpectedContent(Base.ExpectedContent()));
    }

    private static Chain MakeChain()
    {
        var b = VhdWriter.NewDynamic(Size).Fill(0, (int)(3 * MiB), 0x11).Fill(5 * MiB, 512, 0x12);
        var m = VhdWriter.NewDifferencing(b).Fill(512, 1024, 0x21).Fill(2 * MiB - 512, 1024, 0x22).Fill(4 * MiB, 4096, 0x23);
        var t = VhdWriter.NewDifferencing(m).Fill(1024, 512, 0x31).Fill(2 * MiB, 512, 0x32).Fill(6 * MiB - 512, 512, 0x33);
        return new Chain { Base = b, Mid = m, Top = t };
    }

    private static byte[] ReadAll(VirtualDiskHandle h) => VhdCorruptionTests.ReadAll(h);

    private static void AssertChainReads(string topPath, Chain chain, VirtualDiskOpenOptions? options = null)
    {
        using var handle = VirtualDisk.Open(topPath, options);
        Assert.That(handle.Subtype, Is.EqualTo(VirtualDiskProviderSubtype.Differencing));
        Assert.That(ReadAll(handle), Is.EqualTo(chain.Expected));
    }

    [Test]
    public void ThreeLevelChainWithRelativeWindowsLocatorsReadsAfterAMove()
    {
        var chain = MakeChain();
        string folder = TestPaths.NewTempFolder("chain");
        chain.Mid.Locator(VhdWriter.W2ru, @".\base.vhd").Locator(VhdWriter.W2ku, @"C:\Users\x\base.vhd");
        chain.Top.Locator(VhdWriter.W2ru, @".\mid.vhd").Locator(VhdWriter.W2ku, @"C:\Users\x\mid.vhd");
        chain.Base.Save(Path.Combine(folder, "base.vhd"));
        chain.Mid.Save(Path.Combine(folder, "mid.vhd"));
        chain.Top.Save(Path.Combine(folder, "top.vhd"));
        AssertChainReads(Path.Combine(folder, "top.vhd"), chain);

        string moved = folder + "-moved";
        Directory.Move(folder, moved);
        AssertChainReads(Path.Combine(moved, "top.vhd"), chain);
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, Path.Combine(moved, "top.vhd"), VirtualDiskAccessMask.AttachRO,
            OpenVirtualDiskFlags.None, null, out var h), Is.EqualTo(0u));
        h!.Dispose();
    }

    [Test]
    public void ParentInASiblingFolderByDotDotPath()
    {
        var chain = MakeChain();
        string root = TestPaths.NewTempFolder("chain");
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        Directory.CreateDirectory(Path.Combine(root, "top"));
        chain.Mid.Locator(VhdWriter.W2ru, @".\p.vhd");
        chain.Top.Locator(VhdWriter.W2ru, @"..\sub\p2.vhd");
        chain.Base.Save(Path.Combine(root, "sub", "p.vhd"));
        chain.Mid.Save(Path.Combine(root, "sub", "p2.vhd"));
        chain.Top.Save(Path.Combine(root, "top", "c.vhd"));
        AssertChainReads(Path.Combine(root, "top", "c.vhd"), chain);
    }

    [Test]
    public void AbsolutePosixLocatorAndParentNameFallback()
    {
        var chain = MakeChain();
        string folder = TestPaths.NewTempFolder("chain");
        string elsewhere = TestPaths.NewTempFolder("base");
        // mid → base by an absolute path in W2ku (POSIX, as Linux tools write it); top → mid by the parent name only,
        // stored as a whole Windows path of which only the file name is tried beside the child.
        chain.Mid.Locator(VhdWriter.W2ru, @".\missing.vhd").Locator(VhdWriter.W2ku, Path.Combine(elsewhere, "b.vhd"));
        chain.Top.Locator(VhdWriter.W2ku, @"C:\VMs\mid.vhd");
        chain.Top.ParentName = @"C:\VMs\mid.vhd";
        chain.Base.Save(Path.Combine(elsewhere, "b.vhd"));
        chain.Mid.Save(Path.Combine(folder, "mid.vhd"));
        chain.Top.Save(Path.Combine(folder, "top.vhd"));
        AssertChainReads(Path.Combine(folder, "top.vhd"), chain);
    }

    [Test]
    public void IgnoreRelativeLocatorSkipsW2ru()
    {
        var b = VhdWriter.NewDynamic(Size).Fill(0, 512, 1);
        var c = VhdWriter.NewDifferencing(b).Locator(VhdWriter.W2ru, @".\base.vhd");
        string folder = TestPaths.NewTempFolder("chain");
        b.Save(Path.Combine(folder, "base.vhd"));
        c.Save(Path.Combine(folder, "child.vhd"));
        string child = Path.Combine(folder, "child.vhd");
        using (var ok = VirtualDisk.Open(child)) Assert.That(ok.VirtualSize, Is.EqualTo(Size));
        var options = new VirtualDiskOpenOptions { Flags = OpenVirtualDiskFlags.IgnoreRelativeParentLocator, Rules = OpenRuleSet.Current };
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(child, options))!;
        Assert.That(e.ErrorCode, Is.EqualTo(0xC03A000Du));
        Assert.That(e.Reason, Is.EqualTo(R.ParentNotFound));
    }

    [Test]
    public void MissingParentListsEveryPathTried()
    {
        var b = VhdWriter.NewDynamic(Size);
        var c = VhdWriter.NewDifferencing(b).Locator(VhdWriter.W2ru, @".\gone.vhd").Locator(VhdWriter.W2ku, "/nonexistent/dir/gone2.vhd");
        c.ParentName = "gone3.vhd";
        string folder = TestPaths.NewTempFolder("chain");
        string child = Path.Combine(folder, "child.vhd");
        c.Save(child);
        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, child, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _);
        Assert.That(code, Is.EqualTo(0xC03A000Du));
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(child))!;
        Assert.That(e.Reason, Is.EqualTo(R.ParentNotFound));
        Assert.That(e.Message, Does.Contain(Path.Combine(folder, "gone.vhd")));
        Assert.That(e.Message, Does.Contain("/nonexistent/dir/gone2.vhd"));
        Assert.That(e.Message, Does.Contain(Path.Combine(folder, "gone3.vhd")));
    }

    [TestCase(OpenVirtualDiskFlags.NoParents, OpenRuleSet.Documented)]
    [TestCase(OpenVirtualDiskFlags.CustomDiffChain, OpenRuleSet.Current)]
    public void OpenWithoutParentsReadsOwnSectorsAndFailsOnOthers(OpenVirtualDiskFlags flag, OpenRuleSet rules)
    {
        var chain = MakeChain();
        string folder = TestPaths.NewTempFolder("chain");
        string top = Path.Combine(folder, "top.vhd");
        chain.Top.Save(top); // no parents on disk at all
        using var handle = VirtualDisk.Open(top, new VirtualDiskOpenOptions { Flags = flag, Rules = rules });
        Assert.That(handle.ParentsOmitted, Is.True);
        using var stream = handle.OpenStream();
        var sector = new byte[512];
        stream.Position = 1024;
        stream.ReadExactly(sector);
        Assert.That(sector, Is.All.EqualTo(0x31));
        stream.Position = 0;
        var e = Assert.Throws<VirtualDiskException>(() => stream.ReadExactly(sector))!;
        Assert.That(e.Reason, Is.EqualTo(R.ParentNotOpened));
    }

    [Test]
    public void ParentWithAnotherUniqueIdIsIdMismatch()
    {
        var b = VhdWriter.NewDynamic(Size);
        var c = VhdWriter.NewDifferencing(b).Locator(VhdWriter.W2ru, @".\base.vhd");
        b.UniqueId = Guid.NewGuid(); // the parent changed identity after the child was made
        string folder = TestPaths.NewTempFolder("chain");
        b.Save(Path.Combine(folder, "base.vhd"));
        string child = Path.Combine(folder, "child.vhd");
        c.Save(child);
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, child, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _), Is.EqualTo(0xC03A000Eu));
        Assert.That(Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(child))!.Reason, Is.EqualTo(R.ParentIdMismatch));
    }

    [Test]
    public void ParentOfAnotherSizeIsSizeMismatch()
    {
        var b = VhdWriter.NewDynamic(2 * Size);
        var c = VhdWriter.NewDifferencing(VhdWriter.NewDynamic(Size)).Locator(VhdWriter.W2ru, @".\base.vhd");
        c.ParentUniqueId = b.UniqueId;
        c.ParentTimeStamp = b.TimeStamp;
        string folder = TestPaths.NewTempFolder("chain");
        b.Save(Path.Combine(folder, "base.vhd"));
        string child = Path.Combine(folder, "child.vhd");
        c.Save(child);
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, child, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _), Is.EqualTo(0xC03A0017u));
        Assert.That(Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(child))!.Reason, Is.EqualTo(R.ParentSizeMismatch));
    }

    [Test]
    public void TimestampRules()
    {
        var b = VhdWriter.NewDynamic(Size);
        string folder = TestPaths.NewTempFolder("chain");
        string parent = Path.Combine(folder, "base.vhd");
        b.Save(parent);

        string Child(string name, uint stamp)
        {
            var c = VhdWriter.NewDifferencing(b).Locator(VhdWriter.W2ru, @".\base.vhd");
            c.ParentTimeStamp = stamp;
            string p = Path.Combine(folder, name);
            c.Save(p);
            return p;
        }

        // The parent footer's time stamp, the parent file's last-write time, and 0 are all accepted silently.
        using (var h = VirtualDisk.Open(Child("footer.vhd", b.TimeStamp))) Assert.That(h.Warnings, Is.Empty);
        using (var h = VirtualDisk.Open(Child("zero.vhd", 0))) Assert.That(h.Warnings, Is.Empty);
        var written = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(parent, written);
        uint mtime = (uint)(written - new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds;
        using (var h = VirtualDisk.Open(Child("mtime.vhd", mtime))) Assert.That(h.Warnings, Is.Empty);

        // Anything else is a warning, and 0xC03A000F in strict mode.
        string other = Child("other.vhd", 12345);
        using (var h = VirtualDisk.Open(other)) Assert.That(h.Warnings.Select(w => w.Reason), Is.EqualTo(new[] { R.ParentTimestampMismatch }));
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(other, new VirtualDiskOpenOptions { Strict = true }))!;
        Assert.That(e.ErrorCode, Is.EqualTo(0xC03A000Fu));
    }

    [Test]
    public void ChildNamingItselfIsACycle()
    {
        var self = VhdWriter.NewDynamic(Size);
        var c = VhdWriter.NewDifferencing(self).Locator(VhdWriter.W2ru, @".\loop.vhd");
        c.ParentUniqueId = c.UniqueId;
        string child = Path.Combine(TestPaths.NewTempFolder("chain"), "loop.vhd");
        c.Save(child);
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, child, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _), Is.EqualTo(0xC03A0018u));
        Assert.That(Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(child))!.Reason, Is.EqualTo(R.ChainCycle));
    }

    [Test]
    public void TwoFilesNamingEachOtherIsACycle()
    {
        var a = VhdWriter.NewDynamic(Size);
        var bw = VhdWriter.NewDifferencing(a).Locator(VhdWriter.W2ru, @".\a.vhd");
        var aw = VhdWriter.NewDifferencing(bw).Locator(VhdWriter.W2ru, @".\b.vhd");
        bw.ParentUniqueId = aw.UniqueId;
        string folder = TestPaths.NewTempFolder("chain");
        aw.Save(Path.Combine(folder, "a.vhd"));
        bw.Save(Path.Combine(folder, "b.vhd"));
        string child = Path.Combine(folder, "a.vhd");
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, child, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _), Is.EqualTo(0xC03A0018u));
    }

    [Test]
    public void CorruptGrandparentIsErrorInParentNamingTheFile()
    {
        var chain = MakeChain();
        string folder = TestPaths.NewTempFolder("chain");
        chain.Mid.Locator(VhdWriter.W2ru, @".\base.vhd");
        chain.Top.Locator(VhdWriter.W2ru, @".\mid.vhd");
        var baseImage = chain.Base.Build();
        baseImage.Header[900] ^= 1;
        string basePath = baseImage.SaveTo(Path.Combine(folder, "base.vhd"));
        chain.Mid.Save(Path.Combine(folder, "mid.vhd"));
        chain.Top.Save(Path.Combine(folder, "top.vhd"));
        string top = Path.Combine(folder, "top.vhd");
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, top, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _), Is.EqualTo(0xC03A0019u));
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(top))!;
        Assert.That(e.Reason, Is.EqualTo(R.ErrorInParent));
        Assert.That(e.FilePath, Is.EqualTo(basePath), "the file of the chain that failed");
        Assert.That(e.Diagnostic.Root.Reason, Is.EqualTo(R.VhdDynamicHeaderChecksumMismatch));
    }

    [Test]
    public void ParentThatIsNotAVhdIsNotAccepted()
    {
        var b = VhdWriter.NewDynamic(Size);
        var c = VhdWriter.NewDifferencing(b).Locator(VhdWriter.W2ru, @".\base.vhd");
        string folder = TestPaths.NewTempFolder("chain");
        File.WriteAllBytes(Path.Combine(folder, "base.vhd"), new byte[Size]);
        string child = Path.Combine(folder, "child.vhd");
        c.Save(child);
        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, child, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _);
        Assert.That(code, Is.Not.EqualTo(0u));
    }

    [Test]
    public void InformationOfADifferencingDisk()
    {
        var chain = MakeChain();
        string folder = TestPaths.NewTempFolder("chain");
        chain.Mid.Locator(VhdWriter.W2ru, @".\base.vhd");
        chain.Top.Locator(VhdWriter.W2ru, @".\mid.vhd").Locator(VhdWriter.W2ku, @"C:\x\mid.vhd");
        chain.Top.ParentName = "mid.vhd";
        chain.Top.ParentTimeStamp = 0;
        chain.Base.Save(Path.Combine(folder, "base.vhd"));
        chain.Mid.Save(Path.Combine(folder, "mid.vhd"));
        chain.Top.Save(Path.Combine(folder, "top.vhd"));
        using var handle = VirtualDisk.Open(Path.Combine(folder, "top.vhd"));
        var info = handle.Info.Top;
        Assert.That(info.Format, Is.EqualTo(VirtualDiskFormat.Vhd));
        Assert.That(info.Subtype, Is.EqualTo(VirtualDiskProviderSubtype.Differencing));
        Assert.That(info.Identifier, Is.EqualTo(chain.Top.UniqueId));
        Assert.That(info.ParentIdentifier, Is.EqualTo(chain.Mid.UniqueId));
        Assert.That(info.ParentName, Is.EqualTo("mid.vhd"));
        Assert.That(info.ParentLocators, Is.EqualTo(new[] { @"W2ru: .\mid.vhd", @"W2ku: C:\x\mid.vhd", "ParentName: mid.vhd" }));
        Assert.That(info.BlockSize, Is.EqualTo(2u << 20));
        Assert.That(info.BlockCount, Is.EqualTo(3));
        Assert.That(info.AllocatedBlockCount, Is.EqualTo(3));
        Assert.That(info.Creator, Is.EqualTo("vtst"));
        Assert.That(info.Geometry, Is.EqualTo(new DiskGeometry(65535, 16, 255)));

        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, GetVirtualDiskInfoVersion.ParentIdentifier, out var parentId), Is.EqualTo(0u));
        Assert.That(parentId.Identifier, Is.EqualTo(chain.Mid.UniqueId));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, GetVirtualDiskInfoVersion.Identifier, out var id), Is.EqualTo(0u));
        Assert.That(id.Identifier, Is.EqualTo(chain.Top.UniqueId));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, GetVirtualDiskInfoVersion.Size, out var size), Is.EqualTo(0u));
        Assert.That(size.VirtualSize, Is.EqualTo((ulong)Size));
        Assert.That(size.BlockSize, Is.EqualTo(2u << 20));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, GetVirtualDiskInfoVersion.ProviderSubtype, out var sub), Is.EqualTo(0u));
        Assert.That(sub.ProviderSubtype, Is.EqualTo(VirtualDiskProviderSubtype.Differencing));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, GetVirtualDiskInfoVersion.ParentTimestamp, out var stamp), Is.EqualTo(0u));
        Assert.That(stamp.ParentTimestamp, Is.EqualTo(0u));
        Assert.That(VirtDisk.GetVirtualDiskInformation(handle, GetVirtualDiskInfoVersion.ParentLocation, out var location), Is.EqualTo(0u));
        Assert.That(location.ParentResolved, Is.True);
        Assert.That(location.ParentLocationBuffer, Is.EqualTo(new[] { Path.Combine(folder, "mid.vhd") }));
        Assert.That(handle.Info.Chain.Select(f => f.Path), Is.EqualTo(new[] { "top.vhd", "mid.vhd", "base.vhd" }.Select(n => Path.Combine(folder, n))));
    }

    [Test]
    public void RWDepthTakesOnlyTheFirstLevelsForWriting()
    {
        var chain = MakeChain();
        string folder = TestPaths.NewTempFolder("chain");
        chain.Mid.Locator(VhdWriter.W2ru, @".\base.vhd");
        chain.Top.Locator(VhdWriter.W2ru, @".\mid.vhd");
        chain.Base.Save(Path.Combine(folder, "base.vhd"));
        chain.Mid.Save(Path.Combine(folder, "mid.vhd"));
        chain.Top.Save(Path.Combine(folder, "top.vhd"));
        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, Path.Combine(folder, "top.vhd"), VirtualDiskAccessMask.AttachRW,
            OpenVirtualDiskFlags.None, OpenVirtualDiskParameters.V1(rwDepth: 2), out var handle);
        Assert.That(code, Is.EqualTo(0u));
        using (handle)
        {
            Assert.That(ReadAll(handle!), Is.EqualTo(chain.Expected));
            // Level 2 (mid) is held for writing; level 3 (base) is read-only and may be opened by others.
            uint mid = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, Path.Combine(folder, "mid.vhd"), VirtualDiskAccessMask.AttachRO,
                OpenVirtualDiskFlags.NoParents, null, out var midHandle);
            midHandle?.Dispose();
            Assert.That(mid, Is.EqualTo(32u));
            uint b = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, Path.Combine(folder, "base.vhd"), VirtualDiskAccessMask.AttachRO,
                OpenVirtualDiskFlags.None, null, out var baseHandle);
            baseHandle?.Dispose();
            Assert.That(b, Is.EqualTo(0u));
        }
        }

    [Test]
    public void ChainDeeperThan256IsRefused()
    {
        string folder = TestPaths.NewTempFolder("deep");
        var previous = VhdWriter.NewDynamic(MiB);
        previous.Save(Path.Combine(folder, "l0.vhd"));
        for (int level = 1; level <= 257; level++)
        {
            var next = VhdWriter.NewDifferencing(previous).Locator(VhdWriter.W2ru, $@".\l{level - 1}.vhd");
            next.Save(Path.Combine(folder, $"l{level}.vhd"));
            previous = next;
        }
        // l256 has exactly 256 parents; l257 has one more.
        using (var ok = VirtualDisk.Open(Path.Combine(folder, "l256.vhd"))) Assert.That(ok.Info.Chain, Has.Count.EqualTo(257));
        string top = Path.Combine(folder, "l257.vhd");
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, top, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _), Is.EqualTo(0xC03A0018u));
        Assert.That(Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(top))!.Reason, Is.EqualTo(R.ChainTooDeep));
    }

    [Test]
    public void FragmentedBitmapsReadCorrectlyWholeAndInPieces()
    {
        // Bitmaps that alternate sector by sector at two levels (the overlay read path), over a random base.
        const long size = 4 * MiB;
        var rng = new Random(42);
        var baseData = new byte[size];
        rng.NextBytes(baseData);
        var b = VhdWriter.NewDynamic(size, 1 << 20).Write(0, baseData);
        var m = VhdWriter.NewDifferencing(b, 1 << 20).Locator(VhdWriter.W2ru, @".\base.vhd");
        for (long o = 0; o < size; o += 8192) m.Fill(o, 4096, (byte)(o >> 12));
        var t = VhdWriter.NewDifferencing(m, 1 << 20).Locator(VhdWriter.W2ru, @".\mid.vhd");
        for (long o = 512; o < 3 * MiB; o += 1536) t.Fill(o, 512, 0xEE);
        string folder = TestPaths.NewTempFolder("frag");
        b.Save(Path.Combine(folder, "base.vhd"));
        m.Save(Path.Combine(folder, "mid.vhd"));
        t.Save(Path.Combine(folder, "top.vhd"));
        byte[] expected = t.ExpectedContent(m.ExpectedContent(b.ExpectedContent()));
        using var handle = VirtualDisk.Open(Path.Combine(folder, "top.vhd"));
        Assert.That(ReadAll(handle), Is.EqualTo(expected));
        using var stream = handle.OpenStream();
        for (int i = 0; i < 300; i++)
        {
            long offset = rng.NextInt64(0, size);
            int length = (int)Math.Min(rng.Next(1, 3 << 20), size - offset);
            var buffer = new byte[length];
            stream.Position = offset;
            stream.ReadExactly(buffer);
            Assert.That(buffer.AsSpan().SequenceEqual(expected.AsSpan((int)offset, length)), Is.True, $"{length} bytes at {offset}");
        }
    }
}
