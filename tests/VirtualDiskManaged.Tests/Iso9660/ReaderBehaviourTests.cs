using System.Buffers.Binary;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;
using static VirtualDiskManaged.Tests.Iso9660.CraftedIsoImage;

namespace VirtualDiskManaged.Tests.Iso9660;

/// <summary>Laziness, thread safety and the RRIP fields each crafted record was written with (IEEE P1282 §4.1).</summary>
public sealed class ReaderBehaviourTests
{
    [Test]
    public void A100000EntryDirectoryIsEnumeratedLazily()
    {
        const int count = 100_000;
        var records = Enumerable.Range(0, count).Select(i => Record(0, 0, 0, Name($"F{i:D6}.;1"))).ToList();
        int sectors = (records.Sum(r => r.Length) + 68) / (Sector - 40) + 2;
        var iso = new CraftedIsoImage(20 + sectors + 1);
        iso.Descriptor(16, 1, 20, (uint)(sectors * Sector)).Terminator(17);
        iso.Directory(20, 20, (uint)(sectors * Sector), sectors, records);
        using var fs = CraftedStructureTests.Open(iso.Image);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var first = fs.EnumerateDirectory(fs.Root).Take(10).ToList();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(256 << 10), "the first entries cost the same whatever the directory's size");
        Assert.That(first.Select(e => e.Name).First(), Is.EqualTo("F000000"));
        // The whole directory, counted without keeping entries: allocation grows per entry, never a buffer of the directory.
        int n = 0;
        foreach (var _ in fs.EnumerateDirectory(fs.Root)) n++;
        Assert.That(n, Is.EqualTo(count));
        Assert.That(fs.GetEntry("/f099999").Name, Is.EqualTo("F099999"), "ISO 9660 lookup ignores case");
    }

    [Test]
    public void ManyThreadsEnumerateAndReadOneReader()
    {
        var iso = Features();
        using var fs = CraftedStructureTests.Open(iso.Image);
        var expected = CraftedStructureTests.ReadAll(fs, "/z.txt");
        int entries = fs.EnumerateTree().Count();
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 16, i =>
        {
            for (int k = 0; k < 20; k++)
            {
                if (fs.EnumerateTree().Count() != entries) errors.Add("listing");
                if (!CraftedStructureTests.ReadAll(fs, "/z.txt").AsSpan().SequenceEqual(expected)) errors.Add("z.txt");
                _ = fs.BootCatalog!.Entries.Count;
            }
        });
        Assert.That(errors, Is.Empty);
    }

    [Test]
    public void RripFieldsAndFlagsAreExposed()
    {
        var iso = new CraftedIsoImage(30);
        iso.Descriptor(16, 1, 20, Sector).Terminator(17);
        var px44 = new byte[40];
        void Both(int at, uint v) { BinaryPrimitives.WriteUInt32LittleEndian(px44.AsSpan(at), v); BinaryPrimitives.WriteUInt32BigEndian(px44.AsSpan(at + 4), v); }
        Both(0, 0x21B0); Both(8, 1); Both(16, 1000); Both(24, 100); Both(32, 4242); // character device, uid 1000, gid 100, serial 4242
        var pn = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(pn, 0); BinaryPrimitives.WriteUInt32BigEndian(pn.AsSpan(4), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(pn.AsSpan(8), 0x0103); BinaryPrimitives.WriteUInt32BigEndian(pn.AsSpan(12), 0x0103); // old 16-bit form: major 1, minor 3
        // TF long form (0x80) with MODIFY and ACCESS: two 17-byte dates.
        var tf = new List<byte> { 0x86 };
        tf.AddRange("2024030405060700"u8.ToArray()); tf.Add(4);   // 2024-03-04 05:06:07 +01:00
        tf.AddRange("2025010100000000"u8.ToArray()); tf.Add(0);
        var records = new[]
        {
            Record(0, 0, 0, Name("NULL.;1"), Cat(Entry("PX", px44), Entry("PN", pn), Entry("TF", tf.ToArray()), Nm("null"))),
            Record(25, 3, 0x01, Name("HIDDEN.;1"), Cat(Px(0x81A4), Nm("hidden"))),
            Record(26, 4, 0x04, Name("HIDDEN.;1"), Cat(Px(0x81A4), Nm("hidden"))),
            Record(0, 0, 0, Name("FIFO.;1"), Cat(Px(0x11A4), Nm("fifo"))),
            Record(0, 0, 0, Name("DOTS.;1"), Cat(Px(0xA1FF), Nm("dots"), Entry("SL", [0, 4, 0, 0, 6, .. "x.conf"u8]))),
        };
        iso.Directory(20, 20, Sector, 1, records, Cat(Sp(), Px(0x41ED), Er()));
        "abc"u8.CopyTo(iso.At(25));
        "assoc"u8.CopyTo(iso.At(26));
        using var fs = CraftedStructureTests.Open(iso.Image);
        var dev = fs.GetEntry("/null");
        Assert.That(dev.Kind, Is.EqualTo(FileSystemEntryKind.CharacterDevice));
        Assert.That((dev.Mode, dev.UserId, dev.GroupId, dev.LinkCount, dev.SerialNumber), Is.EqualTo(((int?)0x1B0, (long?)1000, (long?)100, (long?)1, (long?)4242)));
        Assert.That(dev.DeviceNumber, Is.EqualTo(1L << 32 | 3));
        Assert.That(dev.ModificationTime, Is.EqualTo(new DateTimeOffset(2024, 3, 4, 5, 6, 7, TimeSpan.FromHours(1))));
        Assert.That(dev.AccessTime, Is.EqualTo(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        var hidden = fs.EnumerateDirectory(fs.Root).Where(e => e.Name == "hidden").ToList();
        Assert.That(hidden.Select(e => (e.IsHidden, e.IsAssociated)), Is.EqualTo(new[] { (true, false), (false, true) }));
        Assert.That(fs.GetEntry("/hidden").IsAssociated, Is.False, "a lookup returns the main file, not the associated one");
        Assert.That(fs.GetEntry("/fifo").Kind, Is.EqualTo(FileSystemEntryKind.Fifo));
        // SL components (PARENT, "") then (0, "x.conf"), joined with "/" (IEEE P1282 §4.1.3.1).
        Assert.That(fs.GetEntry("/dots").SymlinkTarget, Is.EqualTo("../x.conf"));
        Assert.That(fs.Verify(), Is.Empty);
    }
}
