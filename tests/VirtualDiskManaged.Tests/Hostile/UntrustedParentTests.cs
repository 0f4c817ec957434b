using System.Net.Sockets;
using System.Runtime.InteropServices;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// Issue 7 part 3: parent locators are untrusted paths. Device files, FIFOs (without hanging), sockets, directories,
/// symlink loops and the image itself are refused with the documented code (docs/open-path.md §4 step 8, §10), and
/// <see cref="VirtualDiskOpenOptions.RestrictParentsToChildFolder"/> keeps resolution inside the child's folder tree.
/// </summary>
[TestFixture, Category("Hostile")]
[Platform(Exclude = "Win")]
public sealed partial class UntrustedParentTests
{
    private const uint AccessDenied = 5;
    private const uint ParentNotFound = 0xC03A000D;
    private const uint ChainCycle = 0xC03A0018;

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkFifo(string path, uint mode);

    internal static string MakeFifo(string path)
    {
        Assert.That(MkFifo(path, Convert.ToUInt32("644", 8)), Is.EqualTo(0), "mkfifo");
        return path;
    }

    internal static Socket MakeSocket(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    /// <summary>Runs an open on another thread so a blocking open (a FIFO) fails the test instead of hanging it.</summary>
    internal static HostileFiles.Outcome OpenWithin(string path, VirtualDiskOpenOptions? options = null, int seconds = 20)
    {
        HostileFiles.Outcome? outcome = null;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try { outcome = HostileFiles.OpenAndRead(path, options); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true };
        t.Start();
        Assert.That(t.Join(TimeSpan.FromSeconds(seconds)), Is.True, $"open of {path} did not return within {seconds} s (hang)");
        if (error is not null) Assert.Fail($"open threw {error}");
        return outcome!;
    }

    private static readonly CraftedVhd Parent = new() { VirtualSize = 1024 * 1024, BlockSize = 512 * 1024, AllocatedBlocks = [0] };

    /// <summary>Writes child.vhd (differencing, child of <see cref="Parent"/>) in <paramref name="folder"/> with the given locators and parent name.</summary>
    private static string WriteChild(string folder, string parentName, params (string Code, string Path)[] locators)
    {
        var child = CraftedVhd.ChildOf(Parent, parentName, locators: locators.ToList());
        return HostileFiles.Write(child.Build(), "child.vhd", folder);
    }

    private static void ExpectParentRefused(string hostilePath, uint code, string? parentName = null)
    {
        string folder = TestPaths.NewTempFolder("par");
        string child = WriteChild(folder, parentName ?? "absent-parent.vhd", ("W2ku", hostilePath));
        var outcome = OpenWithin(child);
        Assert.That(outcome.Code, Is.EqualTo(code), outcome.ToString);
        if (code == AccessDenied) Assert.That(outcome.Failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentNotARegularFile));
    }

    [TestCase("/dev/null")]
    [TestCase("/dev/zero")]
    [TestCase("/dev/urandom")]
    public void DeviceFileAsParentIsRefused(string device) => ExpectParentRefused(device, AccessDenied);

    [Test]
    public void FifoAsParentIsRefusedWithoutHanging()
    {
        string fifo = MakeFifo(Path.Combine(TestPaths.NewTempFolder("fifo"), "parent.vhd"));
        ExpectParentRefused(fifo, AccessDenied);
    }

    [Test]
    public void SocketAsParentIsRefused()
    {
        string path = Path.Combine(TestPaths.NewTempFolder("sock"), "parent.vhd");
        using var socket = MakeSocket(path);
        ExpectParentRefused(path, AccessDenied);
    }

    [Test]
    public void DirectoryAsParentIsRefused()
    {
        string dir = Path.Combine(TestPaths.NewTempFolder("dir"), "parent.vhd");
        Directory.CreateDirectory(dir);
        ExpectParentRefused(dir, AccessDenied);
    }

    [Test]
    public void SymlinkToFifoAsParentIsRefusedWithoutHanging()
    {
        string folder = TestPaths.NewTempFolder("lfifo");
        string fifo = MakeFifo(Path.Combine(folder, "real-fifo"));
        string link = Path.Combine(folder, "parent.vhd");
        File.CreateSymbolicLink(link, fifo);
        ExpectParentRefused(link, AccessDenied);
    }

    [Test]
    public void SymlinkLoopAsParentIsNotFound()
    {
        string folder = TestPaths.NewTempFolder("loop");
        string a = Path.Combine(folder, "a.vhd"), b = Path.Combine(folder, "b.vhd");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        // A loop resolves to no file: the locator leads nowhere (and the open must return, not spin).
        ExpectParentRefused(a, ParentNotFound);
    }

    [Test]
    public void ImageAsItsOwnParentIsACycle()
    {
        string folder = TestPaths.NewTempFolder("self");
        string child = WriteChild(folder, "child.vhd", ("W2ru", ".\\child.vhd"));
        var outcome = OpenWithin(child);
        // The child names itself: its unique id is not the recorded parent id, or the file repeats in the chain.
        Assert.That(outcome.Code, Is.EqualTo(ChainCycle).Or.EqualTo(0xC03A000Eu), outcome.ToString);
    }

    [Test]
    public void TwoFilesNamingEachOtherAreACycle()
    {
        // a's parent is b and b's parent is a, with matching ids: the chain would never end.
        string folder = TestPaths.NewTempFolder("cyc");
        Guid idA = Guid.NewGuid(), idB = Guid.NewGuid();
        var a = new CraftedVhd { DiskType = 4, VirtualSize = 1024 * 1024, BlockSize = 512 * 1024, UniqueId = idA, ParentUniqueId = idB, ParentName = "b.vhd", Locators = [("W2ru", ".\\b.vhd")], AllocatedBlocks = [] };
        var b = new CraftedVhd { DiskType = 4, VirtualSize = 1024 * 1024, BlockSize = 512 * 1024, UniqueId = idB, ParentUniqueId = idA, ParentName = "a.vhd", Locators = [("W2ru", ".\\a.vhd")], AllocatedBlocks = [] };
        string pathA = HostileFiles.Write(a.Build(), "a.vhd", folder);
        HostileFiles.Write(b.Build(), "b.vhd", folder);
        var outcome = OpenWithin(pathA);
        Assert.That(outcome.Code, Is.EqualTo(ChainCycle), outcome.ToString);
    }

    [Test]
    public void HardLinkOfTheChildAsParentIsACycle()
    {
        // Same inode under another name: identity is the file, not the path.
        string folder = TestPaths.NewTempFolder("hard");
        Guid id = Guid.NewGuid();
        var self = new CraftedVhd { DiskType = 4, VirtualSize = 1024 * 1024, BlockSize = 512 * 1024, UniqueId = id, ParentUniqueId = id, ParentName = "alias.vhd", Locators = [("W2ru", ".\\alias.vhd")], AllocatedBlocks = [] };
        string path = HostileFiles.Write(self.Build(), "self.vhd", folder);
        if (!TryHardLink(path, Path.Combine(folder, "alias.vhd"))) Assert.Ignore("hard links not supported here");
        var outcome = OpenWithin(path);
        Assert.That(outcome.Code, Is.EqualTo(ChainCycle), outcome.ToString);
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string created);

    private static bool TryHardLink(string existing, string created) => Link(existing, created) == 0;

    // ---------------- top-level paths of the wrong kind (docs/open-path.md §4 step 8) ----------------

    [TestCase("/dev/null")]
    [TestCase("/dev/zero")]
    public void DeviceFileAsImageIsRefused(string device)
    {
        foreach (var type in new[] { VirtualStorageType.Auto, VirtualStorageType.Vhd, VirtualStorageType.Vhdx, VirtualStorageType.Iso })
        {
            var outcome = OpenWithin(device, new VirtualDiskOpenOptions { StorageType = type, Access = VirtualDiskAccessMask.AttachRO });
            Assert.That(outcome.Code, Is.EqualTo(AccessDenied), () => $"{type.DeviceId}: {outcome}");
        }
    }

    [Test]
    public void SymlinkLoopAndDanglingLinkAsImageAreMissingFiles()
    {
        string folder = TestPaths.NewTempFolder("toploop");
        string a = Path.Combine(folder, "a.iso"), b = Path.Combine(folder, "b.iso");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        string dangling = Path.Combine(folder, "dangling.vhd");
        File.CreateSymbolicLink(dangling, Path.Combine(folder, "nothing-here.vhd"));
        // A loop (ELOOP) names no file: path not found; a dangling link names a missing file in an existing folder.
        Assert.That(OpenWithin(a).Code, Is.EqualTo(3u).Or.EqualTo(2u), "loop");
        Assert.That(OpenWithin(dangling).Code, Is.EqualTo(2u), "dangling");
    }

    [Test]
    public void FifoAndSocketAsImageAreRefusedWithoutHanging()
    {
        string folder = TestPaths.NewTempFolder("top");
        string fifo = MakeFifo(Path.Combine(folder, "disk.vhd"));
        using var socket = MakeSocket(Path.Combine(folder, "disk.iso"));
        Assert.That(OpenWithin(fifo).Code, Is.EqualTo(AccessDenied));
        Assert.That(OpenWithin(Path.Combine(folder, "disk.iso")).Code, Is.EqualTo(AccessDenied));
        string dir = Path.Combine(folder, "disk.vhdx");
        Directory.CreateDirectory(dir);
        Assert.That(OpenWithin(dir).Code, Is.EqualTo(AccessDenied));
    }

    // ---------------- RestrictParentsToChildFolder ----------------

    private static readonly VirtualDiskOpenOptions Restricted = new() { RestrictParentsToChildFolder = true };

    /// <summary>Writes the parent at <paramref name="parentRelative"/> (relative to root) and the child at root/tree/child.vhd with the given locator.</summary>
    private static (string Child, string Root) Layout(string parentRelative, (string Code, string Path) locator)
    {
        string root = TestPaths.NewTempFolder("tree");
        string tree = Path.Combine(root, "tree");
        Directory.CreateDirectory(tree);
        string parentPath = Path.GetFullPath(Path.Combine(root, parentRelative));
        Directory.CreateDirectory(Path.GetDirectoryName(parentPath)!);
        File.WriteAllBytes(parentPath, Parent.Build());
        var loc = (locator.Code, locator.Path.Replace("{root}", root));
        string child = WriteChild(tree, "not-beside-the-child.vhd", loc);
        return (child, root);
    }

    [Test]
    public void RestrictedParentInsideTheTreeOpens()
    {
        var (child, _) = Layout("tree/sub/parent.vhd", ("W2ru", ".\\sub\\parent.vhd"));
        var outcome = OpenWithin(child, Restricted);
        Assert.That(outcome.Failure, Is.Null, outcome.ToString);
    }

    [Test]
    public void RestrictedDotDotThatStaysInsideOpens()
    {
        var (child, _) = Layout("tree/parent.vhd", ("W2ru", ".\\sub\\..\\parent.vhd"));
        Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(child)!, "sub"));
        Assert.That(OpenWithin(child, Restricted).Failure, Is.Null);
    }

    [TestCase("W2ru", "..\\outside\\parent.vhd", TestName = "Restricted: relative ..\\ escape")]
    [TestCase("W2ru", ".\\..\\outside\\parent.vhd", TestName = "Restricted: relative .\\..\\ escape")]
    [TestCase("W2ru", "sub/../../outside/parent.vhd", TestName = "Restricted: relative sub/../../ escape")]
    [TestCase("W2ku", "{root}/outside/parent.vhd", TestName = "Restricted: absolute path outside")]
    public void RestrictedEscapeIsRefused(string code, string path)
    {
        var (child, _) = Layout("outside/parent.vhd", (code, path));
        // Without the option the same locator finds the parent (so the refusal below is the option's doing).
        var open = OpenWithin(child);
        Assert.That(open.Failure, Is.Null, "unrestricted: " + open);
        var restricted = OpenWithin(child, Restricted);
        Assert.That(restricted.Code, Is.EqualTo(ParentNotFound), restricted.ToString);
        Assert.That(restricted.Failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentOutsideAllowedTree));
    }

    [Test]
    public void RestrictedSymlinkPointingOutOfTheTreeIsRefused()
    {
        var (child, root) = Layout("outside/parent.vhd", ("W2ru", ".\\parent.vhd"));
        File.CreateSymbolicLink(Path.Combine(root, "tree", "parent.vhd"), Path.Combine(root, "outside", "parent.vhd"));
        Assert.That(OpenWithin(child).Failure, Is.Null, "unrestricted, the link is followed");
        var restricted = OpenWithin(child, Restricted);
        Assert.That(restricted.Code, Is.EqualTo(ParentNotFound), restricted.ToString);
        Assert.That(restricted.Failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentOutsideAllowedTree));
    }

    [Test]
    public void RestrictedSymlinkedFolderPointingOutOfTheTreeIsRefused()
    {
        var (child, root) = Layout("outside/parent.vhd", ("W2ru", ".\\linked\\parent.vhd"));
        Directory.CreateSymbolicLink(Path.Combine(root, "tree", "linked"), Path.Combine(root, "outside"));
        Assert.That(OpenWithin(child).Failure, Is.Null, "unrestricted, the link is followed");
        var restricted = OpenWithin(child, Restricted);
        Assert.That(restricted.Code, Is.EqualTo(ParentNotFound), restricted.ToString);
    }

    [Test]
    public void RestrictedSymlinkedFolderHigherUpThePathIsRefused()
    {
        // The link is not the parent's own folder but one above it: tree/linked -> outside, parent at linked/deeper/.
        var (child, root) = Layout("outside/deeper/parent.vhd", ("W2ru", ".\\linked\\deeper\\parent.vhd"));
        Directory.CreateSymbolicLink(Path.Combine(root, "tree", "linked"), Path.Combine(root, "outside"));
        Assert.That(OpenWithin(child).Failure, Is.Null, "unrestricted, the link is followed");
        var restricted = OpenWithin(child, Restricted);
        Assert.That(restricted.Code, Is.EqualTo(ParentNotFound), restricted.ToString);
    }

    [Test]
    public void RestrictedChildReachedThroughASymlinkedFolderStillFindsItsParent()
    {
        // The child's own folder is reached through a link: the tree is the real folder, and the parent inside it is accepted.
        var (child, root) = Layout("tree/parent.vhd", ("W2ru", ".\\parent.vhd"));
        string alias = Path.Combine(root, "alias");
        Directory.CreateSymbolicLink(alias, Path.Combine(root, "tree"));
        var outcome = OpenWithin(Path.Combine(alias, "child.vhd"), Restricted);
        Assert.That(outcome.Failure, Is.Null, outcome.ToString);
    }

    [Test]
    public void RealPathResolvesLinksAnywhereOnThePathAndStopsOnLoops()
    {
        string root = TestPaths.NewTempFolder("real");
        Directory.CreateDirectory(Path.Combine(root, "outside", "deeper"));
        File.WriteAllBytes(Path.Combine(root, "outside", "deeper", "f"), [1]);
        Directory.CreateDirectory(Path.Combine(root, "tree"));
        Directory.CreateSymbolicLink(Path.Combine(root, "tree", "linked"), Path.Combine(root, "outside"));
        Directory.CreateSymbolicLink(Path.Combine(root, "tree", "rel"), "../outside/deeper");
        File.CreateSymbolicLink(Path.Combine(root, "tree", "loop1"), Path.Combine(root, "tree", "loop2"));
        File.CreateSymbolicLink(Path.Combine(root, "tree", "loop2"), Path.Combine(root, "tree", "loop1"));
        string expected = Path.Combine(root, "outside", "deeper", "f");
        Assert.Multiple(() =>
        {
            Assert.That(VirtualDiskManaged.Chain.ParentResolver.RealPath(Path.Combine(root, "tree", "linked", "deeper", "f")), Is.EqualTo(expected));
            Assert.That(VirtualDiskManaged.Chain.ParentResolver.RealPath(Path.Combine(root, "tree", "rel", "f")), Is.EqualTo(expected));
            Assert.That(VirtualDiskManaged.Chain.ParentResolver.RealPath(Path.Combine(root, "tree", "loop1")), Is.Null);
            Assert.That(VirtualDiskManaged.Chain.ParentResolver.RealPath(expected), Is.EqualTo(expected));
        });
    }

    [Test]
    public void RestrictedSymlinkInsideTheTreeIsAccepted()
    {
        var (child, root) = Layout("tree/store/parent.vhd", ("W2ru", ".\\parent.vhd"));
        File.CreateSymbolicLink(Path.Combine(root, "tree", "parent.vhd"), Path.Combine(root, "tree", "store", "parent.vhd"));
        Assert.That(OpenWithin(child, Restricted).Failure, Is.Null);
    }
}
