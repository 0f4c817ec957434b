using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.Tests.Udf;

/// <summary>Which partition layout <see cref="UdfTestWriter"/> records.</summary>
public enum UdfTestLayout
{
    /// <summary>One Type 1 map (ECMA-167 3/10.7.2).</summary>
    Physical,
    /// <summary>Type 1 + metadata map with metadata file and mirror (OSTA UDF 2.60 §2.2.10, 2.50+).</summary>
    Metadata,
    /// <summary>Type 1 + virtual map with a UDF 1.50 VAT (OSTA UDF 1.50 §2.2.10).</summary>
    Virtual15,
    /// <summary>Type 1 + virtual map with a UDF 2.00+ VAT (OSTA UDF 2.60 §2.2.11).</summary>
    Virtual20,
    /// <summary>A sparable map with one sparing table that reallocates one packet (OSTA UDF 2.60 §2.2.9, §2.2.12).</summary>
    Sparable,
}

/// <summary>
/// Crafts UDF images straight from ECMA-167 3rd edition and OSTA UDF 2.60 (as VhdxWriter does for VHDX logs), for what
/// no tool here writes: metadata partitions with a mirror, VAT volumes with files, sparable volumes with a remapped
/// packet, named streams, strategy-4096 ICBs, and deliberately broken structures. It shares no code with the reader.
/// Offsets of the structures it wrote are in <see cref="Offsets"/> so tests can corrupt them.
/// </summary>
internal sealed class UdfTestWriter
{
    private sealed class Node
    {
        public required string Name;
        public bool IsDirectory;
        public byte[] Data = [];
        public string? SymlinkTarget;
        public List<Node> Children = [];
        public List<(string Name, byte[] Data)> Streams = [];
        public uint IcbLbn;
    }

    private readonly Node _root = new() { Name = "", IsDirectory = true };
    private readonly Dictionary<uint, byte[]> _physical = [];
    private uint _nextPhysical;
    private readonly List<uint> _vat = [];
    private uint _nextMeta;
    private const uint PartitionStart = 288;
    private uint _metaMainStart, _metaMirrorStart;

    public UdfTestWriter(UdfTestLayout layout = UdfTestLayout.Physical, int blockSize = 2048)
    {
        Layout = layout;
        BlockSize = blockSize;
    }

    public UdfTestLayout Layout { get; }
    public int BlockSize { get; }
    public ushort Revision { get; init; } = 0x0201;
    public bool Extended { get; init; } = true;
    public string Label { get; init; } = "CRAFTED";
    /// <summary>Data up to this size is embedded in its ICB (4/14.6.8 allocation type 3).</summary>
    public int EmbedLimit { get; init; } = 64;
    /// <summary>Use strategy 4096 (an ICB of two blocks: the entry and a Terminal Entry, 4/14.8).</summary>
    public bool Strategy4096 { get; init; }
    /// <summary>Split every file's data into extents of at most this many blocks.</summary>
    public int MaxExtentBlocks { get; init; } = int.MaxValue;
    /// <summary>Put every file's allocation descriptors in an Allocation Extent Descriptor (4/14.5).</summary>
    public bool UseAed { get; init; }
    public bool IntegrityOpen { get; init; }
    /// <summary>Blocks of the metadata file (and of its mirror) for the metadata layout.</summary>
    public uint MetadataBlocks { get; init; } = 256;
    private uint MetaCapacity => MetadataBlocks;

    /// <summary>Byte offsets of what was written (e.g. "fsd", "root", "/a.txt", "/a.txt:data", "aed:/a.txt", "lvd", "meta-main", "vat", "sparing").</summary>
    public Dictionary<string, long> Offsets { get; } = [];

    public UdfTestWriter Directory(string path) { Find(path, true, create: true); return this; }

    public UdfTestWriter File(string path, byte[] data)
    {
        var (parent, name) = Parent(path);
        parent.Children.Add(new Node { Name = name, Data = data });
        return this;
    }

    public UdfTestWriter Symlink(string path, string target)
    {
        var (parent, name) = Parent(path);
        parent.Children.Add(new Node { Name = name, SymlinkTarget = target });
        return this;
    }

    public UdfTestWriter Stream(string path, string name, byte[] data)
    {
        Find(path, false, create: false).Streams.Add((name, data));
        return this;
    }

    private (Node Parent, string Name) Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return (Find(path[..slash], true, create: true), path[(slash + 1)..]);
    }

    private Node Find(string path, bool directory, bool create)
    {
        var node = _root;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = node.Children.FirstOrDefault(c => c.Name == part);
            if (next is null)
            {
                if (!create) throw new ArgumentException(path);
                next = new Node { Name = part, IsDirectory = directory };
                node.Children.Add(next);
            }
            node = next;
        }
        return node;
    }

    // ---------------------------------------------------------------- layout

    private ushort MetaPrn => Layout is UdfTestLayout.Metadata or UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20 ? (ushort)1 : (ushort)0;

    private uint AllocPhysical(uint count)
    {
        uint at = _nextPhysical;
        _nextPhysical += count;
        return at;
    }

    /// <summary>A block for descriptors/directories: its LBN in the metadata-holding partition.</summary>
    private uint AllocMeta()
    {
        switch (Layout)
        {
            case UdfTestLayout.Metadata:
                if (_nextMeta >= MetaCapacity) throw new InvalidOperationException("metadata capacity");
                return _nextMeta++;
            case UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20:
                _vat.Add(AllocPhysical(1));
                return (uint)(_vat.Count - 1);
            default:
                return AllocPhysical(1);
        }
    }

    /// <summary>An ICB: one block, two with strategy 4096 (the entry, then a Terminal Entry).</summary>
    private uint AllocIcb()
    {
        uint icb = AllocMeta();
        if (Strategy4096) AllocMeta();
        return icb;
    }

    private void PutMeta(uint lbn, byte[] block)
    {
        switch (Layout)
        {
            case UdfTestLayout.Metadata:
                _physical[_metaMainStart + lbn] = block;
                _physical[_metaMirrorStart + lbn] = (byte[])block.Clone();
                break;
            case UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20:
                _physical[_vat[(int)lbn]] = block;
                break;
            default:
                _physical[lbn] = block;
                break;
        }
    }

    private long MetaOffset(uint lbn) => Layout switch
    {
        UdfTestLayout.Metadata => (PartitionStart + _metaMainStart + lbn) * (long)BlockSize,
        UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20 => (PartitionStart + _vat[(int)lbn]) * (long)BlockSize,
        _ => (PartitionStart + lbn) * (long)BlockSize,
    };

    /// <summary>Writes the image.</summary>
    public byte[] Build()
    {
        int bs = BlockSize;
        if (Layout == UdfTestLayout.Metadata)
        {
            AllocPhysical(2); // metadata FE (0) and mirror FE (1)
            _metaMainStart = AllocPhysical(MetaCapacity);
            _metaMirrorStart = AllocPhysical(MetaCapacity);
        }
        uint fsd = AllocMeta();
        WriteTree(_root, "/", parentIcb: 0, isRoot: true);
        var fsdBlock = new byte[bs];
        WriteFsd(fsdBlock, fsd);
        PutMeta(fsd, fsdBlock);
        Offsets["fsd"] = MetaOffset(fsd);

        uint partitionLength;
        byte[]? sparing = null;
        uint sparingSector = 0;
        if (Layout == UdfTestLayout.Metadata)
        {
            _physical[0] = FileEntryFor(UdfFileType.Metadata, 0, MetaCapacity * (long)bs, [(MetaCapacity * (uint)bs, _metaMainStart)], 0, 0);
            _physical[1] = FileEntryFor(UdfFileType.MetadataMirror, 1, MetaCapacity * (long)bs, [(MetaCapacity * (uint)bs, _metaMirrorStart)], 0, 0);
            Offsets["meta-main"] = PartitionStart * (long)bs;
            Offsets["meta-mirror"] = (PartitionStart + 1) * (long)bs;
            Offsets["meta-main-data"] = (PartitionStart + _metaMainStart) * (long)bs;
        }
        if (Layout == UdfTestLayout.Sparable)
        {
            // One packet (16 blocks) reallocated: the first packet holding file data goes to spare sectors after the partition.
            uint firstData = _dataStart;
            uint packet = firstData - firstData % 16;
            AllocPhysical(16);
            while (_nextPhysical % 16 != 0) AllocPhysical(1);
            partitionLength = _nextPhysical;
            uint spareSector = PartitionStart + partitionLength;
            sparingSector = spareSector + 16;
            // Copy the packet's blocks to the spare area; garbage stays at the original place.
            for (uint i = 0; i < 16; i++)
            {
                _spare[i] = _physical.TryGetValue(packet + i, out var b) ? b : new byte[bs];
                _physical[packet + i] = Enumerable.Repeat((byte)0xEE, bs).ToArray();
            }
            _sparePacket = packet;
            _spareSector = spareSector;
            sparing = SparingTable(sparingSector, packet, spareSector);
        }
        else if (Layout is UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20)
        {
            // The VAT file entry is the last sector recorded (OSTA UDF 2.60 §2.2.11).
            var vatData = VatData(out byte vatType);
            byte[] vatFe;
            uint vatLbn;
            if (vatData.Length <= BlockSize - 216)
            {
                vatLbn = AllocPhysical(1);
                vatFe = Entry(vatType, vatLbn, vatData.Length, 3, vatData, null);
            }
            else
            {
                uint blocks = (uint)((vatData.Length + bs - 1) / bs);
                uint start = AllocPhysical(blocks);
                for (uint i = 0; i < blocks; i++)
                {
                    var b = new byte[bs];
                    vatData.AsSpan((int)(i * bs), Math.Min(bs, vatData.Length - (int)(i * bs))).CopyTo(b);
                    _physical[start + i] = b;
                }
                vatLbn = AllocPhysical(1);
                // The VAT FE lives in the physical partition (reference 0), its short_ads too.
                vatFe = EntryIn(0, vatType, vatLbn, vatData.Length, [((uint)vatData.Length, start)]);
            }
            partitionLength = _nextPhysical;
            _physical[vatLbn] = vatFe;
            Offsets["vat"] = (PartitionStart + vatLbn) * (long)bs;
        }
        else partitionLength = _nextPhysical + 16;

        long sectors = PartitionStart + partitionLength + (sparing is not null ? 17 : 0) + (Layout is UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20 ? 0 : 257);
        var image = new byte[sectors * bs];
        // Volume recognition (ECMA-167 2/9): BEA01, NSR0x, TEA01 from byte 32768, one per max(bs, 2048) bytes.
        int stride = Math.Max(bs, 2048);
        string nsr = Revision >= 0x0200 ? "NSR03" : "NSR02";
        int vi = 0;
        foreach (var id in new[] { "BEA01", nsr, "TEA01" })
        {
            int o = 32768 + stride * vi++;
            image[o] = 0;
            Encoding.ASCII.GetBytes(id).CopyTo(image, o + 1);
            image[o + 6] = 1;
        }
        long Sector(long s) => s * bs;
        uint mainVds = (uint)(65536 / bs) + 16, reserveVds = mainVds + 16, lvidSector = reserveVds + 16;
        foreach (uint start in new[] { mainVds, reserveVds })
        {
            WriteVds(image, start, partitionLength, sparingSector, lvidSector);
        }
        Offsets["lvd"] = Sector(mainVds + 2);
        Offsets["pd"] = Sector(mainVds + 1);
        Offsets["reserve-lvd"] = Sector(reserveVds + 2);
        WriteLvid(image, lvidSector, partitionLength);
        Offsets["lvid"] = Sector(lvidSector);
        // Anchors: 256, and the last sector (and N-256) unless the disc is an unclosed VAT disc.
        WriteAvdp(image, 256, mainVds, reserveVds);
        Offsets["avdp"] = Sector(256);
        if (Layout is not (UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20))
        {
            WriteAvdp(image, sectors - 1, mainVds, reserveVds);
            WriteAvdp(image, sectors - 257, mainVds, reserveVds);
        }
        foreach (var (lbn, block) in _physical) block.CopyTo(image, Sector(PartitionStart + lbn));
        if (sparing is not null)
        {
            for (uint i = 0; i < 16; i++) _spare[i].CopyTo(image, Sector(_spareSector + i));
            sparing.CopyTo(image, Sector(sparingSector));
            Offsets["sparing"] = Sector(sparingSector);
        }
        return image;
    }

    private readonly byte[][] _spare = new byte[16][];
    private uint _sparePacket, _spareSector, _dataStart = uint.MaxValue;

    // ---------------------------------------------------------------- tree

    private static class UdfFileType
    {
        public const byte Directory = 4, File = 5, Symlink = 12, StreamDirectory = 13, Vat = 248, Metadata = 250, MetadataMirror = 251;
    }

    private void WriteTree(Node dir, string path, uint parentIcb, bool isRoot)
    {
        uint icb = AllocIcb();
        dir.IcbLbn = icb;
        if (isRoot) parentIcb = icb;
        foreach (var c in dir.Children)
        {
            string childPath = path == "/" ? "/" + c.Name : path + "/" + c.Name;
            if (c.IsDirectory) WriteTree(c, childPath, icb, false);
            else WriteFile(c, childPath);
        }
        // Directory data: the parent FID, then one FID per child (4/14.4; OSTA UDF 2.60 §2.3.4).
        var fids = new List<byte[]> { Fid(0, 8 | 2, parentIcb, null) };
        foreach (var c in dir.Children) fids.Add(Fid(0, (byte)(c.IsDirectory ? 2 : 0), c.IcbLbn, c.Name));
        WriteDataEntry(icb, dir.IsDirectory ? UdfFileType.Directory : UdfFileType.File, path, fids, isDirectory: true, streams: null);
        Offsets[isRoot ? "root" : path] = MetaOffset(icb);
    }

    private void WriteFile(Node f, string path)
    {
        uint icb = AllocIcb();
        f.IcbLbn = icb;
        uint streamDir = 0;
        if (f.Streams.Count > 0)
        {
            streamDir = AllocIcb();
            var fids = new List<byte[]> { Fid(0, 8 | 2, icb, null) };
            foreach (var (name, data) in f.Streams)
            {
                uint s = AllocIcb();
                WriteDataEntry(s, UdfFileType.File, path + ":" + name, [data], false, null);
                fids.Add(Fid(0, 0, s, name));
                _pendingFidFix.Add(fids[^1]);
            }
            WriteDataEntry(streamDir, UdfFileType.StreamDirectory, path + "::streams", fids, true, null);
        }
        if (f.SymlinkTarget is not null)
        {
            WriteDataEntry(icb, UdfFileType.Symlink, path, [PathComponents(f.SymlinkTarget)], false, null);
        }
        else WriteDataEntry(icb, UdfFileType.File, path, [f.Data], false, streamDir == 0 ? null : streamDir);
        Offsets[path] = MetaOffset(icb);
    }

    private readonly List<byte[]> _pendingFidFix = [];

    private static byte[] PathComponents(string target)
    {
        var ms = new MemoryStream();
        var parts = target.Split('/');
        int i = 0;
        if (target.StartsWith('/')) { ms.Write([2, 0, 0, 0]); i = 1; }
        for (; i < parts.Length; i++)
        {
            if (parts[i] == "..") ms.Write([3, 0, 0, 0]);
            else if (parts[i] == ".") ms.Write([4, 0, 0, 0]);
            else if (parts[i].Length > 0)
            {
                var name = Cs0(parts[i]);
                ms.Write([5, (byte)name.Length, 0, 0]);
                ms.Write(name);
            }
        }
        return ms.ToArray();
    }

    /// <summary>The FE/EFE at <paramref name="icb"/> whose content is the concatenation of <paramref name="pieces"/>.</summary>
    private void WriteDataEntry(uint icb, byte fileType, string path, List<byte[]> pieces, bool isDirectory, uint? streams)
    {
        int bs = BlockSize;
        var content = pieces.SelectMany(p => p).ToArray();
        int header = Extended ? 216 : 176;
        byte[] block;
        if (content.Length <= Math.Min(EmbedLimit, bs - header))
        {
            // FIDs in an embedded directory carry the ICB's own block as their tag location.
            FixFidLocations(pieces, _ => icb);
            content = pieces.SelectMany(p => p).ToArray();
            block = Entry(fileType, icb, content.Length, 3, content, streams);
        }
        else
        {
            uint blocks = (uint)((content.Length + bs - 1) / bs);
            bool inMeta = isDirectory;
            var extents = new List<(uint Length, uint Lbn)>();
            uint[] lbns = new uint[blocks];
            if (inMeta)
                for (int i = 0; i < blocks; i++) lbns[i] = AllocMeta();
            else
            {
                uint start = AllocPhysical(blocks);
                if (_dataStart == uint.MaxValue) _dataStart = start;
                for (uint i = 0; i < blocks; i++) lbns[i] = start + i;
            }
            if (isDirectory)
            {
                long at = 0;
                var starts = new List<long>();
                foreach (var p in pieces) { starts.Add(at); at += p.Length; }
                FixFidLocations(pieces, idx => lbns[starts[idx] / bs]);
                content = pieces.SelectMany(p => p).ToArray();
            }
            for (int i = 0; i < blocks; i++)
            {
                var b = new byte[bs];
                content.AsSpan(i * bs, Math.Min(bs, content.Length - i * bs)).CopyTo(b);
                if (inMeta) PutMeta(lbns[i], b); else _physical[lbns[i]] = b;
            }
            // Extents: runs of consecutive blocks, cut at MaxExtentBlocks.
            long remaining = content.Length;
            for (int i = 0; i < blocks;)
            {
                int j = i + 1;
                while (j < blocks && lbns[j] == lbns[j - 1] + 1 && j - i < MaxExtentBlocks) j++;
                uint len = (uint)Math.Min(remaining, (long)(j - i) * bs);
                extents.Add((len, lbns[i]));
                remaining -= len;
                i = j;
            }
            // Directories live in the metadata-holding partition (short_ad); file data is in the physical partition
            // (long_ad with reference 0 when that is another partition).
            bool longAd = !inMeta && MetaPrn != 0;
            block = Entry(fileType, icb, content.Length, longAd ? 1 : 0, null, streams, extents, path);
        }
        if (Strategy4096)
        {
            // 4/14.6.2: strategy 4096, one direct entry then a Terminal Entry in the ICB's next block.
            BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(16 + 4), 4096);
            BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(16 + 8), 2);
            Seal(block, Extended ? 266 : 261, icb, CrcLengthOf(block));
            var te = new byte[bs];
            IcbTag(te, 11, 0, 4096, 1);
            Seal(te, 260, icb + 1, 20);
            PutMeta(icb + 1, te);
        }
        PutMeta(icb, block);
    }

    private void FixFidLocations(List<byte[]> pieces, Func<int, uint> location)
    {
        for (int i = 0; i < pieces.Count; i++)
        {
            var p = pieces[i];
            if (p.Length >= 38 && BinaryPrimitives.ReadUInt16LittleEndian(p) == 257)
                Seal(p, 257, location(i), p.Length - 16);
        }
    }

    private int CrcLengthOf(byte[] block) => BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(10));

    private byte[] Entry(byte fileType, uint lbn, long length, int adForm, byte[]? embedded, uint? streams, List<(uint Length, uint Lbn)>? extents = null, string? path = null)
    {
        int bs = BlockSize;
        var b = new byte[bs];
        int header = Extended ? 216 : 176;
        IcbTag(b, fileType, (ushort)adForm, 4, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(36), 1000); // uid
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(40), 100); // gid
        // Permissions 4/14.9.5: owner rwx (bits 10-12 + delete/attr), group r-x, other r-x → mode 0755.
        uint perms = fileType == UdfFileType.Directory ? 0x14A5u | 0x0C00 : 0x1084u | 0x0C00 | 0x0021 | 0x0400;
        perms = (uint)(0b00111 << 10 | 0b00101 << 5 | 0b00101);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(44), perms);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(48), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(56), (ulong)length);
        int timeBase = Extended ? 80 : 72;
        for (int t = 0; t < (Extended ? 4 : 3); t++) Timestamp(b.AsSpan(timeBase + 12 * t));
        if (Extended)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64), (ulong)length); // object size
            if (streams is uint s)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(152), (uint)bs);
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(156), s);
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(160), MetaPrn);
            }
        }
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(Extended ? 200 : 160), fileType >= 250 ? 0 : 16 + lbn);
        int ad;
        if (embedded is not null)
        {
            embedded.CopyTo(b, header);
            ad = embedded.Length;
        }
        else
        {
            var area = new MemoryStream();
            foreach (var (len, at) in extents ?? [])
            {
                var d = new byte[adForm == 1 ? 16 : 8];
                BinaryPrimitives.WriteUInt32LittleEndian(d, len);
                BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(4), at);
                area.Write(d);
            }
            var ads = area.ToArray();
            if (UseAed && path is not null && ads.Length > 0)
            {
                // 4/14.5: the descriptors move to an AED; the entry keeps one type-3 descriptor pointing at it.
                uint aedLbn = AllocMeta();
                var aed = new byte[bs];
                BinaryPrimitives.WriteUInt32LittleEndian(aed.AsSpan(20), (uint)ads.Length);
                ads.CopyTo(aed, 24);
                Seal(aed, 258, aedLbn, 8 + ads.Length);
                PutMeta(aedLbn, aed);
                Offsets["aed:" + path] = MetaOffset(aedLbn);
                var pointer = new byte[adForm == 1 ? 16 : 8];
                BinaryPrimitives.WriteUInt32LittleEndian(pointer, (3u << 30) | (uint)bs);
                BinaryPrimitives.WriteUInt32LittleEndian(pointer.AsSpan(4), aedLbn);
                if (adForm == 1) BinaryPrimitives.WriteUInt16LittleEndian(pointer.AsSpan(8), MetaPrn);
                ads = pointer;
                if (adForm == 1 && MetaPrn != 0) { }
            }
            else if (adForm == 1)
                for (int i = 0; i < ads.Length; i += 16) BinaryPrimitives.WriteUInt16LittleEndian(ads.AsSpan(i + 8), 0);
            ads.CopyTo(b, header);
            ad = ads.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(Extended ? 212 : 172), (uint)ad);
        Seal(b, Extended ? 266 : 261, lbn, header + ad - 16);
        return b;
    }

    private byte[] FileEntryFor(byte fileType, uint lbn, long length, List<(uint Length, uint Lbn)> extents, int _, int __)
        => Entry(fileType, lbn, length, 0, null, null, extents);

    private static void IcbTag(byte[] b, byte fileType, ushort flags, ushort strategy, ushort maxEntries)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16 + 4), strategy);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16 + 8), maxEntries);
        b[16 + 11] = fileType;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16 + 18), flags);
    }

    private byte[] Fid(ushort partition, byte characteristics, uint icbLbn, string? name)
    {
        var id = name is null ? [] : Cs0(name);
        int total = (38 + id.Length + 3) & ~3;
        var f = new byte[total];
        BinaryPrimitives.WriteUInt16LittleEndian(f, 257);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(16), 1);
        f[18] = characteristics;
        f[19] = (byte)id.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(20), (uint)BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(24), icbLbn);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(28), MetaPrn);
        id.CopyTo(f, 38);
        _ = partition;
        return f;
    }

    /// <summary>OSTA compressed Unicode (OSTA UDF 2.60 §2.1.1): id 8 when every char is below 256, else 16 (big-endian).</summary>
    public static byte[] Cs0(string s)
    {
        if (s.All(c => c < 256)) return [8, .. s.Select(c => (byte)c)];
        var r = new byte[1 + 2 * s.Length];
        r[0] = 16;
        for (int i = 0; i < s.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(1 + 2 * i), s[i]);
        return r;
    }

    private static void DString(Span<byte> field, string s)
    {
        var c = Cs0(s);
        c.AsSpan(0, Math.Min(c.Length, field.Length - 1)).CopyTo(field);
        field[^1] = (byte)Math.Min(c.Length, field.Length - 1);
    }

    private static void Regid(Span<byte> d, string id, ushort? revision = null)
    {
        Encoding.ASCII.GetBytes(id).CopyTo(d[1..]);
        if (revision is ushort r) BinaryPrimitives.WriteUInt16LittleEndian(d[24..], r);
    }

    /// <summary>The charspec of OSTA UDF 2.60 §2.1.2: CS0, "OSTA Compressed Unicode".</summary>
    private static void Charspec(Span<byte> d)
    {
        d[0] = 0;
        Encoding.ASCII.GetBytes("OSTA Compressed Unicode").CopyTo(d[1..]);
    }

    private static void Timestamp(Span<byte> d)
    {
        // 1/7.3: type 1 (local time), zone +60 minutes; 2024-05-06 07:08:09.10
        BinaryPrimitives.WriteUInt16LittleEndian(d, (ushort)(1 << 12 | 60));
        BinaryPrimitives.WriteUInt16LittleEndian(d[2..], 2024);
        d[4] = 5; d[5] = 6; d[6] = 7; d[7] = 8; d[8] = 9; d[9] = 10;
    }

    /// <summary>Fills the tag (ECMA-167 3/7.2): identifier, version, location, CRC-ITU-T over the CRC length, checksum.</summary>
    public static void Seal(byte[] d, int id, uint location, int crcLength, ushort version = 0)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, (ushort)id);
        ushort v = version != 0 ? version : BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(2)) is ushort old and (2 or 3) ? old : (ushort)3;
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(2), v);
        d[5] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(12), location);
        crcLength = Math.Min(crcLength, d.Length - 16);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(10), (ushort)crcLength);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(8), Crc(d.AsSpan(16, crcLength)));
        int sum = 0;
        for (int i = 0; i < 16; i++) if (i != 4) sum += d[i];
        d[4] = (byte)sum;
    }

    /// <summary>Re-seals a descriptor at <paramref name="offset"/> of an image after a test changed it (keeps id, location, CRC length).</summary>
    public static void Reseal(byte[] image, long offset, int size)
    {
        var d = image.AsSpan((int)offset, size).ToArray();
        Seal(d, BinaryPrimitives.ReadUInt16LittleEndian(d), BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(12)), BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(10)));
        d.CopyTo(image, offset);
    }

    /// <summary>CRC-ITU-T, polynomial 0x1021, initial 0, bit by bit (ECMA-167 3/7.2.6).</summary>
    public static ushort Crc(ReadOnlySpan<byte> data)
    {
        int crc = 0;
        foreach (byte b in data)
        {
            crc ^= b << 8;
            for (int i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            crc &= 0xFFFF;
        }
        return (ushort)crc;
    }

    // ---------------------------------------------------------------- volume structures

    private void WriteFsd(byte[] b, uint lbn)
    {
        Timestamp(b.AsSpan(16));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(28), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(30), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(36), 1);
        Charspec(b.AsSpan(48));
        Charspec(b.AsSpan(240));
        DString(b.AsSpan(112, 128), Label);
        DString(b.AsSpan(304, 32), "FILESET");
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(400), (uint)(BlockSize * (Strategy4096 ? 2 : 1)));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(404), _root.IcbLbn);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(408), MetaPrn);
        Regid(b.AsSpan(416), "*OSTA UDF Compliant", Revision);
        Seal(b, 256, lbn, 512 - 16, TagVersion);
    }

    private ushort TagVersion => Revision >= 0x0200 ? (ushort)3 : (ushort)2;

    private void WriteVds(byte[] image, uint start, uint partitionLength, uint sparingSector, uint lvidSector)
    {
        int bs = BlockSize;
        // PVD (3/10.1)
        var pvd = new byte[bs];
        BinaryPrimitives.WriteUInt32LittleEndian(pvd.AsSpan(16), 1);
        DString(pvd.AsSpan(24, 32), Label);
        BinaryPrimitives.WriteUInt16LittleEndian(pvd.AsSpan(56), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(pvd.AsSpan(58), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(pvd.AsSpan(60), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(pvd.AsSpan(62), 3);
        DString(pvd.AsSpan(72, 128), "0123456789ABCDEFCRAFTED");
        Charspec(pvd.AsSpan(200));
        Charspec(pvd.AsSpan(264));
        Regid(pvd.AsSpan(344), "*UdfTestWriter");
        Timestamp(pvd.AsSpan(376));
        Regid(pvd.AsSpan(388), "*UdfTestWriter");
        Seal(pvd, 1, start, 512 - 16, TagVersion);
        pvd.CopyTo(image, (long)start * bs);
        // PD (3/10.5)
        var pd = new byte[bs];
        BinaryPrimitives.WriteUInt32LittleEndian(pd.AsSpan(16), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(pd.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(pd.AsSpan(22), 0);
        Regid(pd.AsSpan(24), Revision >= 0x0200 ? "+NSR03" : "+NSR02");
        BinaryPrimitives.WriteUInt32LittleEndian(pd.AsSpan(184), Layout is UdfTestLayout.Virtual15 or UdfTestLayout.Virtual20 ? 2u : 4u);
        BinaryPrimitives.WriteUInt32LittleEndian(pd.AsSpan(188), PartitionStart);
        BinaryPrimitives.WriteUInt32LittleEndian(pd.AsSpan(192), partitionLength);
        Regid(pd.AsSpan(196), "*UdfTestWriter");
        Seal(pd, 5, start + 1, 512 - 16, TagVersion);
        pd.CopyTo(image, (long)(start + 1) * bs);
        // LVD (3/10.6) with its maps
        var lvd = new byte[bs];
        BinaryPrimitives.WriteUInt32LittleEndian(lvd.AsSpan(16), 3);
        Charspec(lvd.AsSpan(20));
        DString(lvd.AsSpan(84, 128), Label);
        BinaryPrimitives.WriteUInt32LittleEndian(lvd.AsSpan(212), (uint)bs);
        Regid(lvd.AsSpan(216), "*OSTA UDF Compliant", Revision);
        BinaryPrimitives.WriteUInt32LittleEndian(lvd.AsSpan(248), (uint)bs);
        BinaryPrimitives.WriteUInt32LittleEndian(lvd.AsSpan(252), 0); // FSD at meta LBN 0
        BinaryPrimitives.WriteUInt16LittleEndian(lvd.AsSpan(256), MetaPrn);
        Regid(lvd.AsSpan(272), "*UdfTestWriter");
        BinaryPrimitives.WriteUInt32LittleEndian(lvd.AsSpan(432), (uint)(2 * bs));
        BinaryPrimitives.WriteUInt32LittleEndian(lvd.AsSpan(436), lvidSector);
        var maps = new MemoryStream();
        if (Layout == UdfTestLayout.Sparable)
        {
            var m = new byte[64];
            m[0] = 2; m[1] = 64;
            Regid(m.AsSpan(4), "*UDF Sparable Partition", Revision);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(36), 1);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(38), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(40), 16);
            m[42] = 1;
            BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(44), 56 + 8 * 4);
            BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(48), sparingSector);
            maps.Write(m);
        }
        else
        {
            maps.Write([1, 6, 1, 0, 0, 0]);
            if (Layout != UdfTestLayout.Physical)
            {
                var m = new byte[64];
                m[0] = 2; m[1] = 64;
                bool meta = Layout == UdfTestLayout.Metadata;
                Regid(m.AsSpan(4), meta ? "*UDF Metadata Partition" : "*UDF Virtual Partition", Layout == UdfTestLayout.Virtual15 ? (ushort)0x0150 : Revision);
                BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(36), 1);
                BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(38), 0);
                if (meta)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(40), 0);
                    BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(44), 1);
                    BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(48), 0xFFFF_FFFF);
                    BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(52), 32);
                    BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(56), 1);
                    m[58] = 1;
                }
                maps.Write(m);
            }
        }
        var table = maps.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(lvd.AsSpan(264), (uint)table.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(lvd.AsSpan(268), Layout is UdfTestLayout.Physical or UdfTestLayout.Sparable ? 1u : 2u);
        table.CopyTo(lvd, 440);
        Seal(lvd, 6, start + 2, 440 + table.Length - 16, TagVersion);
        lvd.CopyTo(image, (long)(start + 2) * bs);
        // TD (3/10.9)
        var td = new byte[bs];
        Seal(td, 8, start + 3, 512 - 16, TagVersion);
        td.CopyTo(image, (long)(start + 3) * bs);
    }

    private void WriteLvid(byte[] image, uint sector, uint partitionLength)
    {
        int bs = BlockSize;
        var d = new byte[bs];
        Timestamp(d.AsSpan(16));
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(28), IntegrityOpen ? 0u : 1u);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(40), 4096);
        int n = Layout is UdfTestLayout.Physical or UdfTestLayout.Sparable ? 1 : 2;
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(72), (uint)n);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(76), 46);
        for (int i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(80 + 4 * i), i == 0 ? 0u : 0xFFFF_FFFF);
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(80 + 4 * n + 4 * i), i == 0 ? partitionLength : 0xFFFF_FFFF);
        }
        int iu = 80 + 8 * n;
        Regid(d.AsSpan(iu), "*UdfTestWriter");
        int files = 0, dirs = 0;
        Count(_root, ref files, ref dirs);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(iu + 32), (uint)files);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(iu + 36), (uint)dirs);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(iu + 40), Revision);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(iu + 42), Revision);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(iu + 44), Revision);
        Seal(d, 9, sector, iu + 46 - 16, TagVersion);
        d.CopyTo(image, (long)sector * bs);
        var td = new byte[bs];
        Seal(td, 8, sector + 1, 512 - 16, TagVersion);
        td.CopyTo(image, (long)(sector + 1) * bs);
    }

    private static void Count(Node n, ref int files, ref int dirs)
    {
        if (n.IsDirectory) dirs++; else files++;
        foreach (var c in n.Children) Count(c, ref files, ref dirs);
    }

    private void WriteAvdp(byte[] image, long sector, uint main, uint reserve)
    {
        var d = new byte[512];
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(16), (uint)(16 * BlockSize));
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(20), main);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(24), (uint)(16 * BlockSize));
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(28), reserve);
        Seal(d, 2, (uint)sector, 512 - 16, TagVersion);
        d.CopyTo(image, sector * BlockSize);
    }

    private byte[] SparingTable(uint sector, uint packet, uint spare)
    {
        var d = new byte[BlockSize];
        Regid(d.AsSpan(16), "*UDF Sparing Table", Revision);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(48), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(52), 1);
        // 4 entries: the remapped packet, then available spares (0xFFFFFFFF).
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(56), packet);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(60), spare);
        for (int i = 1; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(56 + 8 * i), 0xFFFF_FFFF);
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(60 + 8 * i), spare + 16 * (uint)i);
        }
        Seal(d, 0, sector, 56 + 32 - 16, TagVersion);
        return d;
    }

    private byte[] EntryIn(ushort _, byte fileType, uint lbn, long length, List<(uint Length, uint Lbn)> extents) =>
        Entry(fileType, lbn, length, 0, null, null, extents);

    private byte[] VatData(out byte fileType)
    {
        var entries = new MemoryStream();
        foreach (uint v in _vat) entries.Write(BitConverter.GetBytes(v));
        byte[] data;
        if (Layout == UdfTestLayout.Virtual15)
        {
            // UDF 1.50 §2.2.10: entries, regid "*UDF Virtual Alloc Tbl", previous VAT ICB location.
            var trailer = new byte[36];
            Regid(trailer, "*UDF Virtual Alloc Tbl", 0x0150);
            BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(32), 0xFFFF_FFFF);
            data = [.. entries.ToArray(), .. trailer];
            fileType = 0;
        }
        else
        {
            // UDF 2.60 §2.2.11: 152-byte header then entries.
            var header = new byte[152];
            BinaryPrimitives.WriteUInt16LittleEndian(header, 152);
            DString(header.AsSpan(4, 128), Label);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(132), 0xFFFF_FFFF);
            int files = 0, dirs = 0;
            Count(_root, ref files, ref dirs);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(136), (uint)files);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(140), (uint)dirs);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(144), Revision);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(146), Revision);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(148), Revision);
            data = [.. header, .. entries.ToArray()];
            fileType = UdfFileType.Vat;
        }
        return data;
    }
}
