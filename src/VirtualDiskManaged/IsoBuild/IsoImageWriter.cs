using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;
using PosixFileType = VirtualDiskManaged.FileSystems.PosixFileType;

namespace VirtualDiskManaged.IsoBuild;

/// <summary>
/// Lays out and writes one image. Layout (docs/mkiso.md): system area (blocks 0–15), primary descriptor (16),
/// El Torito boot record (17), Joliet descriptor, terminator, boot catalog, primary directories (breadth first, each followed by its SUSP continuation blocks),
/// their L and M path tables, Joliet directories and path tables, one shared empty
/// block (empty files, links, relocation placeholders), then file data in tree order. Every size is known
/// before the first byte is written, so the output is one sequential pass.
/// </summary>
internal sealed class IsoImageWriter
{
    internal const int BlockSize = 2048;
    /// <summary>The largest file section (ECMA-119 §9.1.4 is 32 bits; sections stay block multiples: 4 GiB − 2048).</summary>
    internal const uint MaxSection = 0xFFFFF800;
    private const int MaxRecordLength = 254;
    private const byte FlagDirectory = 0x02, FlagMultiExtent = 0x80;
    private const int RelocationLevel = 8;

    private readonly BuildNode _root;
    private readonly IsoBuildOptions _options;
    private readonly DateTimeOffset _time;
    private readonly bool _rr, _joliet;
    private BuildNode? _relocation;
    private readonly List<BuildNode> _isoDirs = [], _jolietDirs = [];
    private readonly List<BuildNode> _files = [];
    private uint _bootRecordBlock, _jolietDescriptorBlock, _terminatorBlock, _catalogBlock;
    private uint _pathL, _pathM, _jolietPathL, _jolietPathM, _emptyBlock, _dataStart, _totalBlocks;
    private int _pathTableBytes, _jolietPathTableBytes;
    private BuildNode? _biosImage, _efiImage;
    private uint _bootInfoChecksum;

    public IsoImageWriter(BuildNode root, IsoBuildOptions options, DateTimeOffset time)
    {
        _root = root;
        _options = options;
        _time = time;
        _rr = options.RockRidge;
        _joliet = options.Joliet;
    }

    /// <summary>Level 3 files may span sections; levels 1 and 2 hold one 32-bit section (ECMA-119 §10).</summary>
    internal static long MaxFileLength(int level) => level == 3 ? 1L << 40 : uint.MaxValue;

    private bool HasBoot => _options.BiosBootPath is not null || _options.EfiBootPath is not null;

    public long ComputeSize()
    {
        Layout();
        return ComputedSize;
    }

    /// <summary>The size the last layout gave (after <see cref="Write"/> or <see cref="ComputeSize"/>).</summary>
    public long ComputedSize => (long)_totalBlocks * BlockSize;

    // ------------------------------------------------------------------ layout

    private void Layout()
    {
        PrepareTree();
        uint next = 17;
        if (HasBoot) _bootRecordBlock = next++;
        if (_joliet) _jolietDescriptorBlock = next++;
        _terminatorBlock = next++;
        if (HasBoot) _catalogBlock = next++;

        // Each directory is followed by its own continuation blocks: a streaming reader (libarchive) reads a
        // continuation area only when it comes right after the directory that points to it. (Sizes were computed
        // while PrepareTree numbered the directories, from the same per-directory layout.)
        foreach (var d in _isoDirs) { d.Dir!.Extent = next; next += d.Dir!.Size / BlockSize; d.Dir!.ContinuationStart = next; next += (uint)d.Dir!.ContinuationBlocks; }
        _pathTableBytes = PathTableBytes(_isoDirs, joliet: false);
        _pathL = next; next += Blocks(_pathTableBytes);
        _pathM = next; next += Blocks(_pathTableBytes);
        if (_joliet)
        {
            foreach (var d in _jolietDirs) { d.Dir!.JolietExtent = next; next += d.Dir!.JolietSize / BlockSize; }
            _jolietPathTableBytes = PathTableBytes(_jolietDirs, joliet: true);
            _jolietPathL = next; next += Blocks(_jolietPathTableBytes);
            _jolietPathM = next; next += Blocks(_jolietPathTableBytes);
        }
        _emptyBlock = next++;
        _dataStart = next;
        ulong cursor = next;
        foreach (var f in _files)
        {
            if (f.Length == 0) { f.Extent = _emptyBlock; continue; }
            f.Extent = (uint)cursor;
            cursor += (ulong)((f.Length + BlockSize - 1) / BlockSize);
            if (cursor > uint.MaxValue) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildVolumeTooLarge, f.SourceName, "More than 2^32 blocks");
        }
        if (_options.Padding) cursor += IsoBuildOptions.PaddingBlocks;
        if (cursor > uint.MaxValue) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildVolumeTooLarge, "/", "More than 2^32 blocks");
        _totalBlocks = (uint)cursor;
        ResolveBootImages();
    }

    private static uint Blocks(long bytes) => (uint)((bytes + BlockSize - 1) / BlockSize);

    /// <summary>
    /// Relocation, directory identifiers and numbering, and the order of file data. Entry identifiers are not kept:
    /// <see cref="IsoLayout"/> and <see cref="JolietLayout"/> derive them for one directory at a time (docs/mkiso.md "Memory").
    /// </summary>
    private void PrepareTree()
    {
        int fileCount = 0;
        foreach (var d in AllDirectories(_root))
        {
            d.Dir!.Trim();
            d.Dir.IsRelocated = false;
            foreach (var c in d.Children) if (c.Kind == BuildNodeKind.File) fileCount++;
        }
        // Rock Ridge relocation (RRIP §4.1.5, ECMA-119 §6.8.2.1): a directory that would sit below level 8 of the
        // primary tree moves to /rr_moved; its real parent keeps a placeholder with CL.
        var relocated = new List<BuildNode>();
        var pending = new Queue<(BuildNode Node, int Level)>();
        pending.Enqueue((_root, 1));
        while (pending.Count > 0)
        {
            var (dir, level) = pending.Dequeue();
            foreach (var child in dir.Children)
            {
                if (!child.IsDirectory) continue;
                int childLevel = level + 1;
                if (_rr && childLevel > RelocationLevel)
                {
                    child.Dir!.IsRelocated = true;
                    relocated.Add(child);
                    childLevel = 3;
                }
                pending.Enqueue((child, childLevel));
            }
        }
        _relocation = null;
        _relocated = [];
        if (relocated.Count > 0)
        {
            string name = "rr_moved";
            for (int i = 1; _root.Dir!.TryGet(name, out _); i++) name = "rr_moved_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _relocation = new BuildNode(name, BuildNodeKind.Directory, new DirectoryPart(_root) { IsRelocationDirectory = true })
            {
                Seconds = _time.ToUnixTimeSeconds(), Mode = 0x1ED,
            };
            // The relocated directories get a second identifier, unique inside rr_moved (stable name order).
            var byName = relocated.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
            var ids = IsoNames.AssignIsoIds(byName, _options.InterchangeLevel);
            for (int i = 0; i < byName.Count; i++) { byName[i].Dir!.RelocatedIsoId = ids[i]; byName[i].Dir!.IsoParent = _relocation; }
            relocated.Sort((a, b) => IsoNames.CompareIsoIds(a.Dir!.RelocatedIsoId!, b.Dir!.RelocatedIsoId!));
            _relocated = [.. relocated];
        }

        // Breadth-first numbering of the primary tree's directories (ECMA-119 §6.9.1: level, parent number,
        // identifier), and file data in primary-tree order, one copy per hard-link group.
        _isoDirs.Clear();
        _files.Clear();
        _files.Capacity = Math.Max(_files.Capacity, fileCount);
        var queue = new Queue<BuildNode>();
        queue.Enqueue(_root);
        while (queue.Count > 0)
        {
            var d = queue.Dequeue();
            _garbage.Check();
            _isoDirs.Add(d);
            d.Dir!.PathTableNumber = _isoDirs.Count;
            var layout = IsoLayout(d);
            for (int i = 0; i < layout.Length; i++)
            {
                var c = layout[i].Node;
                if (c.IsDirectory)
                {
                    if (!d.IsRelocationDirectory) c.Dir!.IsoId = layout[i].Id;
                    if (!c.IsRelocated) c.Dir!.IsoParent = d;
                    if (!c.IsRelocated || d.IsRelocationDirectory) queue.Enqueue(c);
                }
                else if (c.Kind == BuildNodeKind.File && !c.Data.Placed) { c.Data.Placed = true; _files.Add(c.Data); }
            }
            // A size depends on record lengths only (identifiers, SUSP entries), never on extents: size it now,
            // from this layout, instead of deriving the layout once more.
            d.Dir!.Size = (uint)SizeDirectory(d, joliet: false, out int continuationBlocks, layout);
            d.Dir!.ContinuationBlocks = continuationBlocks;
        }
        foreach (var f in _files) f.Placed = false;
        if (_isoDirs.Count > 65535) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildTooManyDirectories, null, $"{_isoDirs.Count} directories; path tables number at most 65535");

        if (_joliet)
        {
            _jolietDirs.Clear();
            queue.Enqueue(_root);
            while (queue.Count > 0)
            {
                var d = queue.Dequeue();
                _garbage.Check();
                _jolietDirs.Add(d);
                d.Dir!.JolietPathTableNumber = _jolietDirs.Count;
                var layout = JolietLayout(d);
                foreach (var (c, id) in layout)
                    if (c.IsDirectory) { c.Dir!.JolietName = id; queue.Enqueue(c); }
                d.Dir!.JolietSize = (uint)SizeDirectory(d, joliet: true, out _, jolietLayout: layout);
            }
            if (_jolietDirs.Count > 65535) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildTooManyDirectories, null, $"{_jolietDirs.Count} directories");
        }
    }

    private BuildNode[] _relocated = [];
    private readonly IsoGarbageBound _garbage = new();

    /// <summary>
    /// One directory's primary-tree records, derived when needed and dropped after: identifiers per ECMA-119 §7.5–7.6
    /// assigned in ordinal name order (symbolic links only with Rock Ridge; the relocation directory at the root),
    /// then sorted per §9.3. The relocation directory holds the relocated directories under their second identifiers.
    /// </summary>
    private (BuildNode Node, byte[] Id)[] IsoLayout(BuildNode dir)
    {
        (BuildNode Node, byte[] Id)[] result;
        if (dir.IsRelocationDirectory)
        {
            result = new (BuildNode, byte[])[_relocated.Length];
            for (int i = 0; i < result.Length; i++) result[i] = (_relocated[i], _relocated[i].Dir!.RelocatedIsoId!);
            return result;
        }
        var children = dir.Children;
        var list = new List<BuildNode>(children.Length + 1);
        foreach (var c in children) if (_rr || c.Kind != BuildNodeKind.Symlink) list.Add(c);
        if (dir == _root && _relocation is not null)
        {
            // Keep ordinal name order (the children are already in it).
            int at = list.FindIndex(c => string.CompareOrdinal(c.Name, _relocation.Name) > 0);
            list.Insert(at < 0 ? list.Count : at, _relocation);
        }
        // Composed identifiers first: without a collision (equal neighbours once sorted, ECMA-119 §9.3 order is
        // total on distinct identifiers) they are final; otherwise the collision rules of IsoNames assign them all.
        var ids = IsoNames.ComposeIsoIds(list, _options.InterchangeLevel);
        result = Sorted(list, ids);
        for (int i = 1; i < result.Length; i++)
        {
            if (!result[i - 1].Id.AsSpan().SequenceEqual(result[i].Id)) continue;
            result = Sorted(list, IsoNames.AssignIsoIds(list, _options.InterchangeLevel));
            break;
        }
        return result;
    }

    private static (BuildNode Node, byte[] Id)[] Sorted(List<BuildNode> list, byte[][] ids)
    {
        var result = new (BuildNode Node, byte[] Id)[list.Count];
        for (int i = 0; i < result.Length; i++) result[i] = (list[i], ids[i]);
        Array.Sort(result, static (a, b) => IsoNames.CompareIsoIds(a.Id, b.Id));
        return result;
    }

    /// <summary>
    /// One directory's Joliet records, names assigned in ordinal name order, sorted by UCS-2 code units. Joliet has no
    /// symbolic links, device nodes, FIFOs or sockets (xorriso leaves them out of its Joliet tree too).
    /// </summary>
    private (BuildNode Node, string Id)[] JolietLayout(BuildNode dir)
    {
        var children = dir.Children;
        var list = new List<BuildNode>(children.Length);
        foreach (var c in children) if (c.Kind is not (BuildNodeKind.Symlink or BuildNodeKind.Special)) list.Add(c);
        int max = _options.JolietLongNames ? IsoNames.JolietLongMaxChars : IsoNames.JolietMaxChars;
        bool unchanged = true;
        foreach (var c in list) if (!IsoNames.FitsJoliet(c, max)) { unchanged = false; break; }
        var result = new (BuildNode Node, string Id)[list.Count];
        if (unchanged)
        {
            // Every name is its own Joliet name: distinct, and already in ordinal order.
            for (int i = 0; i < result.Length; i++) result[i] = (list[i], list[i].Name);
            return result;
        }
        var ids = IsoNames.AssignJolietIds(list, _options.JolietLongNames);
        for (int i = 0; i < result.Length; i++) result[i] = (list[i], ids[i]);
        Array.Sort(result, static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        return result;
    }

    private static IEnumerable<BuildNode> AllDirectories(BuildNode root)
    {
        var stack = new Stack<BuildNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var d = stack.Pop();
            yield return d;
            foreach (var c in d.Dir!.Children) if (c.IsDirectory) stack.Push(c);
        }
    }

    private void ResolveBootImages()
    {
        _biosImage = BootImage(_options.BiosBootPath);
        _efiImage = BootImage(_options.EfiBootPath);
        if (_biosImage is not null && _options.BootInfoTable)
        {
            if (_biosImage.Length < 64) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildBootImageInvalid, _options.BiosBootPath, "A boot info table needs a boot file of at least 64 bytes");
            _bootInfoChecksum = BootInfoChecksum(_biosImage);
        }
    }

    private BuildNode? BootImage(string? path)
    {
        if (path is null) return null;
        var node = _root;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            if (node.Dir is null || !node.Dir.TryGet(part, out node)) { node = null; break; }
        if (node is null || node.Kind != BuildNodeKind.File) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildBootImageInvalid, path, "The boot image must be a file added to the image");
        if (node!.Data!.Length == 0) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildBootImageInvalid, path, "The boot image is empty");
        return node.Data;
    }

    /// <summary>The boot info table's checksum: the sum of the file's 32-bit little-endian words from byte 64 on (ISOLINUX/mkisofs convention).</summary>
    private static uint BootInfoChecksum(BuildNode data)
    {
        try { return BootInfoChecksumOf(data); }
        catch (Exception e) when (IsoImageBuilder.IsHostError(e)) { IsoImageBuilder.FailSource(data.SourceName, e); return 0; }
    }

    private static uint BootInfoChecksumOf(BuildNode data)
    {
        uint sum = 0;
        using var s = data.OpenRead();
        var buffer = new byte[64 * 1024];
        long offset = 0;
        int carry = 0;
        Span<byte> word = stackalloc byte[4];
        while (offset < data.Length)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, data.Length - offset));
            if (n <= 0) break;
            for (int i = 0; i < n; i++)
            {
                long pos = offset + i;
                if (pos < 64) continue;
                word[carry++] = buffer[i];
                if (carry == 4) { sum += BinaryPrimitives.ReadUInt32LittleEndian(word); carry = 0; }
            }
            offset += n;
        }
        if (carry > 0) { word[carry..].Clear(); sum += BinaryPrimitives.ReadUInt32LittleEndian(word); }
        return sum;
    }

    // ------------------------------------------------------------------ records

    /// <summary>One directory record to write; the identifier is <paramref name="Id"/>, or for Joliet <paramref name="JolietId"/> (UCS-2 big-endian, encoded when written).</summary>
    private readonly record struct RecordSpec(BuildNode? Node, byte[]? Id, string? JolietId, uint Extent, uint Length, DateTimeOffset Time, byte Flags, RecordRole Role)
    {
        public int IdLength => Id?.Length ?? JolietId!.Length * 2;
    }

    private enum RecordRole { Dot, DotDot, Entry, Placeholder, RelocatedEntry }

    private static readonly byte[] DotId = [0], DotDotId = [1];

    /// <summary>The records of one directory, in order, into <paramref name="into"/> (one list reused for every directory).</summary>
    private void Records(BuildNode dir, bool joliet, List<RecordSpec> into, (BuildNode Node, byte[] Id)[]? isoLayout = null, (BuildNode Node, string Id)[]? jolietLayout = null)
    {
        into.Clear();
        var parent = joliet ? (dir.Dir!.Parent ?? dir) : (dir.Dir!.IsoParent ?? dir);
        into.Add(new(dir, DotId, null, joliet ? dir.Dir!.JolietExtent : dir.Dir!.Extent, joliet ? dir.Dir!.JolietSize : dir.Dir!.Size, dir.ModificationTime, FlagDirectory, RecordRole.Dot));
        into.Add(new(parent, DotDotId, null, joliet ? parent.Dir!.JolietExtent : parent.Dir!.Extent, joliet ? parent.Dir!.JolietSize : parent.Dir!.Size, parent.ModificationTime, FlagDirectory, RecordRole.DotDot));
        if (joliet)
        {
            foreach (var (c, name) in jolietLayout ?? JolietLayout(dir)) EntryRecords(dir, c, null, name, joliet: true, into);
        }
        else
        {
            foreach (var (c, id) in isoLayout ?? IsoLayout(dir)) EntryRecords(dir, c, id, null, joliet: false, into);
        }
    }

    private void EntryRecords(BuildNode dir, BuildNode c, byte[]? id, string? jolietId, bool joliet, List<RecordSpec> into)
    {
        if (c.IsDirectory)
        {
            if (!joliet && c.IsRelocated && !dir.IsRelocationDirectory)
                into.Add(new(c, id, jolietId, _emptyBlock, 0, c.ModificationTime, 0, RecordRole.Placeholder));
            else
                into.Add(new(c, id, jolietId, joliet ? c.Dir!.JolietExtent : c.Dir!.Extent, joliet ? c.Dir!.JolietSize : c.Dir!.Size, c.ModificationTime, FlagDirectory,
                    !joliet && dir.IsRelocationDirectory ? RecordRole.RelocatedEntry : RecordRole.Entry));
        }
        else if (c.Kind is BuildNodeKind.Symlink or BuildNodeKind.Special)
            into.Add(new(c, id, jolietId, _emptyBlock, 0, c.ModificationTime, 0, RecordRole.Entry));
        else
        {
            long length = c.Data.Length;
            if (length == 0) { into.Add(new(c, id, jolietId, _emptyBlock, 0, c.ModificationTime, 0, RecordRole.Entry)); return; }
            uint extent = c.Data.Extent;
            for (long done = 0; done < length; done += MaxSection)
            {
                uint section = (uint)Math.Min(MaxSection, length - done);
                bool last = done + section >= length;
                into.Add(new(c, id, jolietId, extent, section, c.ModificationTime, last ? (byte)0 : FlagMultiExtent, RecordRole.Entry));
                extent += MaxSection / BlockSize;
            }
        }
    }

    /// <summary>Scratch reused for every record: the records of the directory at hand, its SUSP entries, PX, TF and one-entry NM arrays.</summary>
    private readonly List<RecordSpec> _records = [];
    private readonly List<byte[]> _susp = [];
    private readonly byte[] _px = new byte[36], _tf = new byte[26], _block = new byte[BlockSize];
    private readonly byte[]?[] _nm = new byte[]?[SuspEntries.MaxEntryLength + 1];

    /// <summary>The Rock Ridge entries of a record, in order (relocation links first, then PX, TF, NM, SL).</summary>
    private List<byte[]> SuspFor(BuildNode dir, in RecordSpec r)
    {
        var list = _susp;
        list.Clear();
        var n = r.Node!;
        switch (r.Role)
        {
            case RecordRole.Dot:
                if (dir == _root) list.Add(SuspEntries.SharingProtocol());
                list.Add(SuspEntries.PosixAttributes(PosixFileType.Directory | dir.Mode, Links(dir)));
                list.Add(SuspEntries.Timestamps(dir.ModificationTime));
                if (dir == _root) list.Add(SuspEntries.ExtensionReference());
                return list;
            case RecordRole.DotDot:
                if (dir.IsRelocated) list.Add(SuspEntries.ParentLink(dir.Dir!.Parent!.Dir!.Extent));
                list.Add(SuspEntries.PosixAttributes(PosixFileType.Directory | n.Mode, Links(n)));
                list.Add(SuspEntries.Timestamps(n.ModificationTime));
                return list;
            case RecordRole.Placeholder:
                list.Add(SuspEntries.ChildLink(n.Dir!.Extent));
                break;
            case RecordRole.RelocatedEntry:
                list.Add(SuspEntries.Relocated());
                break;
        }
        int mode = n.Kind switch
        {
            BuildNodeKind.Directory => PosixFileType.Directory | n.Mode,
            BuildNodeKind.Symlink => PosixFileType.Symlink | 0x1FF,
            BuildNodeKind.Special => n.Special!.TypeBits | (ushort)n.Mode,
            _ => PosixFileType.Regular | n.Mode,
        };
        list.Add(SuspEntries.PosixAttributes(_px, mode, n.IsDirectory ? Links(n) : n.Kind == BuildNodeKind.File ? (uint)Math.Max(1, n.Data.LinkCount) : 1u));
        // RRIP §4.1.2: PN for block and character devices only.
        if (n.Special is { IsDevice: true } device) list.Add(SuspEntries.DeviceNumber(device.Major, device.Minor));
        list.Add(SuspEntries.Timestamps(_tf, n.ModificationTime));
        SuspEntries.AlternateName(n.Name, list, _nm);
        if (n.Kind == BuildNodeKind.Symlink) list.AddRange(SuspEntries.SymbolicLink(n.SymlinkTarget!));
        return list;
    }

    /// <summary>A directory's POSIX link count: itself, its entry in the parent, and each subdirectory's "..".</summary>
    private static uint Links(BuildNode dir)
    {
        uint links = 2;
        foreach (var c in dir.Children) if (c.IsDirectory) links++;
        return links;
    }

    private static int BaseLength(int idLength) => 33 + idLength + (idLength % 2 == 0 ? 1 : 0);

    /// <summary>
    /// Places continuation areas in a directory's own continuation blocks, in record order. The layout and the
    /// writer run it over the same records, so both place every area identically and nothing is stored between them.
    /// </summary>
    private sealed class ContinuationPlacer
    {
        private int _usedInLast = BlockSize;
        private BuildNode? _lastNode;
        private List<ContinuationArea>? _last;

        public int Blocks { get; private set; }

        /// <summary>The areas of a record; every section of a multi-extent file repeats the same entries and shares one continuation.</summary>
        public List<ContinuationArea> Place(in RecordSpec r, List<List<byte[]>> areas)
        {
            if (r.Role == RecordRole.Entry && r.Node is not null && r.Node == _lastNode && _last is not null) return _last;
            var placed = new List<ContinuationArea>(areas.Count);
            for (int i = 0; i < areas.Count; i++) placed.Add(Allocate(SuspEntries.AreaLength(areas, i)));
            _lastNode = r.Role == RecordRole.Entry ? r.Node : null;
            _last = placed;
            return placed;
        }

        /// <summary>A record without a continuation ends any run of sections sharing one.</summary>
        public void None() { _lastNode = null; _last = null; }

        private ContinuationArea Allocate(int length)
        {
            if (_usedInLast + length > BlockSize) { Blocks++; _usedInLast = 0; }
            var area = new ContinuationArea((uint)(Blocks - 1), _usedInLast, length);
            _usedInLast += length;
            return area;
        }
    }

    private static string RecordPath(BuildNode dir, in RecordSpec r) =>
        r.Role is RecordRole.Dot or RecordRole.DotDot || r.Node is null ? dir.DirectoryPath : BuildNode.PathOf(dir, r.Node.Name);

    /// <summary>Sizes a directory (records packed per block, never crossing one: ECMA-119 §6.8.1.1) and counts its continuation blocks.</summary>
    private int SizeDirectory(BuildNode dir, bool joliet, out int continuationBlocks, (BuildNode Node, byte[] Id)[]? isoLayout = null, (BuildNode Node, string Id)[]? jolietLayout = null)
    {
        long used = 0;
        int inBlock = 0;
        var placer = new ContinuationPlacer();
        Records(dir, joliet, _records, isoLayout, jolietLayout);
        foreach (var r in _records)
        {
            int length = BaseLength(r.IdLength);
            if (!joliet && _rr)
            {
                var entries = SuspFor(dir, r);
                var (inline, areas) = SuspEntries.Split(entries, MaxRecordLength - length, BlockSize);
                int su = 0;
                for (int i = 0; i < inline; i++) su += entries[i].Length;
                if (areas.Count > 0) { su += SuspEntries.ContinuationLength; placer.Place(r, areas); }
                else placer.None();
                length += su;
            }
            if (length % 2 == 1) length++;
            if (length > 255) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildPathInvalid, RecordPath(dir, r), "A directory record would exceed 255 bytes");
            if (inBlock + length > BlockSize) { used += BlockSize - inBlock; inBlock = 0; }
            used += length;
            inBlock += length;
        }
        continuationBlocks = placer.Blocks;
        long size = (used + BlockSize - 1) / BlockSize * BlockSize;
        if (size > uint.MaxValue) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildTooManyDirectories, dir.DirectoryPath, "A directory larger than 4 GiB");
        return (int)Math.Min(size, int.MaxValue);
    }

    private int PathTableBytes(List<BuildNode> dirs, bool joliet)
    {
        int total = 0;
        foreach (var d in dirs)
        {
            int n = PathId(d, joliet).Length;
            total += 8 + n + (n & 1);
        }
        return total;
    }

    private byte[] PathId(BuildNode d, bool joliet) =>
        d == _root ? [0] : joliet ? Encoding.BigEndianUnicode.GetBytes(d.Dir!.JolietName) : (d.IsRelocated ? d.Dir!.RelocatedIsoId! : d.Dir!.IsoId);

    // ------------------------------------------------------------------ writing

    public void Write(Stream output, IProgress<IsoBuildProgress>? progress, CancellationToken ct)
    {
        Layout();
        var sink = new BlockSink(output, (long)_totalBlocks * BlockSize, progress, ct);
        sink.Zeros(16L * BlockSize);
        sink.Block(Descriptor(primary: true));
        if (HasBoot) sink.Block(BootRecord());
        if (_joliet) sink.Block(Descriptor(primary: false));
        sink.Block(Terminator());
        if (HasBoot) sink.Block(Catalog());

        foreach (var d in _isoDirs)
        {
            _garbage.Check();
            sink.ExpectBlock(d.Dir!.Extent);
            var ce = d.Dir!.ContinuationBlocks == 0 ? [] : new byte[d.Dir!.ContinuationBlocks * BlockSize];
            WriteDirectory(sink, d, joliet: false, ce);
            sink.ExpectBlock(d.Dir!.ContinuationStart);
            sink.Write(ce);
        }
        sink.ExpectBlock(_pathL); sink.Write(PathTable(_isoDirs, false, littleEndian: true)); sink.PadToBlock();
        sink.ExpectBlock(_pathM); sink.Write(PathTable(_isoDirs, false, littleEndian: false)); sink.PadToBlock();
        if (_joliet)
        {
            foreach (var d in _jolietDirs) { _garbage.Check(); sink.ExpectBlock(d.Dir!.JolietExtent); WriteDirectory(sink, d, joliet: true, []); }
            sink.ExpectBlock(_jolietPathL); sink.Write(PathTable(_jolietDirs, true, littleEndian: true)); sink.PadToBlock();
            sink.ExpectBlock(_jolietPathM); sink.Write(PathTable(_jolietDirs, true, littleEndian: false)); sink.PadToBlock();
        }
        sink.ExpectBlock(_emptyBlock);
        sink.Zeros(BlockSize);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            foreach (var f in _files)
            {
                if (f.Length == 0) continue;
                _garbage.Check();
                sink.ExpectBlock(f.Extent);
                WriteFile(sink, f, buffer);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
        if (_options.Padding) sink.Hole((long)IsoBuildOptions.PaddingBlocks * BlockSize);
        sink.Finish();
    }

    private void WriteDirectory(BlockSink sink, BuildNode dir, bool joliet, byte[] ce)
    {
        var block = _block;
        Array.Clear(block);
        int inBlock = 0;
        long written = 0;
        Span<byte> record = stackalloc byte[256];
        var placer = new ContinuationPlacer();
        Records(dir, joliet, _records);
        foreach (var r in _records)
        {
            record.Clear();
            int length = BaseLength(r.IdLength);
            int su = length;
            if (!joliet && _rr)
            {
                var entries = SuspFor(dir, r);
                var (inline, areas) = SuspEntries.Split(entries, MaxRecordLength - length, BlockSize);
                for (int i = 0; i < inline; i++) { entries[i].CopyTo(record[su..]); su += entries[i].Length; }
                if (areas.Count == 0) placer.None();
                else
                {
                    var placed = placer.Place(r, areas);
                    var first = Absolute(dir, placed[0]);
                    SuspEntries.Continuation(first).CopyTo(record[su..]);
                    su += SuspEntries.ContinuationLength;
                    for (int a = 0; a < areas.Count; a++)
                    {
                        var area = placed[a];
                        int at = (int)area.Block * BlockSize + area.Offset;
                        foreach (var e in areas[a]) { e.CopyTo(ce, at); at += e.Length; }
                        if (a + 1 < areas.Count) SuspEntries.Continuation(Absolute(dir, placed[a + 1])).CopyTo(ce, at);
                    }
                }
            }
            length = su + (su & 1);
            record[0] = (byte)length;
            SuspEntries.Both32(record[2..], r.Extent);
            SuspEntries.Both32(record[10..], r.Length);
            IsoDates.WriteRecordingDate(record.Slice(18, 7), r.Time);
            record[25] = r.Flags;
            BinaryPrimitives.WriteUInt16LittleEndian(record[28..], 1);
            BinaryPrimitives.WriteUInt16BigEndian(record[30..], 1);
            record[32] = (byte)r.IdLength;
            if (r.Id is not null) r.Id.CopyTo(record[33..]);
            else Encoding.BigEndianUnicode.GetBytes(r.JolietId!, record[33..]);
            if (inBlock + length > BlockSize) { sink.Write(block); written += BlockSize; Array.Clear(block); inBlock = 0; }
            record[..length].CopyTo(block.AsSpan(inBlock));
            inBlock += length;
        }
        sink.Write(block);
        written += BlockSize;
        uint size = joliet ? dir.Dir!.JolietSize : dir.Dir!.Size;
        if (written != size) throw new InvalidOperationException($"Directory {dir.DirectoryPath}: wrote {written} bytes, laid out {size}.");
    }

    private static ContinuationArea Absolute(BuildNode dir, ContinuationArea a) => a with { Block = a.Block + dir.Dir!.ContinuationStart };

    private byte[] PathTable(List<BuildNode> dirs, bool joliet, bool littleEndian)
    {
        var table = new byte[joliet ? _jolietPathTableBytes : _pathTableBytes];
        int at = 0;
        foreach (var d in dirs)
        {
            byte[] id = PathId(d, joliet);
            var parent = joliet ? (d.Dir!.Parent ?? d) : (d.Dir!.IsoParent ?? d);
            uint extent = joliet ? d.Dir!.JolietExtent : d.Dir!.Extent;
            ushort parentNumber = (ushort)(joliet ? parent.Dir!.JolietPathTableNumber : parent.Dir!.PathTableNumber);
            table[at] = (byte)id.Length;
            if (littleEndian)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(at + 2), extent);
                BinaryPrimitives.WriteUInt16LittleEndian(table.AsSpan(at + 6), parentNumber);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(table.AsSpan(at + 2), extent);
                BinaryPrimitives.WriteUInt16BigEndian(table.AsSpan(at + 6), parentNumber);
            }
            id.CopyTo(table, at + 8);
            at += 8 + id.Length + (id.Length & 1);
        }
        return table;
    }

    /// <summary>The copy buffer for file data (one per build; 256 KiB keeps reads large and memory small: docs/mkiso.md "Memory").</summary>
    private const int CopyBufferSize = 256 * 1024;

    private void WriteFile(BlockSink sink, BuildNode f, byte[] buffer)
    {
        // A host file is read through its handle alone (positional reads, no stream object per file).
        string? hostPath = f.HostSourcePath;
        SafeFileHandle? handle = null;
        Stream? source = null;
        try
        {
            // Failures to open or read a source are the source's (IsoBuildSourceUnreadable), not the output's.
            try
            {
                if (hostPath is not null) handle = File.OpenHandle(hostPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
                else source = f.OpenRead();
            }
            catch (Exception e) when (IsoImageBuilder.IsHostError(e)) { IsoImageBuilder.FailSource(f.SourceName, e); }
            long done = 0;
            while (done < f.Length)
            {
                int want = (int)Math.Min(buffer.Length, f.Length - done);
                int got = 0;
                while (got < want)
                {
                    int n = ReadSource(handle, source, buffer.AsSpan(got, want - got), done + got, f);
                    if (n <= 0) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildSourceChanged, f.SourceName, $"It ended after {done + got} of {f.Length} bytes");
                    got += n;
                }
                if (done == 0 && f == _biosImage && _options.BootInfoTable) PatchBootInfoTable(buffer.AsSpan(0, got), f);
                sink.Data(buffer.AsSpan(0, got));
                done += got;
            }
            int more = ReadSource(handle, source, buffer.AsSpan(0, 1), done, f);
            if (more > 0) IsoImageBuilder.Fail(VirtualDiskErrorReason.IsoBuildSourceChanged, f.SourceName, $"It is longer than the {f.Length} bytes it had when added");
        }
        finally
        {
            handle?.Dispose();
            source?.Dispose();
        }
        sink.PadToBlock();
    }

    private static int ReadSource(SafeFileHandle? handle, Stream? source, Span<byte> into, long offset, BuildNode f)
    {
        try { return handle is not null ? RandomAccess.Read(handle, into, offset) : source!.Read(into); }
        catch (Exception e) when (IsoImageBuilder.IsHostError(e)) { IsoImageBuilder.FailSource(f.SourceName, e); return 0; }
    }

    /// <summary>The boot info table (mkisofs <c>-boot-info-table</c>): PVD block, boot file block, length, checksum at bytes 8–23, 24–63 zero.</summary>
    private void PatchBootInfoTable(Span<byte> first, BuildNode f)
    {
        var table = first[8..64];
        table.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(table, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(table[4..], f.Extent);
        BinaryPrimitives.WriteUInt32LittleEndian(table[8..], (uint)f.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(table[12..], _bootInfoChecksum);
    }

    // ------------------------------------------------------------------ descriptors

    private byte[] Descriptor(bool primary)
    {
        var d = new byte[BlockSize];
        d[0] = (byte)(primary ? 1 : 2);
        "CD001"u8.CopyTo(d.AsSpan(1));
        d[6] = 1;
        Text(d.AsSpan(8, 32), _options.SystemId, primary);
        Text(d.AsSpan(40, 32), _options.VolumeId, primary);
        SuspEntries.Both32(d.AsSpan(80), _totalBlocks);
        if (!primary) "%/E"u8.CopyTo(d.AsSpan(88));
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(120), 1);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(122), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(124), 1);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(126), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(128), BlockSize);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(130), BlockSize);
        SuspEntries.Both32(d.AsSpan(132), (uint)(primary ? _pathTableBytes : _jolietPathTableBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(140), primary ? _pathL : _jolietPathL);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(148), primary ? _pathM : _jolietPathM);
        // Root directory record (§8.4.18): 34 bytes, identifier 0x00.
        var root = d.AsSpan(156, 34);
        root[0] = 34;
        SuspEntries.Both32(root[2..], primary ? _root.Dir!.Extent : _root.Dir!.JolietExtent);
        SuspEntries.Both32(root[10..], primary ? _root.Dir!.Size : _root.Dir!.JolietSize);
        IsoDates.WriteRecordingDate(root.Slice(18, 7), _root.ModificationTime);
        root[25] = FlagDirectory;
        BinaryPrimitives.WriteUInt16LittleEndian(root[28..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(root[30..], 1);
        root[32] = 1;
        Text(d.AsSpan(190, 128), _options.VolumeSetId, primary);
        Text(d.AsSpan(318, 128), _options.PublisherId, primary);
        Text(d.AsSpan(446, 128), _options.PreparerId, primary);
        Text(d.AsSpan(574, 128), _options.ApplicationId, primary);
        Text(d.AsSpan(702, 37), "", primary);
        Text(d.AsSpan(739, 37), "", primary);
        Text(d.AsSpan(776, 37), "", primary);
        IsoDates.WriteVolumeDate(d.AsSpan(813, 17), _time);
        IsoDates.WriteVolumeDate(d.AsSpan(830, 17), _time);
        IsoDates.WriteVolumeDate(d.AsSpan(847, 17), null);
        IsoDates.WriteVolumeDate(d.AsSpan(864, 17), _time);
        d[881] = 1;
        d.AsSpan(883, 512).Fill((byte)' ');
        return d;
    }

    /// <summary>A descriptor text field: ASCII padded with spaces (primary), UCS-2 big-endian padded with U+0020 (Joliet).</summary>
    private static void Text(Span<byte> field, string value, bool ascii)
    {
        if (ascii)
        {
            field.Fill((byte)' ');
            for (int i = 0; i < value.Length && i < field.Length; i++) field[i] = value[i] is >= ' ' and <= '~' ? (byte)value[i] : (byte)'_';
            return;
        }
        for (int i = 0; i + 1 < field.Length; i += 2) { field[i] = 0; field[i + 1] = (byte)' '; }
        if (field.Length % 2 == 1) field[^1] = 0;
        int chars = Math.Min(value.Length, field.Length / 2);
        Encoding.BigEndianUnicode.GetBytes(value.AsSpan(0, chars), field);
    }

    private static byte[] Terminator()
    {
        var d = new byte[BlockSize];
        d[0] = 255;
        "CD001"u8.CopyTo(d.AsSpan(1));
        d[6] = 1;
        return d;
    }

    /// <summary>El Torito §2.0 boot record: "EL TORITO SPECIFICATION", the catalog's block at byte 71.</summary>
    private byte[] BootRecord()
    {
        var d = new byte[BlockSize];
        d[0] = 0;
        "CD001"u8.CopyTo(d.AsSpan(1));
        d[6] = 1;
        "EL TORITO SPECIFICATION"u8.CopyTo(d.AsSpan(7));
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(71), _catalogBlock);
        return d;
    }

    /// <summary>
    /// The boot catalog (El Torito §2.1–2.4): validation entry, the default entry (BIOS, or UEFI when alone),
    /// and for BIOS + UEFI a final section header for platform 0xEF with one no-emulation entry.
    /// </summary>
    private byte[] Catalog()
    {
        var c = new byte[BlockSize];
        byte firstPlatform = _biosImage is not null ? (byte)0 : (byte)0xEF;
        c[0] = 1;
        c[1] = firstPlatform;
        c[30] = 0x55;
        c[31] = 0xAA;
        ushort sum = 0;
        for (int i = 0; i < 32; i += 2) sum += BinaryPrimitives.ReadUInt16LittleEndian(c.AsSpan(i));
        BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(28), (ushort)(0x10000 - sum));
        if (_biosImage is not null)
        {
            Entry(c.AsSpan(32, 32), _biosImage, (ushort)_options.BiosLoadSectors);
            if (_efiImage is not null)
            {
                var header = c.AsSpan(64, 32);
                header[0] = 0x91;
                header[1] = 0xEF;
                BinaryPrimitives.WriteUInt16LittleEndian(header[2..], 1);
                Entry(c.AsSpan(96, 32), _efiImage, EfiSectors(_efiImage));
            }
        }
        else Entry(c.AsSpan(32, 32), _efiImage!, EfiSectors(_efiImage!));
        return c;
    }

    /// <summary>An EFI image's sector count: its 512-byte sectors, as xorriso writes it (65535 at most; firmware reads the FAT's own size).</summary>
    private static ushort EfiSectors(BuildNode f) => (ushort)Math.Min(65535, (f.Length + 511) / 512);

    private static void Entry(Span<byte> e, BuildNode image, ushort sectors)
    {
        e[0] = 0x88;
        e[1] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(e[6..], sectors);
        BinaryPrimitives.WriteUInt32LittleEndian(e[8..], image.Extent);
    }

    /// <summary>Sequential output with block accounting, runs of zeros left as holes where that is safe, progress and cancellation.</summary>
    private sealed class BlockSink(Stream output, long total, IProgress<IsoBuildProgress>? progress, CancellationToken ct)
    {
        private readonly bool _sparse = MayLeaveHoles(output);

        /// <summary>
        /// Zero runs may be skipped only where the output reads zeros already: a regular file written at its end (what
        /// is skipped becomes a hole). Not a device (a USB stick keeps its old bytes where nothing is written), not an
        /// existing file's middle.
        /// </summary>
        private static bool MayLeaveHoles(Stream output)
        {
            if (output is not FileStream { CanSeek: true } fs || fs.Position < fs.Length) return false;
            if (OperatingSystem.IsWindows()) return true;
            return Host.UnixNative.TryFStat((int)fs.SafeFileHandle.DangerousGetHandle(), out uint mode, out _, out _)
                && (mode & PosixFileType.Mask) == PosixFileType.Regular;
        }

        private long _position, _lastReport;
        private static readonly byte[] ZeroBlock = new byte[BlockSize];

        public void ExpectBlock(uint block)
        {
            if (_position != (long)block * BlockSize) throw new InvalidOperationException($"Layout mismatch: at byte {_position}, block {block} expected.");
        }

        public void Block(byte[] block) => Write(block);

        public void Write(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty) return;
            output.Write(bytes);
            Advance(bytes.Length);
        }

        /// <summary>File data: all-zero runs become holes in a seekable file.</summary>
        public void Data(ReadOnlySpan<byte> bytes)
        {
            if (_sparse && bytes.IndexOfAnyExcept((byte)0) < 0) { output.Seek(bytes.Length, SeekOrigin.Current); Advance(bytes.Length); return; }
            Write(bytes);
        }

        public void Zeros(long count)
        {
            while (count > 0)
            {
                int n = (int)Math.Min(count, BlockSize);
                Write(ZeroBlock.AsSpan(0, n));
                count -= n;
            }
        }

        /// <summary>Zeros (the padding), left as a hole where <see cref="MayLeaveHoles"/> allows.</summary>
        public void Hole(long count)
        {
            if (!_sparse) { Zeros(count); return; }
            output.Seek(count, SeekOrigin.Current);
            Advance(count);
        }

        public void PadToBlock()
        {
            int rest = (int)(_position % BlockSize);
            if (rest != 0) Write(ZeroBlock.AsSpan(0, BlockSize - rest));
        }

        private void Advance(long n)
        {
            _position += n;
            if (_position - _lastReport >= 4 << 20) { ct.ThrowIfCancellationRequested(); progress?.Report(new(_position, total)); _lastReport = _position; }
        }

        public void Finish()
        {
            if (_sparse && output.Length < _position) output.SetLength(_position);
            if (_position != total) throw new InvalidOperationException($"Layout mismatch: wrote {_position} bytes, laid out {total}.");
            ct.ThrowIfCancellationRequested();
            progress?.Report(new(_position, total));
        }
    }
}
