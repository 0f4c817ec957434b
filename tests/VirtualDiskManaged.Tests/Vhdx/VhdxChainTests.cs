using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;
using static VirtualDiskManaged.Tests.Vhdx.VhdxTestSupport;

namespace VirtualDiskManaged.Tests.Vhdx;

/// <summary>Differencing VHDX chains written by <see cref="VhdxWriter"/> (MS-VHDX §2.6.2.6, docs/open-path.md §10).</summary>
public sealed class VhdxChainTests
{
    private const long MiB = VhdxWriter.MiB;

    /// <summary>base (dynamic) ← mid (differencing) ← top (differencing), in one folder, with the model of each level.</summary>
    private static (string Folder, string Top, byte[] Expected, Guid BaseId, Guid MidId, Guid TopId) BuildChain(int sectorSize = 512, bool bareAbsolutePaths = false)
    {
        string folder = TestPaths.NewTempFolder("chain");
        long size = 8 * MiB;
        var baseWriter = new VhdxWriter(size, logicalSectorSize: sectorSize, physicalSectorSize: 4096);
        var model = new ModelDisk(baseWriter).Fill(0, 2 * (int)MiB, 0x10).Fill(5 * MiB, 8192, 0x11);
        Save(baseWriter, folder, "base.vhdx");

        var midWriter = new VhdxWriter(size, logicalSectorSize: sectorSize, physicalSectorSize: 4096)
        {
            Parent = new VhdxParentSpec(baseWriter.DataWriteGuid, @".\base.vhdx", AbsolutePath: bareAbsolutePaths ? "base.vhdx" : @"\\?\C:\nowhere\base.vhdx",
                VolumePath: @"\\?\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}\nowhere\base.vhdx"),
        };
        var mid = new ModelDisk(midWriter, model.Content)
            .Fill(4096, 4096, 0x20)                      // inside a base block: partially present
            .Fill(MiB - 4096, 8192, 0x21)                // across a block boundary
            .Fill(6 * MiB, (int)MiB, 0x22);              // a whole block: fully present
        Save(midWriter, folder, "mid.vhdx");

        var topWriter = new VhdxWriter(size, logicalSectorSize: sectorSize, physicalSectorSize: 4096)
        {
            // POSIX-style relative path (tools on Linux write these) and a stale absolute path.
            Parent = new VhdxParentSpec(midWriter.DataWriteGuid, "mid.vhdx", AbsolutePath: bareAbsolutePaths ? "mid.vhdx" : "/nonexistent/mid.vhdx"),
        };
        var top = new ModelDisk(topWriter, mid.Content)
            .Fill(8192, 4096, 0x30)
            .Fill(5 * MiB + 4096, 4096 * 3, 0x31);
        Save(topWriter, folder, "top.vhdx");
        return (folder, Path.Combine(folder, "top.vhdx"), top.Content, baseWriter.DataWriteGuid, midWriter.DataWriteGuid, topWriter.DataWriteGuid);
    }

    private static string Sha(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    [TestCase(512)]
    [TestCase(4096)]
    public void ThreeLevelChainReadsCorrectlyAfterAMove(int sectorSize)
    {
        var chain = BuildChain(sectorSize);
        string moved = chain.Folder + "-moved";
        Directory.Move(chain.Folder, moved);
        string top = Path.Combine(moved, "top.vhdx");
        using var disk = VirtualDisk.Open(top);
        Assert.That(disk.Subtype, Is.EqualTo(VirtualDiskProviderSubtype.Differencing));
        Assert.That(disk.Info.Chain.Select(f => Path.GetFileName(f.Path)), Is.EqualTo(new[] { "top.vhdx", "mid.vhdx", "base.vhdx" }));
        Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(Sha(chain.Expected)));
    }

    /// <summary>
    /// 7-Zip (which resolves VHDX parents through relative_path) extracts the same bytes. libvhdi 20210425 (vhdimount)
    /// is not used here: it reads the parent even for blocks that are present in the child (checked by hand: it
    /// disagrees with both 7-Zip and this library on every child-written sector).
    /// </summary>
    [Test]
    public void ChainMatches7Zip()
    {
        if (!TestPaths.HasTool("7zz")) Assert.Ignore("7zz is not installed");
        var chain = BuildChain();
        var psi = new System.Diagnostics.ProcessStartInfo("7zz") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "e", "-so", chain.Top }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), p.StandardError.ReadToEnd());
        Assert.That(Sha(ms.ToArray()), Is.EqualTo(Sha(chain.Expected)));
    }

    [Test]
    public void InformationOfADifferencingDisk()
    {
        var chain = BuildChain();
        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, chain.Top, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            OpenVirtualDiskFlags.None, null, out var handle);
        Assert.That(code, Is.EqualTo(0u));
        using (handle)
        {
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.ProviderSubtype, out var info), Is.EqualTo(0u));
            Assert.That(info.ProviderSubtype, Is.EqualTo(VirtualDiskProviderSubtype.Differencing));
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.Identifier, out info), Is.EqualTo(0u));
            Assert.That(info.Identifier, Is.EqualTo(chain.TopId));
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.ParentIdentifier, out info), Is.EqualTo(0u));
            Assert.That(info.Identifier, Is.EqualTo(chain.MidId));
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.ParentLocation, out info), Is.EqualTo(0u));
            Assert.That(info.ParentResolved, Is.True);
            Assert.That(info.ParentLocationBuffer, Is.EqualTo(new[] { Path.Combine(chain.Folder, "mid.vhdx") }));
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.VirtualStorageType, out info), Is.EqualTo(0u));
            Assert.That(info.VirtualStorageType.DeviceId, Is.EqualTo(3u));
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.Size, out info), Is.EqualTo(0u));
            Assert.That(info.VirtualSize, Is.EqualTo(8UL * 1024 * 1024));
            Assert.That(info.BlockSize, Is.EqualTo(1024u * 1024));
            Assert.That(info.SectorSize, Is.EqualTo(512u));
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.VhdPhysicalSectorSize, out info), Is.EqualTo(0u));
            Assert.That(info.VhdPhysicalSectorSize, Is.EqualTo(4096u));
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.Is4kAligned, out info), Is.EqualTo(0u));
            Assert.That(info.Is4kAligned, Is.True);
            Assert.That(VirtDisk.GetVirtualDiskInformation(handle!, GetVirtualDiskInfoVersion.VirtualDiskId, out info), Is.EqualTo(0u));
            Assert.That(info.Identifier, Is.Not.EqualTo(Guid.Empty));
            var top = handle!.Info.Top;
            Assert.That(top.ParentIdentifier, Is.EqualTo(chain.MidId));
            Assert.That(top.ParentLocators, Has.Some.StartsWith("relative_path: mid.vhdx"));
        }
    }

    [Test]
    public void WrongParentIdentityIsRefused()
    {
        string folder = TestPaths.NewTempFolder("chain");
        var parent = new VhdxWriter(4 * MiB).Fill(0, 4096, 1);
        Save(parent, folder, "p.vhdx");
        var child = new VhdxWriter(4 * MiB) { Parent = new VhdxParentSpec(Guid.NewGuid(), "p.vhdx") };
        string path = Save(child, folder, "c.vhdx");
        var e = Assert.Throws<VirtualDiskException>(() => VirtualDisk.Open(path).Dispose())!;
        Assert.That(e.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentIdMismatch));
        Assert.That(e.ErrorCode, Is.EqualTo(0xC03A000Eu));
        Assert.That(VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, path, VirtualDiskAccessMask.AttachRO, OpenVirtualDiskFlags.None, null, out _),
            Is.EqualTo(0xC03A000Eu));
    }

    [Test]
    public void ParentLinkage2IsAnAcceptedIdentity()
    {
        string folder = TestPaths.NewTempFolder("chain");
        var parent = new VhdxWriter(4 * MiB).Fill(0, 4096, 1);
        Save(parent, folder, "p.vhdx");
        var child = new VhdxWriter(4 * MiB) { Parent = new VhdxParentSpec(Guid.NewGuid(), "p.vhdx", Linkage2: parent.DataWriteGuid) };
        string path = Save(child, folder, "c.vhdx");
        using var disk = VirtualDisk.Open(path);
        var buffer = new byte[4096];
        disk.Read(0, buffer);
        Assert.That(buffer, Is.All.EqualTo(1));
    }

    [Test]
    public void MissingParentListsThePathsTried()
    {
        string folder = TestPaths.NewTempFolder("chain");
        var child = new VhdxWriter(4 * MiB) { Parent = new VhdxParentSpec(Guid.NewGuid(), @"sub\gone.vhdx", AbsolutePath: "/nope/gone.vhdx") };
        string path = Save(child, folder, "c.vhdx");
        Assert.That(VirtualDisk.TryOpen(path, null, out _, out VirtualDiskDiagnostic? failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentNotFound));
        Assert.That(failure.ErrorCode, Is.EqualTo(0xC03A000Du));
        Assert.That(failure.PathsTried, Is.EqualTo(new[] { Path.Combine(folder, "sub", "gone.vhdx"), "/nope/gone.vhdx" }));
    }

    [Test]
    public void VhdParentIsAFormatMismatch()
    {
        if (!TestPaths.HasTool("qemu-img")) Assert.Ignore("qemu-img is not installed");
        string folder = TestPaths.NewTempFolder("chain");
        string vhd = Path.Combine(folder, "p.vhd");
        var (rc, output) = Run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic", vhd, "4M");
        Assert.That(rc, Is.EqualTo(0), output);
        var child = new VhdxWriter(4 * MiB) { Parent = new VhdxParentSpec(Guid.NewGuid(), "p.vhd") };
        string path = Save(child, folder, "c.vhdx");
        Assert.That(VirtualDisk.TryOpen(path, null, out _, out VirtualDiskDiagnostic? failure), Is.False);
        Assert.That(failure!.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentFormatMismatch), failure.ToString());
    }

    [Test]
    public void DifferencingStates_NotPresentReadsParent_ZeroAndUnmappedReadZeros()
    {
        string folder = TestPaths.NewTempFolder("chain");
        var parent = new VhdxWriter(4 * MiB).Fill(0, 4 * (int)MiB, 0x55);
        Save(parent, folder, "p.vhdx");
        var child = new VhdxWriter(4 * MiB) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "p.vhdx") }
            .SetBlockState(1, VhdxWriter.Zero).SetBlockState(2, VhdxWriter.Unmapped);
        string path = Save(child, folder, "c.vhdx");
        var expected = new byte[4 * MiB];
        expected.AsSpan().Fill(0x55);
        expected.AsSpan((int)MiB, 2 * (int)MiB).Clear();
        using var disk = VirtualDisk.Open(path);
        Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(Sha(expected)));
    }

    [TestCase(512)]
    [TestCase(4096)]
    public void RandomSectorsInPartialBlocks_UnalignedReads(int sectorSize)
    {
        string folder = TestPaths.NewTempFolder("chain");
        long size = 6 * MiB;
        var parentWriter = new VhdxWriter(size, logicalSectorSize: sectorSize);
        var parent = new ModelDisk(parentWriter).Fill(0, (int)size, 0x70);
        Save(parentWriter, folder, "p.vhdx");
        var childWriter = new VhdxWriter(size, logicalSectorSize: sectorSize) { Parent = new VhdxParentSpec(parentWriter.DataWriteGuid, "p.vhdx") };
        var child = new ModelDisk(childWriter, parent.Content);
        var rng = new Random(sectorSize);
        for (int i = 0; i < 300; i++)
        {
            long sector = rng.NextInt64(size / sectorSize);
            int count = rng.Next(1, 20);
            count = (int)Math.Min(count, size / sectorSize - sector);
            child.Fill(sector * sectorSize, count * sectorSize, (byte)rng.Next(1, 255));
        }
        string path = Save(childWriter, folder, "c.vhdx");
        using var disk = VirtualDisk.Open(path);
        var buffer = new byte[300_000];
        for (long at = 0; at < size;)
        {
            int n = (int)Math.Min(rng.Next(1, buffer.Length), size - at);
            Assert.That(disk.Read(at, buffer.AsSpan(0, n)), Is.EqualTo(n));
            if (!buffer.AsSpan(0, n).SequenceEqual(child.Content.AsSpan((int)at, n)))
                Assert.Fail($"Bytes {at}..{at + n} differ");
            at += n;
        }
        Assert.That(TestPaths.ContentSha256(disk), Is.EqualTo(child.Sha256));
    }

    [Test]
    public void NoParentsOpensTheChildAlone()
    {
        var chain = BuildChain();
        using var disk = VirtualDisk.Open(chain.Top, new VirtualDiskOpenOptions { Flags = OpenVirtualDiskFlags.NoParents });
        Assert.That(disk.ParentsOmitted, Is.True);
        var buffer = new byte[4096];
        disk.Read(8192, buffer); // present in top
        Assert.That(buffer, Is.All.EqualTo(0x30));
        var e = Assert.Throws<VirtualDiskException>(() => disk.Read(0, buffer))!;
        Assert.That(e.Reason, Is.EqualTo(VirtualDiskErrorReason.ParentNotOpened));
    }
}
