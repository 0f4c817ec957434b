using System.Buffers.Binary;
#if VDM_WRITERS
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Vhdx;
#endif

namespace VirtualDiskManaged.Benchmarks.Support;

/// <summary>
/// Differencing images, made with the project's test writers (qemu-img cannot create VHD/VHDX differencing files),
/// over parents made by qemu-img. Parents are named by a relative locator (the child's folder).
/// </summary>
internal static class ChainBuilder
{
    /// <summary>A differencing child of <paramref name="parent"/> with no data of its own.</summary>
    public static void MakeEmptyChild(ImageKind kind, string parent, string target)
    {
#if VDM_WRITERS
        if (kind == ImageKind.VhdDifferencing) VhdChild(parent).Save(target);
        else VhdxEmptyChild(parent, target);
#else
        throw new NotSupportedException("The differencing writers are not linked into this build");
#endif
    }

    /// <summary>
    /// A three-level chain over the content image of the matching dynamic kind: level 2 overwrites 1 MiB in every
    /// 4 MiB (half of some blocks: mixed sector bitmaps), level 3 overwrites 64 KiB in every 1 MiB. Returns the top
    /// file and a raw file holding the chain's virtual content.
    /// </summary>
    public static (string Image, string Raw) ThreeLevelChain(ImageKind kind, string raw)
    {
#if VDM_WRITERS
        bool vhd = kind == ImageKind.VhdDifferencing;
        string ext = vhd ? ".vhd" : ".vhdx";
        string baseImage = BenchImages.WithContent(vhd ? ImageKind.VhdDynamic : ImageKind.VhdxDynamic).Image;
        string middleName = $"content-{kind}-level2{ext}".ToLowerInvariant();
        string topName = $"content-{kind}{ext}".ToLowerInvariant();
        string rawName = $"content-{kind}.raw".ToLowerInvariant();
        byte[] content = File.ReadAllBytes(raw);
        var level2 = Overwrites(content.Length, step: 4 << 20, at: 1 << 20, length: 1 << 20, seed: 2);
        var level3 = Overwrites(content.Length, step: 1 << 20, at: 512 << 10, length: 64 << 10, seed: 3);
        if (vhd)
        {
            var middle = VhdChild(baseImage);
            foreach (var (offset, data) in level2) middle.Write(offset, data);
            string middlePath = BenchImages.Make(middleName, t => middle.Save(t));
            var top = VhdWriter.NewDifferencing(FromFile(middlePath)).Locator(VhdWriter.W2ru, @".\" + middleName);
            top.ParentName = middleName;
            foreach (var (offset, data) in level3) top.Write(offset, data);
            string topPath = BenchImages.Make(topName, t => top.Save(t));
            return (topPath, BenchImages.Make(rawName, t => File.WriteAllBytes(t, Apply(content, level2, level3))));
        }
        string vhdxMiddle = BenchImages.Make(middleName, t => VhdxChild(baseImage, t, level2));
        string vhdxTop = BenchImages.Make(topName, t => VhdxChild(vhdxMiddle, t, level3));
        return (vhdxTop, BenchImages.Make(rawName, t => File.WriteAllBytes(t, Apply(content, level2, level3))));
#else
        throw new NotSupportedException("The differencing writers are not linked into this build");
#endif
    }

    /// <summary>Seeded random overwrites of <paramref name="length"/> bytes at <paramref name="at"/> in every <paramref name="step"/>.</summary>
    private static List<(long Offset, byte[] Data)> Overwrites(long size, int step, int at, int length, int seed)
    {
        var random = new Random(seed);
        var list = new List<(long, byte[])>();
        for (long o = 0; o + at + length <= size; o += step)
        {
            var data = new byte[length];
            random.NextBytes(data);
            list.Add((o + at, data));
        }
        return list;
    }

    private static byte[] Apply(byte[] content, params List<(long Offset, byte[] Data)>[] levels)
    {
        var result = (byte[])content.Clone();
        foreach (var level in levels)
            foreach (var (offset, data) in level) data.CopyTo(result, offset);
        return result;
    }

#if VDM_WRITERS
    /// <summary>A writer standing for an existing VHD file: its footer's unique id, time stamp and size (formats.md §A.2).</summary>
    private static VhdWriter FromFile(string path)
    {
        Span<byte> footer = stackalloc byte[512];
        using (var f = File.OpenRead(path))
        {
            f.Position = f.Length - 512;
            f.ReadExactly(footer);
        }
        var stand = VhdWriter.NewDynamic((long)BinaryPrimitives.ReadUInt64BigEndian(footer[48..]));
        stand.UniqueId = new Guid(footer.Slice(68, 16), bigEndian: true);
        stand.TimeStamp = BinaryPrimitives.ReadUInt32BigEndian(footer[24..]);
        return stand;
    }

    private static VhdWriter VhdChild(string parent)
    {
        string name = Path.GetFileName(parent);
        var child = VhdWriter.NewDifferencing(FromFile(parent)).Locator(VhdWriter.W2ru, @".\" + name);
        child.ParentName = name;
        return child;
    }

    private static void VhdxEmptyChild(string parent, string target) => VhdxChild(parent, target, []);

    private static void VhdxChild(string parent, string target, List<(long Offset, byte[] Data)> writes) =>
        throw new NotImplementedException("VHDX writer shape");
#else
    private static int Unused => BinaryPrimitives.ReadInt32BigEndian([0, 0, 0, 0]);
#endif
}
