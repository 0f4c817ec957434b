using System.Buffers.Binary;
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Vhdx;

namespace VirtualDiskManaged.Benchmarks.Support;

/// <summary>
/// Differencing images, made with the project's test writers (qemu-img cannot create VHD/VHDX differencing files),
/// over parents made by qemu-img. Parents are named by a relative locator (the child's folder).
/// </summary>
internal static class ChainBuilder
{
    /// <summary>A differencing child of <paramref name="parent"/> with no data of its own (VHDX: blocks of <paramref name="vhdxBlockSize"/>).</summary>
    public static void MakeEmptyChild(ImageKind kind, string parent, string target, uint vhdxBlockSize = 32u << 20)
    {
        if (kind == ImageKind.VhdDifferencing) VhdChild(parent).Save(target);
        else VhdxChild(parent, target, [], vhdxBlockSize);
    }

    /// <summary>
    /// A three-level chain over the content image of the matching dynamic kind: level 2 overwrites 1 MiB in every
    /// 4 MiB (half of some blocks: mixed sector bitmaps), level 3 overwrites 64 KiB in every 1 MiB. Returns the top
    /// file and a raw file holding the chain's virtual content.
    /// </summary>
    public static (string Image, string Raw) ThreeLevelChain(ImageKind kind, string raw)
    {
        bool vhd = kind == ImageKind.VhdDifferencing;
        string ext = vhd ? ".vhd" : ".vhdx";
        string baseImage = BenchImages.WithContent(vhd ? ImageKind.VhdDynamic : ImageKind.VhdxDynamic).Image;
        string middleName = $"content-{kind}-level2{ext}".ToLowerInvariant();
        string topName = $"content-{kind}{ext}".ToLowerInvariant();
        string rawName = $"content-{kind}.raw".ToLowerInvariant();
        // Built only when an image is missing (the writers hold the whole file in memory).
        var level2 = new Lazy<List<(long, byte[])>>(() => Overwrites(BenchImages.ContentSize, step: 4 << 20, at: 1 << 20, length: 1 << 20, seed: 2));
        var level3 = new Lazy<List<(long, byte[])>>(() => Overwrites(BenchImages.ContentSize, step: 1 << 20, at: 512 << 10, length: 64 << 10, seed: 3));
        string middlePath, topPath;
        if (vhd)
        {
            middlePath = BenchImages.Make(middleName, t =>
            {
                var middle = VhdChild(baseImage);
                foreach (var (offset, data) in level2.Value) middle.Write(offset, data);
                middle.Save(t);
            });
            topPath = BenchImages.Make(topName, t =>
            {
                var top = VhdWriter.NewDifferencing(FromFile(middlePath)).Locator(VhdWriter.W2ru, @".\" + middleName);
                top.ParentName = middleName;
                foreach (var (offset, data) in level3.Value) top.Write(offset, data);
                top.Save(t);
            });
        }
        else
        {
            middlePath = BenchImages.Make(middleName, t => VhdxChild(baseImage, t, level2.Value));
            topPath = BenchImages.Make(topName, t => VhdxChild(middlePath, t, level3.Value));
        }
        return (topPath, BenchImages.Make(rawName, t => File.WriteAllBytes(t, Apply(File.ReadAllBytes(raw), level2.Value, level3.Value))));
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

    /// <summary>A writer standing for an existing VHD file: its footer's unique id, time stamp and size (VHD spec "Hard Disk Footer Format").</summary>
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


    /// <summary>
    /// A differencing VHDX over <paramref name="parent"/> (linked by the parent's DataWriteGuid, found by a relative
    /// locator) holding <paramref name="writes"/>. Blocks are 32 MiB for the empty children unless asked otherwise
    /// (Hyper-V's dynamic default; it keeps a 64 TiB child's BAT at 17 MiB) and 2 MiB for the content chain (Hyper-V's
    /// differencing default).
    /// </summary>
    private static void VhdxChild(string parent, string target, List<(long Offset, byte[] Data)> writes, uint emptyBlockSize = 32u << 20)
    {
        var (size, dataWriteGuid) = VhdxIdentity(parent);
        uint blockSize = writes.Count == 0 ? emptyBlockSize : 2u << 20;
        var child = new VhdxWriter(size, blockSize)
        {
            Parent = new VhdxParentSpec(dataWriteGuid, @".\" + Path.GetFileName(parent)),
        };
        foreach (var (offset, data) in writes) child.Write(offset, data);
        child.Save(target);
    }

    /// <summary>The virtual size and the current header's DataWriteGuid of a VHDX file (MS-VHDX §2.2.2, §2.6.2), read independently.</summary>
    private static (long Size, Guid DataWriteGuid) VhdxIdentity(string path)
    {
        var head = new byte[320 << 10];
        using var f = File.OpenRead(path);
        f.ReadExactly(head);
        var h1 = head.AsSpan(64 << 10, 4096);
        var h2 = head.AsSpan(128 << 10, 4096);
        var current = BinaryPrimitives.ReadUInt64LittleEndian(h1[8..]) >= BinaryPrimitives.ReadUInt64LittleEndian(h2[8..]) ? h1 : h2;
        var dataWriteGuid = new Guid(current.Slice(32, 16));
        long metadataAt = Parsers.VhdxMetadataOffset(head);
        var table = new byte[64 << 10];
        f.Position = metadataAt;
        f.ReadExactly(table);
        var sizeItem = new Guid("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(10));
        for (int i = 0; i < count; i++)
        {
            var e = table.AsSpan(32 + 32 * i, 32);
            if (new Guid(e[..16]) != sizeItem) continue;
            var value = new byte[8];
            f.Position = metadataAt + BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
            f.ReadExactly(value);
            return ((long)BinaryPrimitives.ReadUInt64LittleEndian(value), dataWriteGuid);
        }
        throw new InvalidOperationException($"{path}: no virtual disk size item");
    }
}
