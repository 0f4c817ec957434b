using System.Diagnostics;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.OpenPath;
using VirtualDiskManaged.Tests.Support;
using M = VirtualDiskManaged.VirtualDiskAccessMask;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// docs/open-path.md §11: handles of one process to the same file (device + inode) follow Windows' documented access rules
/// (ERROR_SHARING_VIOLATION 32); parents of chains do not take part; across processes the backing file's OS share
/// mode does the job (.NET on Unix: flock LOCK_SH for read-only opens, LOCK_EX for opens that may write).
/// </summary>
[NonParallelizable]
public sealed class SharingTests
{
    private const uint SharingViolation = 32;
    private string _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Files.Folder();

    // ---- the rule, written from the contract's text (not from the library's code) ----

    /// <summary>One open as §11 sees it: a V1 mask, or V2/V3 ReadOnly/GetInfoOnly.</summary>
    public sealed record Open(string Name, M Mask, OpenVirtualDiskParameters? Parameters)
    {
        public bool IsV1 => Parameters is null || Parameters.Version == OpenVirtualDiskVersion.Version1;
        public override string ToString() => Name;
    }

    private const M DetachOrGetInfo = M.Detach | M.GetInfo;

    /// <summary>
    /// "a version-1 open asking for ATTACH_RO or ATTACH_RW fails while another handle holds any access other than
    /// DETACH or GET_INFO, and an open asking for anything but DETACH/GET_INFO fails while an ATTACH_RO/ATTACH_RW
    /// handle is open. Version-2/3 handles: ReadOnly = false counts as ATTACH_RW; ReadOnly = true or GetInfoOnly =
    /// true conflicts only with handles that may write (ATTACH_RW, METAOPS, V2/V3 ReadOnly = false)."
    /// CREATE is counted with the writers too: it is part of VIRTUAL_DISK_ACCESS_WRITABLE.
    /// </summary>
    private static bool ContractConflict(Open held, Open asked)
    {
        static bool ReadOnlyV2(Open o) => !o.IsV1 && (o.Parameters!.ReadOnly || o.Parameters.GetInfoOnly);
        static M Effective(Open o) => o.IsV1 ? o.Mask : M.AttachRW; // V2/V3 ReadOnly = false counts as ATTACH_RW
        static bool MayWrite(Open o) => ReadOnlyV2(o) ? false : (Effective(o) & (M.AttachRW | M.MetaOps | M.Create)) != 0;
        if (ReadOnlyV2(asked)) return MayWrite(held);
        if (ReadOnlyV2(held)) return MayWrite(asked);
        M h = Effective(held), a = Effective(asked);
        bool askedAttaches = (a & (M.AttachRO | M.AttachRW)) != 0;
        bool heldAttaches = (h & (M.AttachRO | M.AttachRW)) != 0;
        return (askedAttaches && (h & ~DetachOrGetInfo) != 0) || ((a & ~DetachOrGetInfo) != 0 && heldAttaches);
    }

    private static IEnumerable<Open> AllOpens()
    {
        foreach (var (name, mask) in new (string, M)[]
                 {
                     ("NONE", M.None), ("ATTACH_RO", M.AttachRO), ("ATTACH_RW", M.AttachRW), ("DETACH", M.Detach),
                     ("GET_INFO", M.GetInfo), ("CREATE", M.Create), ("METAOPS", M.MetaOps), ("READ", M.Read), ("ALL", M.All),
                     ("ATTACH_RO|GET_INFO", M.AttachRO | M.GetInfo), ("DETACH|GET_INFO", M.Detach | M.GetInfo),
                     ("METAOPS|GET_INFO", M.MetaOps | M.GetInfo),
                 })
        {
            yield return new Open("V1 " + name, mask, null);
        }
        yield return new Open("V1(params) ATTACH_RW", M.AttachRW, OpenVirtualDiskParameters.V1());
        foreach (var v in new[] { OpenVirtualDiskVersion.Version2, OpenVirtualDiskVersion.Version3 })
        foreach (var (ro, gio) in new[] { (true, false), (false, false), (false, true), (true, true) })
            yield return new Open($"V{(int)v} ReadOnly={ro} GetInfoOnly={gio}", M.None,
                new OpenVirtualDiskParameters { Version = v, ReadOnly = ro, GetInfoOnly = gio });
    }

    public static IEnumerable<TestCaseData> Matrix() =>
        from held in AllOpens()
        from asked in AllOpens()
        select new TestCaseData(held, asked, ContractConflict(held, asked)).SetName($"Sharing held [{held}] asked [{asked}]");

    [TestCaseSource(nameof(Matrix))]
    public void ConflictMatrix(Open held, Open asked, bool conflict)
    {
        static SharingClass Of(Open o) => SharingClass.Of(new OpenRequest { Access = o.Mask, Parameters = o.Parameters });
        Assert.That(Of(asked).ConflictsWith(Of(held)), Is.EqualTo(conflict));
    }

    [Test]
    public void TheMatrixIsNotTrivial()
    {
        // Sanity of the oracle itself against the contract's examples.
        var opens = AllOpens().ToDictionary(o => o.Name);
        Assert.That(ContractConflict(opens["V1 ATTACH_RO"], opens["V1 ATTACH_RO"]), Is.True);
        Assert.That(ContractConflict(opens["V1 GET_INFO"], opens["V1 ATTACH_RW"]), Is.False);
        Assert.That(ContractConflict(opens["V1 ATTACH_RW"], opens["V1 DETACH|GET_INFO"]), Is.False);
        Assert.That(ContractConflict(opens["V1 ATTACH_RO"], opens["V1 METAOPS"]), Is.True);
        Assert.That(ContractConflict(opens["V1 METAOPS"], opens["V1 CREATE"]), Is.False);
        Assert.That(ContractConflict(opens["V2 ReadOnly=True GetInfoOnly=False"], opens["V1 ATTACH_RO"]), Is.False);
        Assert.That(ContractConflict(opens["V2 ReadOnly=True GetInfoOnly=False"], opens["V1 METAOPS"]), Is.True);
        Assert.That(ContractConflict(opens["V2 ReadOnly=False GetInfoOnly=False"], opens["V1 GET_INFO"]), Is.False);
        Assert.That(ContractConflict(opens["V2 ReadOnly=False GetInfoOnly=False"], opens["V3 ReadOnly=False GetInfoOnly=False"]), Is.True);
        Assert.That(ContractConflict(opens["V2 ReadOnly=True GetInfoOnly=False"], opens["V3 ReadOnly=True GetInfoOnly=True"]), Is.False);
    }

    // ---- end to end on ISO images (V1, READ bits only: what an ISO accepts) ----

    public static IEnumerable<TestCaseData> IsoPairs()
    {
        var masks = new (string, M)[]
        {
            ("NONE", M.None), ("ATTACH_RO", M.AttachRO), ("DETACH", M.Detach), ("GET_INFO", M.GetInfo),
            ("ATTACH_RO|GET_INFO", M.AttachRO | M.GetInfo), ("READ", M.Read),
        };
        foreach (var (hn, h) in masks)
        foreach (var (an, a) in masks)
            yield return new TestCaseData(h, a, ContractConflict(new("held", h, null), new("asked", a, null))).SetName($"SharingIso held {hn} asked {an}");
    }

    [TestCaseSource(nameof(IsoPairs))]
    public void IsoOpens(M held, M asked, bool conflict)
    {
        string iso = Files.Iso(_folder);
        using var first = VirtualDisk.Open(iso, Files.Options(held));
        var failure = Files.Failure(iso, Files.Options(asked));
        Assert.That(failure?.ErrorCode ?? 0, Is.EqualTo(conflict ? SharingViolation : 0u));
        if (conflict) Assert.That(failure!.Reason, Is.EqualTo(R.SharingViolation));
        Assert.That(Files.Code(VirtualStorageType.Auto, iso, asked), Is.EqualTo(conflict ? SharingViolation : 0u), "Win32 layer");
    }

    [Test]
    public void HardLinksAreTheSameFile()
    {
        if (OperatingSystem.IsWindows() || !TestPaths.HasTool("ln")) Assert.Ignore("needs ln");
        string iso = Files.Iso(_folder, "a.iso");
        string link = Path.Combine(_folder, "b.iso");
        Assert.That(Files.Run("ln", $"\"{iso}\" \"{link}\"", out var output), Is.EqualTo(0), output);
        string copy = Path.Combine(_folder, "c.iso");
        File.Copy(iso, copy);
        using var first = VirtualDisk.Open(iso, Files.Options(M.AttachRO));
        Assert.That(Files.Failure(link, Files.Options(M.AttachRO))!.Reason, Is.EqualTo(R.SharingViolation));
        Assert.That(Files.Failure(copy, Files.Options(M.AttachRO)), Is.Null, "a copy is another file");
    }

    [Test]
    public void TheSameFileThroughAnotherPathSpellingConflicts()
    {
        string iso = Files.Iso(_folder, "a.iso");
        using var first = VirtualDisk.Open(iso, Files.Options(M.AttachRO));
        string other = Path.Combine(_folder, ".", "..", Path.GetFileName(_folder), "a.iso");
        Assert.That(Files.Failure(other, Files.Options(M.AttachRO))!.Reason, Is.EqualTo(R.SharingViolation));
        if (!OperatingSystem.IsWindows())
        {
            string symlink = Path.Combine(_folder, "s.iso");
            File.CreateSymbolicLink(symlink, iso);
            Assert.That(Files.Failure(symlink, Files.Options(M.AttachRO))!.Reason, Is.EqualTo(R.SharingViolation));
        }
    }

    [Test]
    public void DisposeUnregisters()
    {
        string iso = Files.Iso(_folder);
        var first = VirtualDisk.Open(iso, Files.Options(M.AttachRO));
        Assert.That(Files.Failure(iso, Files.Options(M.AttachRO))!.Reason, Is.EqualTo(R.SharingViolation));
        first.Dispose();
        first.Dispose(); // idempotent
        Assert.That(Files.Failure(iso, Files.Options(M.AttachRO)), Is.Null);
    }

    [Test]
    public void AFailedOpenLeavesNothingRegistered()
    {
        string iso = Files.Iso(_folder);
        // A conflicting open that fails must not itself stay in the table.
        using (var first = VirtualDisk.Open(iso, Files.Options(M.AttachRO)))
            Assert.That(Files.Failure(iso, Files.Options(M.AttachRO)), Is.Not.Null);
        Assert.That(Files.Failure(iso, Files.Options(M.AttachRO)), Is.Null);
        using var again = VirtualDisk.Open(iso, Files.Options(M.AttachRO));
    }

    [Test]
    public void ValidationOpensNeverConflict()
    {
        string iso = Files.Iso(_folder);
        using var first = VirtualDisk.Open(iso, Files.Options(M.AttachRO));
        using var v1 = VirtualDisk.Open(iso, VirtualDiskOpenOptions.ForValidation);
        using var v2 = VirtualDisk.Open(iso, VirtualDiskOpenOptions.ForValidation);
        // And they do not block later opens either.
        first.Dispose();
        using var after = VirtualDisk.Open(iso, Files.Options(M.AttachRO));
    }

    // ---- across processes: the OS share mode (flock) ----

    private static bool CanProbeLocks => OperatingSystem.IsLinux() && TestPaths.HasTool("flock");

    /// <summary>Runs flock(1) in a child process: can another process take the lock right now?</summary>
    private static bool OtherProcessCanLock(string path, bool exclusive)
    {
        int rc = Files.Run("flock", $"-n {(exclusive ? "-x" : "-s")} \"{path}\" true", out var output);
        Assert.That(rc, Is.AnyOf(0, 1), output);
        return rc == 0;
    }

    [Test]
    public void AReadOnlyHandleSharesReadingWithOtherProcesses()
    {
        if (!CanProbeLocks) Assert.Ignore("needs Linux and flock(1) (util-linux)");
        string iso = Files.Iso(_folder);
        using (var handle = VirtualDisk.Open(iso))
        {
            Assert.That(OtherProcessCanLock(iso, exclusive: false), Is.True, "a reader may join");
            Assert.That(OtherProcessCanLock(iso, exclusive: true), Is.False, "a writer may not");
        }
        Assert.That(OtherProcessCanLock(iso, exclusive: true), Is.True, "Dispose released the file");
    }

    [Test]
    public void AnExclusiveHostFileShutsOutOtherProcesses()
    {
        // The mechanism behind writable opens (V1 ATTACH_RW/METAOPS/CREATE, V2/V3 ReadOnly = false): HostFile opened
        // exclusively. (End to end with a VHD in ExclusiveOpenOfAVhdShutsOutOtherProcesses.)
        if (!CanProbeLocks) Assert.Ignore("needs Linux and flock(1) (util-linux)");
        string path = Files.Iso(_folder, "w.vhd");
        Assert.That(HostFile.TryOpen(path, exclusive: true, out var file), Is.Null);
        using (file)
        {
            Assert.That(OtherProcessCanLock(path, exclusive: false), Is.False);
            Assert.That(OtherProcessCanLock(path, exclusive: true), Is.False);
        }
        Assert.That(OtherProcessCanLock(path, exclusive: true), Is.True);
    }

    [Test]
    public void InProcessOpensAreJudgedByTheContractNotByTheOsLock()
    {
        // flock conflicts between two descriptors even in one process; the in-process rules must decide instead
        // (e.g. GET_INFO while ATTACH_RW is open is allowed by §11).
        if (!OperatingSystem.IsLinux()) Assert.Ignore("flock semantics");
        string path = Files.Iso(_folder, "w.vhd");
        Assert.That(HostFile.TryOpen(path, exclusive: true, out var writer), Is.Null);
        try
        {
            Assert.That(HostFile.TryOpen(path, exclusive: false, out var reader), Is.Null);
            reader!.Dispose();
            Assert.That(HostFile.TryOpen(path, exclusive: true, out var second), Is.Null);
            second!.Dispose();
            if (TestPaths.HasTool("flock")) Assert.That(OtherProcessCanLock(path, exclusive: false), Is.False, "the writer still holds the file");
        }
        finally
        {
            writer!.Dispose();
        }
        // A reader first, then a writer of this process: allowed to open (the handle table judges), others still kept out.
        Assert.That(HostFile.TryOpen(path, exclusive: false, out var r), Is.Null);
        Assert.That(HostFile.TryOpen(path, exclusive: true, out var w), Is.Null);
        if (TestPaths.HasTool("flock")) Assert.That(OtherProcessCanLock(path, exclusive: true), Is.False);
        w!.Dispose();
        r!.Dispose();
        if (TestPaths.HasTool("flock")) Assert.That(OtherProcessCanLock(path, exclusive: true), Is.True, "every lock released");
    }

    [Test]
    public void AnotherProcessHoldingTheFileExclusivelyGives32()
    {
        if (!CanProbeLocks) Assert.Ignore("needs Linux and flock(1) (util-linux)");
        string iso = Files.Iso(_folder);
        // flock -o: the lock is held by flock itself only, so killing it (by its id) releases the file.
        var psi = new ProcessStartInfo("flock", $"-o -x \"{iso}\" -c \"echo locked; exec sleep 120\"")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var holder = Process.Start(psi)!;
        try
        {
            Assert.That(holder.StandardOutput.ReadLine(), Is.EqualTo("locked"));
            var failure = Files.Failure(iso);
            Assert.That(failure!.ErrorCode, Is.EqualTo(SharingViolation));
            Assert.That(failure.Reason, Is.EqualTo(R.SharingViolationOtherProcess));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }
        Assert.That(Files.Failure(iso), Is.Null, "the file is free again");
    }

    // ---- end to end with VHDs (needs the VHD provider and qemu-img) ----

    private string QemuVhd(string name, string? parent = null)
    {
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        string path = Path.Combine(_folder, name);
        string args = parent is null
            ? $"create -q -f vpc -o subformat=fixed \"{path}\" 1M"
            : $"create -q -f vpc -b \"{parent}\" -F vpc \"{path}\"";
        Assert.That(Files.Run("qemu-img", args, out var output), Is.EqualTo(0), output);
        return path;
    }

    public static IEnumerable<TestCaseData> VhdPairs() =>
        from held in AllOpens()
        from asked in AllOpens()
        select new TestCaseData(held, asked, ContractConflict(held, asked)).SetName($"SharingVhd held [{held}] asked [{asked}]");

    [TestCaseSource(nameof(VhdPairs))]
    [Category("NeedsVhdProvider")]
    public void VhdOpens(Open held, Open asked, bool conflict)
    {
        string vhd = QemuVhd("fixed.vhd");
        using var first = VirtualDisk.Open(vhd, Files.Options(held.Mask, parameters: held.Parameters, rules: OpenRuleSet.Current));
        var failure = Files.Failure(vhd, Files.Options(asked.Mask, parameters: asked.Parameters, rules: OpenRuleSet.Current));
        Assert.That(failure?.ErrorCode ?? 0, Is.EqualTo(conflict ? SharingViolation : 0u), failure?.ToString());
        if (conflict) Assert.That(failure!.Reason, Is.EqualTo(R.SharingViolation));
    }

    [Test]
    [Category("NeedsVhdProvider")]
    public void ExclusiveOpenOfAVhdShutsOutOtherProcesses()
    {
        if (!CanProbeLocks) Assert.Ignore("needs Linux and flock(1) (util-linux)");
        string vhd = QemuVhd("fixed.vhd");
        using (var writer = VirtualDisk.Open(vhd, Files.Options(M.AttachRW)))
        {
            Assert.That(OtherProcessCanLock(vhd, exclusive: false), Is.False);
            // In this process a GET_INFO open is still allowed (§11).
            using var info = VirtualDisk.Open(vhd, Files.Options(M.GetInfo));
        }
        using (var reader = VirtualDisk.Open(vhd, Files.Options(parameters: OpenVirtualDiskParameters.V2(readOnly: true), access: M.None)))
        {
            Assert.That(OtherProcessCanLock(vhd, exclusive: false), Is.True);
            Assert.That(OtherProcessCanLock(vhd, exclusive: true), Is.False);
        }
        Assert.That(OtherProcessCanLock(vhd, exclusive: true), Is.True);
    }

    [Test]
    [Category("NeedsVhdProvider")]
    public void ParentsOfChainsDoNotTakePart()
    {
        // Made with the VHD tests' writer (qemu-img cannot create differencing VHDs): one dynamic parent, two children.
        var parentImage = Vhd.VhdWriter.NewDynamic(4 << 20).Fill(0, 4096, 0x5A);
        string parent = Path.Combine(_folder, "parent.vhd");
        parentImage.Save(parent);
        string child1 = Path.Combine(_folder, "child1.vhd"), child2 = Path.Combine(_folder, "child2.vhd");
        Vhd.VhdWriter.NewDifferencing(parentImage).Locator(Vhd.VhdWriter.W2ru, @".\parent.vhd").Save(child1);
        Vhd.VhdWriter.NewDifferencing(parentImage).Locator(Vhd.VhdWriter.W2ru, @".\parent.vhd").Save(child2);

        using var chain = VirtualDisk.Open(child1, Files.Options(M.AttachRO));
        Assert.That(chain.Info.Chain, Has.Count.EqualTo(2), "the parent is open as part of the chain");
        // A top-level ATTACH_RO open of the parent does not conflict with the chain holding it...
        using (var top = VirtualDisk.Open(parent, Files.Options(M.AttachRO)))
        {
            // ...and a second chain over the same parent does not conflict either.
            using var chain2 = VirtualDisk.Open(child2, Files.Options(M.AttachRO));
        }
        // While a top-level handle does take part: a second ATTACH_RO of the child conflicts.
        Assert.That(Files.Failure(child1, Files.Options(M.AttachRO))!.Reason, Is.EqualTo(R.SharingViolation));
    }

    [Test]
    public void LocksHeldByChainParentsKeepTheirOsMeaning()
    {
        // A parent held for writing (RWDepth) is not a top-level handle, so the handle table cannot judge opens of it:
        // its exclusive OS lock still refuses other opens in this process (32), and readers of a parent keep writers out.
        if (!OperatingSystem.IsLinux()) Assert.Ignore("flock semantics");
        string path = Files.Iso(_folder, "p.vhd");
        Assert.That(HostFile.TryOpen(path, exclusive: true, out var parentWriter, asParent: true), Is.Null);
        using (parentWriter)
        {
            var failure = HostFile.TryOpen(path, exclusive: false, out var top);
            top?.Dispose();
            Assert.That(failure!.ErrorCode, Is.EqualTo(SharingViolation));
            Assert.That(failure.Reason, Is.EqualTo(R.SharingViolation), "this process holds it: not \"another process\"");
        }
        Assert.That(HostFile.TryOpen(path, exclusive: false, out var parentReader, asParent: true), Is.Null);
        using (parentReader)
        {
            Assert.That(HostFile.TryOpen(path, exclusive: true, out var writer)!.ErrorCode, Is.EqualTo(SharingViolation));
            Assert.That(writer, Is.Null);
            Assert.That(HostFile.TryOpen(path, exclusive: false, out var reader), Is.Null, "readers share");
            reader!.Dispose();
        }
    }

    [Test]
    [Category("NeedsVhdProvider")]
    public void AParentHeldForWritingByRWDepthRefusesTopLevelOpens()
    {
        var baseImage = Vhd.VhdWriter.NewDynamic(4 << 20).Fill(0, 4096, 0x11);
        var midImage = Vhd.VhdWriter.NewDifferencing(baseImage).Locator(Vhd.VhdWriter.W2ru, @".\base.vhd");
        var topImage = Vhd.VhdWriter.NewDifferencing(midImage).Locator(Vhd.VhdWriter.W2ru, @".\mid.vhd");
        string b = Path.Combine(_folder, "base.vhd"), m = Path.Combine(_folder, "mid.vhd"), t = Path.Combine(_folder, "top.vhd");
        baseImage.Save(b);
        midImage.Save(m);
        topImage.Save(t);
        using var chain = VirtualDisk.Open(t, Files.Options(M.AttachRW, parameters: OpenVirtualDiskParameters.V1(rwDepth: 2)));
        // mid (level 2) is held for writing: no other open of it; base (level 3) is read-only: readers may join, writers not.
        Assert.That(Files.Failure(m, Files.Options(M.AttachRO, OpenVirtualDiskFlags.NoParents))!.ErrorCode, Is.EqualTo(SharingViolation));
        Assert.That(Files.Failure(b, Files.Options(M.AttachRO)), Is.Null);
        Assert.That(Files.Failure(b, Files.Options(M.AttachRW))!.ErrorCode, Is.EqualTo(SharingViolation));
    }
}
