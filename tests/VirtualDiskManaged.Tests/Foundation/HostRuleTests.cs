using VirtualDiskManaged.Host;
using VirtualDiskManaged.Tests.Support;
using F = VirtualDiskManaged.OpenVirtualDiskFlags;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// docs/open-path.md §7 (host checks) and §3 (their codes per rule set): the code mapping through the
/// <see cref="HostChecks.ProbeOverride"/> seam, the real Linux probe (inode flags ioctl, mount table), and the
/// parsers of /proc/self/mountinfo and of Windows UNC paths.
/// </summary>
[NonParallelizable]
public sealed class HostRuleTests
{
    private const uint Ok = 0, Compression = 618, Encrypted = 6002, Limitation = 0xC03A001A, FsLimitation = 665, InvalidParameter = 87;
    private const F SupportCompressed = F.SupportCompressedVolumes, SupportEncrypted = F.SupportEncryptedFiles;

    private string _folder = null!;
    private string _iso = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Files.Folder();
        _iso = Files.Iso(_folder);
    }

    [TearDown]
    public void TearDown() => HostChecks.ProbeOverride = null;

    // ---- code mapping per rule set (§3 table, §7) ----

    public static IEnumerable<TestCaseData> Mapping()
    {
        // compressed, encrypted, loopback, rules, flags → code, reason
        yield return Case(false, false, false, OpenRuleSet.Documented, 0, Ok, R.None);
        yield return Case(true, false, false, OpenRuleSet.Documented, 0, Compression, R.HostFileCompressed);
        yield return Case(false, true, false, OpenRuleSet.Documented, 0, Encrypted, R.HostFileEncrypted);
        yield return Case(true, true, false, OpenRuleSet.Documented, 0, Compression, R.HostFileCompressed);
        // Documented cannot lift them: the SUPPORT_* flags are not allowed there at all (step 3).
        yield return Case(true, false, false, OpenRuleSet.Documented, SupportCompressed, InvalidParameter, R.FlagsNotAllowed);
        yield return Case(false, true, false, OpenRuleSet.Documented, SupportEncrypted, InvalidParameter, R.FlagsNotAllowed);
        yield return Case(false, false, false, OpenRuleSet.Current, 0, Ok, R.None);
        yield return Case(true, false, false, OpenRuleSet.Current, 0, Limitation, R.HostFileCompressedLimitation);
        yield return Case(false, true, false, OpenRuleSet.Current, 0, Limitation, R.HostFileEncryptedLimitation);
        yield return Case(true, false, false, OpenRuleSet.Current, SupportCompressed, Ok, R.None);
        yield return Case(false, true, false, OpenRuleSet.Current, SupportEncrypted, Ok, R.None);
        // Each flag lifts only its own restriction.
        yield return Case(true, false, false, OpenRuleSet.Current, SupportEncrypted, Limitation, R.HostFileCompressedLimitation);
        yield return Case(false, true, false, OpenRuleSet.Current, SupportCompressed, Limitation, R.HostFileEncryptedLimitation);
        yield return Case(true, true, false, OpenRuleSet.Current, SupportCompressed, Limitation, R.HostFileEncryptedLimitation);
        yield return Case(true, true, false, OpenRuleSet.Current, SupportEncrypted, Limitation, R.HostFileCompressedLimitation);
        yield return Case(true, true, false, OpenRuleSet.Current, SupportCompressed | SupportEncrypted, Ok, R.None);
        // A loopback share is 665 in both rule sets, and no flag lifts it.
        yield return Case(false, false, true, OpenRuleSet.Documented, 0, FsLimitation, R.LoopbackShare);
        yield return Case(false, false, true, OpenRuleSet.Current, SupportCompressed | SupportEncrypted | F.SupportSparseFilesAnyFs, FsLimitation, R.LoopbackShare);
    }

    private static TestCaseData Case(bool compressed, bool encrypted, bool loopback, OpenRuleSet rules, F flags, uint code, R reason) =>
        new TestCaseData(compressed, encrypted, loopback, rules, flags, code, reason)
            .SetName($"HostMapping c={compressed} e={encrypted} loop={loopback} {rules} flags=0x{(uint)flags:X} → 0x{code:X}");

    [TestCaseSource(nameof(Mapping))]
    public void CodePerRuleSet(bool compressed, bool encrypted, bool loopback, OpenRuleSet rules, F flags, uint code, R reason)
    {
        int probes = 0;
        HostChecks.ProbeOverride = _ => { probes++; return new HostFileTraits(compressed, encrypted, loopback); };
        Assert.That(Files.Code(VirtualStorageType.Auto, _iso, Files.DefaultAccess, flags, rules: rules), Is.EqualTo(code));
        var failure = Files.Failure(_iso, Files.Options(flags: flags, rules: rules));
        Assert.That(failure?.Reason ?? R.None, Is.EqualTo(reason));
        if (reason != R.FlagsNotAllowed) Assert.That(probes, Is.EqualTo(2), "the host checks ran for each open");
    }

    // ---- the real probe on Linux ----

    [Test]
    public void RealProbeOfAnOrdinaryFileFindsNothing()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("Linux probe");
        Assert.That(HostFile.TryOpen(_iso, exclusive: false, out var file), Is.Null);
        using (file)
        {
            int flags = UnixNative.GetInodeFlags((int)file!.Handle.DangerousGetHandle());
            Assert.That(flags & (UnixNative.FS_COMPR_FL | UnixNative.FS_ENCRYPT_FL), Is.Zero);
            Assert.That(HostChecks.Probe(file), Is.EqualTo(new HostFileTraits(false, false, false)));
        }
        Assert.That(Files.Code(VirtualStorageType.Auto, _iso, Files.DefaultAccess), Is.EqualTo(Ok));
    }

    [Test]
    public void InodeFlagsAgreeWithLsattr()
    {
        if (!OperatingSystem.IsLinux() || !TestPaths.HasTool("lsattr")) Assert.Ignore("needs Linux and lsattr (e2fsprogs)");
        if (Files.Run("lsattr", $"-d \"{_iso}\"", out var output) != 0) Assert.Ignore("this file system has no inode flags: " + output);
        Assert.That(HostFile.TryOpen(_iso, exclusive: false, out var file), Is.Null);
        using (file)
        {
            int flags = UnixNative.GetInodeFlags((int)file!.Handle.DangerousGetHandle());
            string letters = output.Split(' ')[0];
            // lsattr letters: 'c' = FS_COMPR_FL, 'E' = FS_ENCRYPT_FL, 'e' = FS_EXTENT_FL (0x80000).
            Assert.That((flags & UnixNative.FS_COMPR_FL) != 0, Is.EqualTo(letters.Contains('c')), output);
            Assert.That((flags & UnixNative.FS_ENCRYPT_FL) != 0, Is.EqualTo(letters.Contains('E')), output);
            Assert.That((flags & 0x80000) != 0, Is.EqualTo(letters.Contains('e')), output);
        }
    }

    [Test]
    public void ARealCompressedFlagIsDetected()
    {
        // chattr +c sets FS_COMPR_FL; ext4 keeps the flag, btrfs compresses. Where the file system refuses, skip.
        if (!OperatingSystem.IsLinux() || !TestPaths.HasTool("chattr") || !TestPaths.HasTool("lsattr")) Assert.Ignore("needs chattr/lsattr");
        string iso = Files.Iso(_folder, "compressed.iso");
        if (Files.Run("chattr", $"+c \"{iso}\"", out var output) != 0) Assert.Ignore("chattr +c is not supported here: " + output);
        try
        {
            Files.Run("lsattr", $"-d \"{iso}\"", out var attrs);
            if (!attrs.Split(' ')[0].Contains('c')) Assert.Ignore("the file system dropped the compression flag: " + attrs);
            Assert.That(Files.Code(VirtualStorageType.Auto, iso, Files.DefaultAccess), Is.EqualTo(Compression));
            Assert.That(Files.Code(VirtualStorageType.Auto, iso, Files.DefaultAccess, rules: OpenRuleSet.Current), Is.EqualTo(Limitation));
            Assert.That(Files.Code(VirtualStorageType.Auto, iso, Files.DefaultAccess, SupportCompressed, rules: OpenRuleSet.Current), Is.EqualTo(Ok));
            Assert.That(Files.Failure(iso)!.Reason, Is.EqualTo(R.HostFileCompressed));
        }
        finally
        {
            Files.Run("chattr", $"-c \"{iso}\"", out _);
        }
    }

    [Test]
    public void RealMountTableDoesNotCallALocalFileLoopback()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("Linux mount table");
        string mountInfo = File.ReadAllText("/proc/self/mountinfo");
        Assert.That(HostFile.TryOpen(_iso, exclusive: false, out var file), Is.Null);
        using (file)
            Assert.That(HostChecks.IsOnLoopbackNetworkMount(mountInfo, file!.Path, file.Identity.Device), Is.False);
    }

    [Test]
    public void DeviceNumbersAreFormattedAsStatAndMountinfoDo()
    {
        if (!OperatingSystem.IsLinux() || !TestPaths.HasTool("stat")) Assert.Ignore("needs Linux and coreutils stat");
        Assert.That(Files.Run("stat", $"-c %Hd:%Ld \"{_iso}\"", out var output), Is.EqualTo(0), output);
        Assert.That(HostFile.TryOpen(_iso, exclusive: false, out var file), Is.Null);
        using (file) Assert.That(HostChecks.FormatDevice(file!.Identity.Device), Is.EqualTo(output.Trim()));
        // glibc's dev_t encoding: major 259 minor 300000 (both beyond the old 8-bit fields).
        ulong dev = (259UL & 0xFFF) << 8 | (259UL & ~0xFFFUL) << 32 | (300000UL & 0xFF) | (300000UL & ~0xFFUL) << 12;
        Assert.That(HostChecks.FormatDevice(dev), Is.EqualTo("259:300000"));
    }

    // ---- the mountinfo parser (proc(5): id parent major:minor root mountpoint options [optional...] - fstype source superoptions) ----

    private const string MountInfo = """
        26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
        23 26 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334448k,mode=755
        120 26 0:50 / /mnt/smb rw,relatime shared:80 - cifs //127.0.0.1/share rw,vers=3.1.1,cache=strict,username=u,uid=0,noforceuid,gid=0,noforcegid,addr=127.0.0.1,file_mode=0755,dir_mode=0755,soft,nounix,serverino,mapposix,rsize=4194304,wsize=4194304,bsize=1048576,echo_interval=60,actimeo=1,closetimeo=1
        121 26 0:51 / /mnt/remote\040share rw,relatime shared:81 - cifs //fileserver/public rw,vers=3.0,addr=192.168.1.20
        122 26 0:52 / /mnt/nfs rw,relatime shared:82 master:3 - nfs4 localhost:/export rw,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=127.0.0.1,local_lock=none,addr=127.0.0.1
        123 26 0:53 / /mnt/nfs6 rw,relatime - nfs [::1]:/srv/nfs rw,vers=3,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp6,timeo=600,retrans=2,sec=sys,mountaddr=::1,mountvers=3,mountport=20048,mountproto=udp6,local_lock=none,addr=::1
        124 26 0:54 / /mnt/nfsremote rw,relatime - nfs 10.0.0.5:/srv rw,vers=3,addr=10.0.0.5
        125 26 0:55 / /mnt/alias rw,relatime - cifs //myalias/share rw,vers=3.0,addr=127.0.0.1
        126 26 0:56 / /mnt/smb3 rw,relatime - smb3 //127.0.0.2/x rw,vers=3.0,addr=127.0.0.2
        127 120 8:17 / /mnt/smb/localdisk rw,relatime - ext4 /dev/sdb1 rw
        128 26 0:57 / /mnt/my\040loop\040share rw,relatime - cifs //[::1]/my\040share rw,vers=3.0,addr=::1
        129 26 0:58 / /mnt/v6lit rw,relatime - cifs //0--1.ipv6-literal.net/s rw,vers=3.0
        130 26 0:59 / /mnt/remote6 rw,relatime - nfs4 [2001:db8::5]:/ rw,vers=4.2,addr=2001:db8::5
        131 26 0:60 / /mnt/fuse rw,relatime - fuse.sshfs localhost:/home rw,user_id=0
        """;

    [TestCase("/mnt/smb/disk.vhd", true, TestName = "Mount cifs //127.0.0.1")]
    [TestCase("/mnt/smb", true, TestName = "Mount the mount point itself")]
    [TestCase("/mnt/smb/deep/er/disk.iso", true, TestName = "Mount cifs, deeper file")]
    [TestCase("/mnt/smbfoo/disk.vhd", false, TestName = "Mount prefix of a name is not a parent")]
    [TestCase("/mnt/smb/localdisk/disk.vhd", false, TestName = "Mount local disk nested in a share")]
    [TestCase("/mnt/remote share/disk.vhd", false, TestName = "Mount remote cifs with an escaped space")]
    [TestCase("/mnt/nfs/x.vhdx", true, TestName = "Mount nfs4 localhost")]
    [TestCase("/mnt/nfs6/x.vhdx", true, TestName = "Mount nfs [::1]")]
    [TestCase("/mnt/nfsremote/x.vhdx", false, TestName = "Mount nfs remote")]
    [TestCase("/mnt/alias/x.vhd", true, TestName = "Mount cifs alias with addr=127.0.0.1")]
    [TestCase("/mnt/smb3/x.vhd", true, TestName = "Mount smb3 127.0.0.2")]
    [TestCase("/mnt/my loop share/x.vhd", true, TestName = "Mount escaped spaces and IPv6 source")]
    [TestCase("/mnt/v6lit/x.vhd", true, TestName = "Mount ipv6-literal.net source")]
    [TestCase("/mnt/remote6/x.vhd", false, TestName = "Mount nfs4 remote IPv6")]
    [TestCase("/mnt/fuse/x.vhd", false, TestName = "Mount fuse.sshfs is not a network share type")]
    [TestCase("/home/user/x.vhd", false, TestName = "Mount root ext4")]
    [TestCase("/dev/x", false, TestName = "Mount devtmpfs")]
    public void MountInfoByPath(string path, bool expected) =>
        Assert.That(HostChecks.IsOnLoopbackNetworkMount(MountInfo.Replace("\r", ""), path), Is.EqualTo(expected));

    [Test]
    public void MountInfoByDeviceBeatsThePath()
    {
        // A path that looks local (e.g. reached through a symbolic link) on the device of the loopback cifs mount (0:50).
        Assert.That(HostChecks.IsOnLoopbackNetworkMount(MountInfo, "/home/user/link-target.vhd", device: 50), Is.True);
        // A path under the share whose device is the root file system's (254:0): the device decides.
        Assert.That(HostChecks.IsOnLoopbackNetworkMount(MountInfo, "/mnt/smb/x.vhd", device: 254UL << 8), Is.False);
        // No line with that device: the path decides.
        Assert.That(HostChecks.IsOnLoopbackNetworkMount(MountInfo, "/mnt/smb/x.vhd", device: 0xFFFF_FFFF), Is.True);
    }

    [Test]
    public void MountInfoToleratesGarbage()
    {
        const string garbage = "\n\nnot a mount line\n1 2 3\n1 2 0:1 / /mnt rw - \n40 26 0:70 / /mnt/ok rw - cifs //localhost/s rw\n";
        Assert.That(HostChecks.IsOnLoopbackNetworkMount(garbage, "/mnt/ok/x.vhd"), Is.True);
        Assert.That(HostChecks.IsOnLoopbackNetworkMount(garbage, "/mnt/x.vhd"), Is.False);
        Assert.That(HostChecks.IsOnLoopbackNetworkMount("", "/x.vhd"), Is.False);
    }

    // ---- the UNC parser (Windows paths; pure string logic, tested on every OS) ----

    [TestCase(@"\\localhost\share\disk.vhd", true)]
    [TestCase(@"\\LOCALHOST\c$\disk.vhd", true)]
    [TestCase(@"\\localhost.localdomain\share\disk.vhd", true)]
    [TestCase(@"\\127.0.0.1\share\disk.vhd", true)]
    [TestCase(@"\\127.1.2.3\share\disk.vhd", true)]
    [TestCase(@"\\[::1]\share\disk.vhd", true)]
    [TestCase(@"\\0--1.ipv6-literal.net\share\disk.vhd", true)]
    [TestCase(@"\\0--1.IPV6-LITERAL.NET\share\disk.vhd", true)]
    [TestCase(@"\\?\UNC\localhost\share\disk.vhd", true)]
    [TestCase(@"\\?\unc\127.0.0.1\share\disk.vhd", true)]
    [TestCase(@"\\?\UNC\::1\share\disk.vhd", true)]
    [TestCase(@"\\?\UNC\0--1.ipv6-literal.net\share\disk.vhd", true)]
    [TestCase(@"\\localhost", true)]
    [TestCase(@"\\fileserver\share\disk.vhd", false)]
    [TestCase(@"\\10.0.0.1\share\disk.vhd", false)]
    [TestCase(@"\\fe80--1.ipv6-literal.net\share\disk.vhd", false)]
    [TestCase(@"\\127.0.0.1.example.com\share\disk.vhd", false)]
    [TestCase(@"\\?\UNC\fileserver\share\disk.vhd", false)]
    [TestCase(@"\\?\C:\images\disk.vhd", false)]
    [TestCase(@"\\.\PhysicalDrive0", false)]
    [TestCase(@"\\.\C:\disk.vhd", false)]
    [TestCase(@"C:\images\disk.vhd", false)]
    [TestCase(@"/mnt/smb/disk.vhd", false)]
    [TestCase(@"\\\share\disk.vhd", false)]
    [TestCase(@"", false)]
    public void UncPath(string path, bool expected) => Assert.That(HostChecks.IsLoopbackUncPath(path), Is.EqualTo(expected));

    [Test]
    public void UncPathWithThisMachinesName()
    {
        string name = Environment.MachineName;
        Assert.That(HostChecks.IsLoopbackUncPath($@"\\{name}\share\disk.vhd"), Is.True);
        Assert.That(HostChecks.IsLoopbackUncPath($@"\\{name.ToLowerInvariant()}\share\disk.vhd"), Is.True);
        Assert.That(HostChecks.IsLoopbackUncPath($@"\\?\UNC\{name.ToUpperInvariant()}\share\disk.vhd"), Is.True);
        Assert.That(HostChecks.IsLoopbackUncPath($@"\\{name}x\share\disk.vhd"), Is.False);
    }
}
