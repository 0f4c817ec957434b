using System.Security.Cryptography;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Foundation;

public sealed class IsoSmokeTests
{
    [Test]
    public void CorpusIsoOpensAndStreamsTheFileItself()
    {
        var corpus = TestPaths.SharedCorpus;
        if (corpus is null) Assert.Ignore("../shared/corpus is absent");
        string iso = TestPaths.Gunzip(Path.Combine(corpus, "images/iso/iso-genisoimage-l1.iso.gz"));
        uint code = VirtDisk.OpenVirtualDisk(VirtualStorageType.Auto, iso, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            OpenVirtualDiskFlags.None, null, out var handle);
        Assert.That(code, Is.EqualTo(0u));
        using (handle)
        {
            Assert.That(handle!.VirtualSize, Is.EqualTo(new FileInfo(iso).Length));
            Assert.That(TestPaths.ContentSha256(handle), Is.EqualTo(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(iso))).ToLowerInvariant()));
        }
    }
}
