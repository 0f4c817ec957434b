namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// The ISO 9660 file system of an image (ECMA-119), with its Joliet (UCS-2) and ISO 9660:1999 trees, Rock Ridge
/// (IEEE P1281 SUSP / P1282 RRIP) over the primary tree, zisofs, multi-extent files, multisession images,
/// El Torito and the implantisomd5 checksum. Read-only and thread-safe; every walk is bounded by caps that do
/// not depend on the file (docs/iso9660.md). Get one from <see cref="FileSystem.Open(Stream, FileSystemOpenOptions?)"/>.
/// </summary>
public sealed partial class Iso9660FileSystem : FileSystemReader
{
    private static readonly string[] RockRidgeIds = ["RRIP_1991A", "IEEE_P1282", "IEEE_1282"];

    private readonly VolumeSource _source;
    private readonly IsoVolume _volume;
    private readonly IsoVolume? _jolietVolume, _enhancedVolume;
    private readonly IsoVolumeDescriptorSet _set;
    private readonly List<VirtualDiskDiagnostic> _warnings = [];
    private readonly FileSystemEntry _root;
    private readonly IsoTreeKind _kind;
    private readonly RockRidgeRecord? _rootRr;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(IsoTreeKind, long), long> _directoryOwners = new();

    /// <summary>Directories whose owning record is remembered per reader (beyond it, no more are tracked).</summary>
    public const int MaxTrackedDirectories = 262_144;

    /// <summary>
    /// ECMA-119 §6.8.2: directories form a tree, so each directory extent is reached through one record. The first
    /// record that yields it owns it; another record naming the same extent is not followed (without this, records
    /// that share subdirectories make a walk grow exponentially with the depth).
    /// </summary>
    internal bool ClaimDirectory(IsoTreeKind kind, long block, long recordOffset)
    {
        var key = (kind, block);
        if (_directoryOwners.TryGetValue(key, out long owner)) return owner == recordOffset;
        if (_directoryOwners.Count >= MaxTrackedDirectories) return true;
        return _directoryOwners.GetOrAdd(key, recordOffset) == recordOffset;
    }

    private Iso9660FileSystem(VolumeSource source, IsoVolumeDescriptorSet set, List<IsoSession> sessions, IsoSession session,
        IsoVolume volume, IsoVolume? joliet, IsoVolume? enhanced, RockRidgeRecord? rootRr, FileSystemNamespace ns)
    {
        _source = source;
        _set = set;
        Sessions = sessions;
        Session = session;
        _volume = volume;
        _jolietVolume = joliet;
        _enhancedVolume = enhanced;
        _rootRr = rootRr;
        Namespace = ns;
        var available = new List<FileSystemNamespace>();
        if (rootRr is not null) available.Add(FileSystemNamespace.RockRidge);
        if (joliet is not null) available.Add(FileSystemNamespace.Joliet);
        available.Add(FileSystemNamespace.Iso9660);
        if (enhanced is not null) available.Add(FileSystemNamespace.Iso9660Enhanced);
        AvailableNamespaces = available;
        _kind = KindOf(ns);
        _root = RootOf(_kind);
    }

    /// <summary>The namespace this reader shows.</summary>
    public override FileSystemNamespace Namespace { get; }

    /// <summary>Every namespace the volume holds, Rock Ridge first, then Joliet, ISO 9660 and ISO 9660:1999.</summary>
    public override IReadOnlyList<FileSystemNamespace> AvailableNamespaces { get; }

    /// <summary>The Joliet volume identifier when Joliet is read, else the primary descriptor's.</summary>
    public override string VolumeLabel => _kind == IsoTreeKind.Joliet ? _set.Joliet!.VolumeIdentifier
        : _kind == IsoTreeKind.Enhanced ? _set.Enhanced!.VolumeIdentifier : PrimaryVolumeDescriptor.VolumeIdentifier;

    /// <inheritdoc />
    public override FileSystemEntry Root => _root;

    /// <inheritdoc />
    public override IReadOnlyList<VirtualDiskDiagnostic> Warnings => _warnings;

    /// <summary>Every volume descriptor of the session's set, in order (terminator included).</summary>
    public IReadOnlyList<IsoVolumeDescriptor> VolumeDescriptors => _set.All;

    /// <summary>The primary volume descriptor (the first of the set).</summary>
    public IsoPrimaryVolumeDescriptor PrimaryVolumeDescriptor => _set.Primary!;

    /// <summary>The first Joliet supplementary descriptor, or null.</summary>
    public IsoSupplementaryVolumeDescriptor? JolietVolumeDescriptor => _set.Joliet;

    /// <summary>The first ISO 9660:1999 enhanced descriptor, or null.</summary>
    public IsoSupplementaryVolumeDescriptor? EnhancedVolumeDescriptor => _set.Enhanced;

    /// <summary>The El Torito (or other) boot record descriptor, or null.</summary>
    public IsoBootRecordDescriptor? BootRecordDescriptor => _set.BootRecord;

    /// <summary>The sessions of the image, oldest first (one for a single-session image).</summary>
    public IReadOnlyList<IsoSession> Sessions { get; }

    /// <summary>The session this reader shows (by default the last).</summary>
    public IsoSession Session { get; }

    /// <summary>True when the primary tree carries Rock Ridge (SUSP "SP" in the root's "." record, and RRIP entries or an RRIP "ER").</summary>
    public bool HasRockRidge => _rootRr is not null;

    /// <summary>The SUSP extension identifiers the root records in ER entries (e.g. "RRIP_1991A", "IEEE_P1282").</summary>
    public IReadOnlyList<string> SuspExtensions => _rootRr?.ExtensionIds ?? (IReadOnlyList<string>)[];

    /// <summary>The LEN_SKP of the root's SP entry (bytes skipped at the start of every System Use area).</summary>
    public int SuspSkipLength => _volume.SuspSkip;

    /// <summary>The logical block size (ECMA-119 §6.2.2).</summary>
    public int LogicalBlockSize => _volume.BlockSize;

    internal static bool TryOpen(VolumeSource source, FileSystemOpenOptions options, out FileSystemReader? reader, out VirtualDiskDiagnostic? failure)
    {
        reader = null;
        failure = null;
        try
        {
            reader = Open(source, options);
            return true;
        }
        catch (VirtualDiskException e)
        {
            failure = e.Diagnostic;
            return false;
        }
    }

    private static Iso9660FileSystem Open(VolumeSource source, FileSystemOpenOptions options)
    {
        string? file = source.Name;
        var first = IsoVolumeDescriptorSet.Read(source, 0);
        if (first is null)
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotFound, file, "No \"CD001\" volume descriptor at sector 16", 16 * 2048));
        var sessions = IsoVolumeDescriptorSet.FindSessions(source, first);
        IsoSession session;
        IsoVolumeDescriptorSet set;
        if (sessions.Count == 0)
        {
            session = new IsoSession(0, 0, 0, "");
            set = first;
        }
        else
        {
            int index = options.Session ?? sessions.Count - 1;
            if (index < 0 || index >= sessions.Count)
                ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoSessionNotFound, file, $"Session {index}; the image has {sessions.Count} (0…{sessions.Count - 1})"));
            session = sessions[index];
            set = session.StartSector == 0 ? first : IsoVolumeDescriptorSet.Read(source, session.StartSector)!;
        }
        var warnings = new List<VirtualDiskDiagnostic>();
        if (set.Primary is not { } pvd)
        {
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoNoPrimaryDescriptor, file, $"{set.All.Count} descriptor(s) read", (session.StartSector + 16) * 2048));
            return null!;
        }
        if (!set.Terminated)
            warnings.Add(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoDescriptorSetUnterminated, file, $"{set.All.Count} descriptor(s) read (cap {IsoVolumeDescriptorSet.MaxDescriptors})", set.All[^1].Offset));
        if (!pvd.BothEndianAgree)
            warnings.Add(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoBothEndianMismatch, file, "In the primary volume descriptor", pvd.Offset));

        var volume = VolumeOf(source, pvd, session);
        RockRidgeRecord? rootRr = DetectRockRidge(volume, pvd);
        var joliet = set.Joliet is { } j ? TryVolumeOf(source, j, session, warnings) : null;
        var enhanced = set.Enhanced is { } x ? TryVolumeOf(source, x, session, warnings) : null;

        var ns = options.Namespace;
        if (ns == FileSystemNamespace.Auto) ns = rootRr is not null ? FileSystemNamespace.RockRidge : joliet is not null ? FileSystemNamespace.Joliet : FileSystemNamespace.Iso9660;
        bool present = ns switch
        {
            FileSystemNamespace.Iso9660 => true,
            FileSystemNamespace.RockRidge => rootRr is not null,
            FileSystemNamespace.Joliet => joliet is not null,
            FileSystemNamespace.Iso9660Enhanced => enhanced is not null,
            _ => false,
        };
        if (!present)
            ThrowHelper.Throw(new VirtualDiskDiagnostic(ns == FileSystemNamespace.Udf ? VirtualDiskErrorReason.FileSystemNotFound : VirtualDiskErrorReason.IsoNamespaceNotPresent,
                file, $"{ns} asked for; the image has {string.Join(", ", new[] { rootRr is not null ? "RockRidge" : null, joliet is not null ? "Joliet" : null, "Iso9660", enhanced is not null ? "Iso9660Enhanced" : null }.Where(s => s is not null))}"));
        var fs = new Iso9660FileSystem(source, set, sessions, session, volume, joliet, enhanced, rootRr, ns);
        fs._warnings.AddRange(warnings);
        return fs;
    }

    /// <summary>The volume a descriptor describes: block size (ECMA-119 §8.4.12: 512, 1024 or 2048) and root record checked.</summary>
    private static IsoVolume VolumeOf(VolumeSource source, IsoVolumeSpaceDescriptor d, IsoSession session)
    {
        int bs = d.LogicalBlockSize;
        if (bs is not (512 or 1024 or 2048))
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoLogicalBlockSizeInvalid, source.Name, $"Logical block size {bs}", d.Offset + IsoVolumeSpaceDescriptor.LogicalBlockSizeOffset));
        var root = d.RootDirectoryRecord.Span;
        // ECMA-119 §8.4.18 / §9.1: a 34-byte record of a directory whose extent lies in the image.
        if (root[0] < IsoDirectoryRecord.MinimumLength || (root[IsoDirectoryRecord.FlagsOffset] & IsoDirectoryRecord.FlagDirectory) == 0
            || (long)(d.RootExtent + root[IsoDirectoryRecord.EarLengthOffset]) * bs + Math.Min(d.RootDataLength, 2048u) > source.Length || d.RootDataLength == 0)
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoRootRecordInvalid, source.Name,
                $"LEN_DR {root[0]}, flags 0x{root[IsoDirectoryRecord.FlagsOffset]:X2}, extent {d.RootExtent}, length {d.RootDataLength}; image {source.Length} bytes",
                d.Offset + IsoVolumeSpaceDescriptor.RootDirectoryRecordOffset));
        long startBlock = session.StartSector * IsoVolumeDescriptor.Size / bs;
        return new IsoVolume { Source = source, BlockSize = bs, EndBlock = startBlock + d.VolumeSpaceSize };
    }

    private static IsoVolume? TryVolumeOf(VolumeSource source, IsoVolumeSpaceDescriptor d, IsoSession session, List<VirtualDiskDiagnostic> warnings)
    {
        try
        {
            return VolumeOf(source, d, session);
        }
        catch (VirtualDiskException e)
        {
            warnings.Add(e.Diagnostic); // a damaged Joliet/1999 side leaves the primary tree readable
            return null;
        }
    }

    /// <summary>
    /// IEEE P1281 §5.3: SUSP is in use when the root's "." record starts its System Use area with SP (at byte 0,
    /// or 14 after a CD-XA block as Linux and 7-Zip also look); Rock Ridge when, besides, the root has RRIP
    /// entries or an ER naming RRIP (IEEE P1282 §5).
    /// </summary>
    private static RockRidgeRecord? DetectRockRidge(IsoVolume volume, IsoVolumeSpaceDescriptor pvd)
    {
        Span<byte> sector = stackalloc byte[IsoDirectoryRecord.SectorSize];
        long at = ((long)pvd.RootExtent + pvd.RootDirectoryRecord.Span[IsoDirectoryRecord.EarLengthOffset]) * volume.BlockSize;
        if (!volume.Source.TryReadExactlyAt(at, sector)) return null;
        if (IsoDirectoryRecord.TryParse(sector, 0, out var dot) != IsoRecordStatus.Ok) return null;
        var rec = sector[..dot.Length];
        foreach (int xa in (ReadOnlySpan<int>)[0, 14])
        {
            int su = dot.SystemUseOffset + xa;
            if (su + 7 > dot.Length || rec[su] != 'S' || rec[su + 1] != 'P') continue;
            var rr = new RockRidgeRecord();
            SuspArea.Walk(volume, rec[su..], at + su, rr, isRoot: true, null, null);
            if (!rr.HasSp) continue;
            bool rrip = rr.Any || (rr.ExtensionIds?.Exists(id => RockRidgeIds.Contains(id)) ?? false);
            if (!rrip) return null;
            volume.SuspSkip = rr.SpSkip + xa;
            return rr;
        }
        return null;
    }

    private static IsoTreeKind KindOf(FileSystemNamespace ns) => ns switch
    {
        FileSystemNamespace.RockRidge => IsoTreeKind.RockRidge,
        FileSystemNamespace.Joliet => IsoTreeKind.Joliet,
        FileSystemNamespace.Iso9660Enhanced => IsoTreeKind.Enhanced,
        _ => IsoTreeKind.Iso9660,
    };

    private IsoVolume VolumeFor(IsoTreeKind kind) => kind switch
    {
        IsoTreeKind.Joliet => _jolietVolume!,
        IsoTreeKind.Enhanced => _enhancedVolume!,
        _ => _volume,
    };

    private IsoVolumeSpaceDescriptor DescriptorFor(IsoTreeKind kind) => kind switch
    {
        IsoTreeKind.Joliet => _set.Joliet!,
        IsoTreeKind.Enhanced => _set.Enhanced!,
        _ => _set.Primary!,
    };

    /// <summary>The root entry of a tree: the descriptor's root record, with Rock Ridge attributes from the root's "." record.</summary>
    private FileSystemEntry RootOf(IsoTreeKind kind)
    {
        var d = DescriptorFor(kind);
        var volume = VolumeFor(kind);
        var root = d.RootDirectoryRecord.Span;
        long block = (long)d.RootExtent + root[IsoDirectoryRecord.EarLengthOffset];
        var rr = kind == IsoTreeKind.RockRidge ? _rootRr : null;
        return IsoDirectoryReader.Entry("", "", "/", FileSystemEntryKind.Directory, d.RootDataLength,
            [new FileExtent(block * volume.BlockSize, d.RootDataLength)], root[IsoDirectoryRecord.FlagsOffset], root,
            d.Offset + IsoVolumeSpaceDescriptor.RootDirectoryRecordOffset, rr,
            new IsoEntryTag { Directory = new IsoDirectoryNode(block, d.RootDataLength, null, false) });
    }

    /// <inheritdoc />
    public override IEnumerable<FileSystemEntry> EnumerateDirectory(FileSystemEntry directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (directory.Tag is not IsoEntryTag { Directory: { } node })
        {
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotADirectory, _source.Name, null, directory.RecordOffset, entryPath: directory.Path));
            return [];
        }
        return new IsoDirectoryReader(this, VolumeFor(_kind), _kind, directory, node, null).Enumerate();
    }

    internal IEnumerable<FileSystemEntry> EnumerateIn(IsoTreeKind kind, FileSystemEntry directory, IsoFindings? findings) =>
        new IsoDirectoryReader(this, VolumeFor(kind), kind, directory, ((IsoEntryTag)directory.Tag!).Directory!, findings).Enumerate();

    /// <inheritdoc />
    public override bool TryGetEntry(string path, out FileSystemEntry? entry, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(path);
        entry = null;
        failure = null;
        if (path.Length == 0 || path[0] != '/')
        {
            failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemPathInvalid, _source.Name, "The path must start with '/'", entryPath: path);
            return false;
        }
        // ECMA-119 §7.5–7.6 d-characters are upper case only: plain ISO 9660 names match without regard to case
        // (as Linux's default "check=relaxed" does); Joliet, Rock Ridge and ISO 9660:1999 names match exactly.
        var comparison = _kind == IsoTreeKind.Iso9660 ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var current = _root;
        string walked = "";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is "." or "..")
            {
                failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemPathInvalid, _source.Name, "'.' and '..' are not allowed in a path", entryPath: path);
                return false;
            }
            if (!current.IsDirectory)
            {
                failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotADirectory, _source.Name, null, current.RecordOffset, entryPath: current.Path);
                return false;
            }
            FileSystemEntry? found = null;
            try
            {
                foreach (var child in EnumerateDirectory(current))
                {
                    if (!string.Equals(child.Name, part, comparison)) continue;
                    if (found is null || (found.IsAssociated && !child.IsAssociated)) found = child;
                    if (!child.IsAssociated) break;
                }
            }
            catch (VirtualDiskException e)
            {
                failure = e.Diagnostic;
                return false;
            }
            walked += "/" + part;
            if (found is null)
            {
                failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemEntryNotFound, _source.Name, null, entryPath: walked);
                return false;
            }
            current = found;
        }
        entry = current;
        return true;
    }

    /// <inheritdoc />
    public override Stream OpenFile(FileSystemEntry file) => Open(file, raw: false);

    /// <summary>
    /// The file's recorded bytes without zisofs decompression (for a zisofs file: its header, block pointers and
    /// zlib streams, as 7-Zip and isoinfo extract it).
    /// </summary>
    public Iso9660FileStream OpenRawFile(FileSystemEntry file) => Open(file, raw: true);

    private Iso9660FileStream Open(FileSystemEntry file, bool raw)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Kind != FileSystemEntryKind.File)
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotAFile, _source.Name, file.Kind.ToString(), file.RecordOffset, entryPath: file.Path));
        var tag = file.Tag as IsoEntryTag;
        if (tag?.Refusal is { } refusal) ThrowHelper.Throw(refusal);
        if (file.Extents is not InterleavedExtents)
            foreach (var e in file.Extents)
                if (!_volume.InImage(e.Offset, e.Length))
                    ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoExtentBeyondImageEnd, _source.Name,
                        $"Extent at byte {e.Offset}, {e.Length} bytes; the image has {_source.Length}", file.RecordOffset, entryPath: file.Path));
        var content = new ExtentContent(_volume, file.Extents, file.Path);
        if (!raw && tag?.Zisofs is { } zf)
        {
            var bad = ZisofsContent.TryOpen(content, zf, _source.Name, file.Path, file.RecordOffset, out var z);
            if (bad is not null) ThrowHelper.Throw(bad);
            return new Iso9660FileStream(z!);
        }
        return new Iso9660FileStream(content);
    }

    /// <summary>True when the entry is a zisofs-compressed file (its <see cref="FileSystemEntry.Length"/> is the uncompressed length).</summary>
    public static bool IsCompressed(FileSystemEntry entry) => entry.Tag is IsoEntryTag { Zisofs: not null };
}
