using System.Buffers;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>Which tree and naming rules a directory is read with.</summary>
internal enum IsoTreeKind
{
    Iso9660,
    Joliet,
    RockRidge,
    Enhanced,
}

/// <summary>A directory on the walk: its extent and the chain of directories above it (for cycle checks).</summary>
internal sealed class IsoDirectoryNode(long firstBlock, uint length, IsoDirectoryNode? parent, bool relocated)
{
    public long FirstBlock { get; } = firstBlock;
    public uint Length { get; } = length;
    public IsoDirectoryNode? Parent { get; } = parent;
    public bool Relocated { get; } = relocated;
    public int Depth { get; } = parent is null ? 0 : parent.Depth + 1;

    /// <summary>True when <paramref name="block"/> is this directory's or an ancestor's extent (bounded by the depth cap).</summary>
    public bool IsSelfOrAncestor(long block)
    {
        for (var n = this; n is not null; n = n.Parent)
            if (n.FirstBlock == block) return true;
        return false;
    }
}

/// <summary>The reader's state for one entry (<see cref="FileSystemEntry.Tag"/>).</summary>
internal sealed class IsoEntryTag
{
    public IsoDirectoryNode? Directory { get; init; }
    public ZisofsInfo? Zisofs { get; init; }

    /// <summary>Set when the file cannot be read as recorded (OpenFile refuses with it).</summary>
    public VirtualDiskDiagnostic? Refusal { get; init; }
}

/// <summary>
/// Enumerates one directory lazily (ECMA-119 §6.8, §9.1): reads its extent 16 sectors at a time from a pooled
/// buffer, parses each 2048-byte sector's records (a record never crosses a sector, §6.8.1.1; LEN_DR = 0 ends
/// the sector), joins multi-extent records (§9.1.6 bit 7) and applies the namespace's naming (ISO 9660,
/// Joliet UCS-2, Rock Ridge NM, ISO 9660:1999). Nothing but the current chunk is held.
/// </summary>
internal sealed class IsoDirectoryReader
{
    /// <summary>Sections of one multi-extent file (Linux isofs allows 100; the cap does not depend on the file).</summary>
    public const int MaxSections = 1024;

    private const int ChunkSectors = 16;

    private readonly Iso9660FileSystem _fs;
    private readonly IsoVolume _volume;
    private readonly IsoTreeKind _kind;
    private readonly IsoFindings? _findings;
    private readonly FileSystemEntry _directory;
    private readonly IsoDirectoryNode _node;
    private readonly RockRidgeRecord _rr = new();
    private readonly IsoFindings? _suspFindings; // a record's SUSP findings, reported under its final (NM) path
    private readonly List<FileExtent> _sections = [];
    private byte[]? _pendingId;
    private long _pendingOffset;
    private long _lastSectionBlock = -1;

    public IsoDirectoryReader(Iso9660FileSystem fs, IsoVolume volume, IsoTreeKind kind, FileSystemEntry directory, IsoDirectoryNode node, IsoFindings? findings)
    {
        _fs = fs;
        _volume = volume;
        _kind = kind;
        _directory = directory;
        _node = node;
        _findings = findings;
        _suspFindings = findings is null ? null : new IsoFindings(volume.Name);
    }

    private string ChildPath(string name) => _directory.Path == "/" ? "/" + name : _directory.Path + "/" + name;

    private void Fail(VirtualDiskErrorReason reason, string detail, long offset, string? entryPath = null) =>
        ThrowHelper.Throw(new VirtualDiskDiagnostic(reason, _volume.Name, detail, offset, entryPath: entryPath ?? _directory.Path));

    public IEnumerable<FileSystemEntry> Enumerate()
    {
        long start = _node.FirstBlock * _volume.BlockSize;
        long length = _node.Length;
        if (!_volume.InImage(start, length))
            Fail(VirtualDiskErrorReason.IsoExtentBeyondImageEnd, $"Directory extent {_node.FirstBlock} ({length} bytes) ends past the image end ({_volume.ImageLength})", start);
        if (!_volume.InVolume(_node.FirstBlock, length))
            _findings?.Report(VirtualDiskErrorReason.IsoExtentOutsideVolume, $"Directory extent {_node.FirstBlock} ({length} bytes); volume {_volume.EndBlock} blocks", start, _directory.Path);
        if (_findings is not null) CheckDotRecords(start, length);
        const int chunk = ChunkSectors * IsoDirectoryRecord.SectorSize;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            for (long chunkStart = 0; chunkStart < length; chunkStart += chunk)
            {
                int n = (int)Math.Min(chunk, length - chunkStart);
                _volume.ReadExactly(start + chunkStart, buffer.AsSpan(0, n), _directory.Path);
                for (int sector = 0; sector < n; sector += IsoDirectoryRecord.SectorSize)
                {
                    int sectorLength = Math.Min(IsoDirectoryRecord.SectorSize, n - sector);
                    long sectorOffset = start + chunkStart + sector;
                    int pos = 0;
                    while (pos < sectorLength)
                    {
                        var entry = Next(buffer.AsSpan(sector, sectorLength), ref pos, sectorOffset);
                        if (entry is not null) yield return entry;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (_pendingId is not null)
        {
            Report(VirtualDiskErrorReason.IsoMultiExtentChainBroken, $"The directory ends after {_sections.Count} section(s) flagged 'more to follow'", _pendingOffset, NamePathOf(_pendingId));
            _pendingId = null;
        }
    }

    /// <summary>ECMA-119 §6.8.2.2: a directory's first record is "." (identifier 0x00, its own extent), its second "..".</summary>
    private void CheckDotRecords(long start, long length)
    {
        Span<byte> s = stackalloc byte[IsoDirectoryRecord.SectorSize];
        s = s[..(int)Math.Min(length, IsoDirectoryRecord.SectorSize)];
        if (s.IsEmpty || !_volume.Source.TryReadExactlyAt(start, s))
        {
            _findings!.Report(VirtualDiskErrorReason.IsoDirectoryDotRecordsMissing, $"The directory records {length} bytes", start, _directory.Path);
            return;
        }
        string? problem = null;
        if (IsoDirectoryRecord.TryParse(s, 0, out var dot) != IsoRecordStatus.Ok || dot.IdentifierLength != 1 || s[IsoDirectoryRecord.IdentifierOffset] != 0)
            problem = "The first record is not \".\" (identifier 0x00)";
        else if (IsoDirectoryRecord.TryParse(s, dot.Length, out var dotdot) != IsoRecordStatus.Ok || dotdot.IdentifierLength != 1 || s[dot.Length + IsoDirectoryRecord.IdentifierOffset] != 1)
            problem = "The second record is not \"..\" (identifier 0x01)";
        else if ((long)dot.Extent + dot.EarLength != _node.FirstBlock)
            problem = $"The \".\" record names extent {dot.Extent}, not the directory's own {_node.FirstBlock}";
        if (problem is not null) _findings!.Report(VirtualDiskErrorReason.IsoDirectoryDotRecordsMissing, problem, start, _directory.Path);
    }

    /// <summary>Reports to the deep check, or (when reading normally) throws: the entry cannot be shown as recorded.</summary>
    private void Report(VirtualDiskErrorReason reason, string detail, long offset, string? entryPath)
    {
        if (_findings is null) Fail(reason, detail, offset, entryPath);
        else _findings.Report(reason, detail, offset, entryPath ?? _directory.Path);
    }

    private string NamePathOf(ReadOnlySpan<byte> id) => ChildPath(_kind == IsoTreeKind.Joliet ? JolietName.Decode(id, out _) : JolietName.Bytes(id));

    /// <summary>Parses the record at <paramref name="pos"/>; advances it; returns the entry to show, if any.</summary>
    private FileSystemEntry? Next(ReadOnlySpan<byte> sector, ref int pos, long sectorOffset)
    {
        long recordOffset = sectorOffset + pos;
        var status = IsoDirectoryRecord.TryParse(sector, pos, out var r);
        switch (status)
        {
            case IsoRecordStatus.EndOfSector:
                pos = sector.Length;
                return null;
            case IsoRecordStatus.CrossesSector:
                Fail(VirtualDiskErrorReason.IsoDirectoryRecordCrossesSector,
                    $"LEN_DR {sector[pos]} at byte {pos} of the sector runs {pos + sector[pos] - sector.Length} byte(s) into the next", recordOffset);
                return null;
            case IsoRecordStatus.LengthInvalid:
                Fail(VirtualDiskErrorReason.IsoDirectoryRecordLengthInvalid,
                    pos + IsoDirectoryRecord.IdentifierLengthOffset < sector.Length && sector[pos] >= IsoDirectoryRecord.MinimumLength
                        ? $"LEN_DR {sector[pos]}, LEN_FI {sector[pos + IsoDirectoryRecord.IdentifierLengthOffset]}"
                        : $"LEN_DR {sector[pos]} (at least {IsoDirectoryRecord.MinimumLength})", recordOffset);
                return null;
        }
        var rec = sector.Slice(pos, r.Length);
        pos += r.Length;
        var id = rec.Slice(IsoDirectoryRecord.IdentifierOffset, r.IdentifierLength);
        if (IsoDirectoryRecord.IsDotOrDotDot(id)) return null;

        // Multi-extent (ECMA-119 §9.1.6 bit 7, §6.5.1): consecutive records with the same identifier, all but the last flagged.
        if (_pendingId is not null && (!id.SequenceEqual(_pendingId) || r.IsDirectory))
        {
            Report(VirtualDiskErrorReason.IsoMultiExtentChainBroken,
                $"After {_sections.Count} section(s) flagged 'more to follow', a record of another name or a directory follows", _pendingOffset, NamePathOf(_pendingId));
            _pendingId = null;
            _sections.Clear();
        }
        long firstBlock = (long)r.Extent + r.EarLength; // ECMA-119 §9.1.2: data follow the extended attribute record
        if (r.IsMultiExtent && !r.IsDirectory)
        {
            if (_pendingId is null) { _pendingId = id.ToArray(); _pendingOffset = recordOffset; _sections.Clear(); _lastSectionBlock = -1; }
            AddSection(firstBlock, r, recordOffset, id);
            if (_sections.Count >= MaxSections)
                Fail(VirtualDiskErrorReason.IsoMultiExtentTooManySections, $"Cap: {MaxSections} sections", _pendingOffset, NamePathOf(id));
            return null;
        }
        bool multi = _pendingId is not null;
        if (multi) AddSection(firstBlock, r, recordOffset, id);
        _pendingId = null;

        bool badUcs2 = false;
        string raw = _kind == IsoTreeKind.Joliet ? JolietName.Decode(id, out badUcs2) : JolietName.Bytes(id);
        if (_kind == IsoTreeKind.Joliet && badUcs2)
            _findings?.Report(VirtualDiskErrorReason.IsoJolietNameInvalid, $"Identifier of {id.Length} bytes: {Convert.ToHexString(id)}", recordOffset, ChildPath(raw));
        string? name = _kind switch
        {
            IsoTreeKind.Iso9660 => JolietName.MapIso(raw),
            IsoTreeKind.Joliet => JolietName.MapJoliet(raw),
            IsoTreeKind.RockRidge => null, // below: NM, or without it the ISO 9660 name (as libarchive does)
            _ => raw,
        };

        var rr = _rr;
        bool useRr = _kind == IsoTreeKind.RockRidge;
        if (useRr)
        {
            rr.Reset();
            int su = r.SystemUseOffset + _volume.SuspSkip;
            if (su < r.Length)
                SuspArea.Walk(_volume, rec[su..], recordOffset + su, rr, isRoot: false, _suspFindings, null);
            if (rr.HasName && rr.NameLength > 0) name = JolietName.Bytes(rr.Name);
        }
        name ??= JolietName.MapIso(raw);
        string path = ChildPath(name);
        if (useRr && _suspFindings is not null && _suspFindings.Count > 0) _suspFindings.MoveTo(_findings!, path);
        if (_findings is not null && (name.Length == 0 || name is "." or ".." || name.AsSpan().IndexOfAny('/', '\0') >= 0))
            _findings.Report(VirtualDiskErrorReason.IsoEntryNameInvalid, $"Name \"{name.Replace("\0", "\\0")}\" ({name.Length} characters)", recordOffset, path);

        bool isDirectory = r.IsDirectory;
        long dataLength = r.DataLength;
        long dirBlock = firstBlock;
        bool relocated = false;
        if (useRr)
        {
            if (rr.Relocated) return null; // IEEE P1282 §4.1.5.3: shown at its CL placeholder instead
            if (rr.ChildLink is uint cl && !isDirectory)
            {
                if (!FollowRelocation(cl, recordOffset, path, out dataLength)) return null;
                isDirectory = true;
                dirBlock = cl;
                relocated = true;
            }
            if (isDirectory && _node.Depth == 0 && name == "rr_moved" && OnlyRelocated(dirBlock, r.DataLength)) return null;
        }

        if (isDirectory)
        {
            if (_node.IsSelfOrAncestor(dirBlock))
            {
                // Skipped (as 7-Zip does, "self-linked directory"); the deep check reports it.
                _findings?.Report(VirtualDiskErrorReason.FileSystemDirectoryCycle, $"The directory's extent {dirBlock} is its own or an ancestor's", recordOffset, path);
                return null;
            }
            if (!_fs.ClaimDirectory(_kind, dirBlock, recordOffset))
            {
                _findings?.Report(VirtualDiskErrorReason.IsoDirectoryLinkedTwice, $"The directory at block {dirBlock} is already reached through another record", recordOffset, path);
                return null;
            }
            if (r.IsInterleaved && !relocated)
            {
                Report(VirtualDiskErrorReason.IsoInterleavedNotSupported, $"Interleaved directory (file unit {r.FileUnitSize}, gap {r.InterleaveGap})", recordOffset, path);
                return null;
            }
            var node = new IsoDirectoryNode(dirBlock, (uint)dataLength, _node, relocated || _node.Relocated);
            return Build(name, raw, path, FileSystemEntryKind.Directory, dataLength, [new FileExtent(dirBlock * _volume.BlockSize, dataLength)],
                r, rec, recordOffset, useRr ? rr : null, new IsoEntryTag { Directory = node });
        }

        // A file: its sections, or its single (possibly interleaved) extent.
        IReadOnlyList<FileExtent> extents;
        long length;
        VirtualDiskDiagnostic? refusal = null;
        if (multi)
        {
            extents = _sections.ToArray();
            length = 0;
            foreach (var e in extents) length += e.Length;
            _sections.Clear();
        }
        else if (r.IsInterleaved && r.FileUnitSize != 0 && dataLength > 0)
        {
            extents = new InterleavedExtents(firstBlock * _volume.BlockSize, r.FileUnitSize, r.InterleaveGap, _volume.BlockSize, dataLength);
            length = dataLength;
        }
        else
        {
            if (r.IsInterleaved && r.FileUnitSize == 0 && dataLength > 0)
                refusal = new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoInterleavedNotSupported, _volume.Name,
                    $"Interleave gap {r.InterleaveGap} with a file unit size of 0", recordOffset, entryPath: path);
            extents = dataLength == 0 ? [] : [new FileExtent(firstBlock * _volume.BlockSize, dataLength)];
            length = dataLength;
        }
        if (multi && r.IsInterleaved)
            refusal = new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoInterleavedNotSupported, _volume.Name, "An interleaved multi-extent file", recordOffset, entryPath: path);

        var kind = FileSystemEntryKind.File;
        string? target = null;
        ZisofsInfo? zf = null;
        if (useRr)
        {
            var fromMode = rr.KindFromMode();
            if (rr.HasSymlink) { kind = FileSystemEntryKind.Symlink; target = rr.SymlinkTarget; }
            else if (fromMode is { } k && k != FileSystemEntryKind.Directory) { kind = k; if (k == FileSystemEntryKind.Symlink) target = ""; }
            if (rr.Zisofs is { } z && kind == FileSystemEntryKind.File)
            {
                zf = z;
                length = z.UncompressedSize;
                if (multi) refusal ??= new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoZisofsHeaderInvalid, _volume.Name, "ZF on a multi-extent file (zisofs files have one extent)", z.EntryOffset, entryPath: path);
            }
        }
        return Build(name, raw, path, kind, kind == FileSystemEntryKind.File ? length : (kind == FileSystemEntryKind.Symlink ? 0 : length),
            extents, r, rec, recordOffset, useRr ? rr : null, zf is null && refusal is null ? null : new IsoEntryTag { Zisofs = zf, Refusal = refusal }, target);
    }

    private void AddSection(long firstBlock, in IsoDirectoryRecord r, long recordOffset, ReadOnlySpan<byte> id)
    {
        if (_lastSectionBlock >= 0 && firstBlock < _lastSectionBlock)
            _findings?.Report(VirtualDiskErrorReason.IsoMultiExtentOutOfOrder, $"Section {_sections.Count + 1} at block {firstBlock} lies before section {_sections.Count} at block {_lastSectionBlock}", recordOffset, NamePathOf(id));
        _lastSectionBlock = firstBlock;
        if (r.DataLength > 0) _sections.Add(new FileExtent(firstBlock * _volume.BlockSize, r.DataLength));
    }

    private static FileSystemEntry Build(string name, string raw, string path, FileSystemEntryKind kind, long length, IReadOnlyList<FileExtent> extents,
        in IsoDirectoryRecord r, ReadOnlySpan<byte> rec, long recordOffset, RockRidgeRecord? rr, IsoEntryTag? tag, string? target = null) =>
        Entry(name, raw, path, kind, length, extents, r.Flags, rec, recordOffset, rr, tag, target);

    /// <summary>
    /// An entry from its directory record (ECMA-119 §9.1: recording date at byte 18, flags at byte 25) and, for Rock
    /// Ridge, the record's RRIP attributes (IEEE P1282 §4.1.1 PX, §4.1.6 TF, §4.1.2 PN), which win over the record's date.
    /// </summary>
    internal static FileSystemEntry Entry(string name, string raw, string path, FileSystemEntryKind kind, long length, IReadOnlyList<FileExtent> extents,
        byte flags, ReadOnlySpan<byte> rec, long recordOffset, RockRidgeRecord? rr, IsoEntryTag? tag, string? target = null)
    {
        return new FileSystemEntry
        {
            Name = name,
            Path = path,
            RawName = raw,
            Kind = kind,
            Length = length,
            SymlinkTarget = target,
            ModificationTime = rr?.Modified ?? IsoBytes.RecordingDate(rec.Slice(IsoDirectoryRecord.RecordingDateOffset, 7)),
            AccessTime = rr?.Accessed,
            AttributeChangeTime = rr?.AttributesChanged,
            CreationTime = rr?.Created,
            Mode = rr is { HasPx: true } ? (int)(rr.Mode & 0xFFF) : null,
            UserId = rr is { HasPx: true } ? rr.Uid : null,
            GroupId = rr is { HasPx: true } ? rr.Gid : null,
            LinkCount = rr is { HasPx: true } ? rr.Links : null,
            SerialNumber = rr?.Serial,
            DeviceNumber = rr?.DeviceNumber(),
            IsHidden = (flags & IsoDirectoryRecord.FlagHidden) != 0,
            IsAssociated = (flags & IsoDirectoryRecord.FlagAssociated) != 0,
            Extents = extents,
            RecordOffset = recordOffset,
            Tag = tag,
        };
    }

    /// <summary>
    /// RRIP CL (IEEE P1282 §4.1.5.1): the placeholder stands for the directory at <paramref name="block"/>, whose
    /// first record must be its "." record. Refused (a finding) when the target is outside the volume, not a
    /// directory, this directory or an ancestor, or is itself a CL placeholder (CL→CL; Linux rock.c refuses
    /// recursive relocation).
    /// </summary>
    private bool FollowRelocation(uint block, long recordOffset, string path, out long length)
    {
        length = 0;
        if (block >= _volume.EndBlock || (long)block * _volume.BlockSize + IsoDirectoryRecord.SectorSize > _volume.ImageLength)
        {
            _findings?.Report(VirtualDiskErrorReason.IsoRelocationInvalid, $"CL points at block {block}, outside the volume ({_volume.EndBlock} blocks)", recordOffset, path);
            return false;
        }
        if (_node.IsSelfOrAncestor(block))
        {
            _findings?.Report(VirtualDiskErrorReason.IsoRelocationLoop, $"CL points at block {block}: this directory or an ancestor", recordOffset, path);
            return false;
        }
        Span<byte> sector = stackalloc byte[IsoDirectoryRecord.SectorSize];
        long at = (long)block * _volume.BlockSize;
        if (!_volume.Source.TryReadExactlyAt(at, sector)) return false;
        if (IsoDirectoryRecord.TryParse(sector, 0, out var dot) != IsoRecordStatus.Ok || !dot.IsDirectory
            || dot.IdentifierLength != 1 || sector[IsoDirectoryRecord.IdentifierOffset] != 0)
        {
            _findings?.Report(VirtualDiskErrorReason.IsoRelocationInvalid, $"CL points at block {block}, which does not start with a directory's \".\" record", recordOffset, path);
            return false;
        }
        var probe = new RockRidgeRecord();
        int su = dot.SystemUseOffset + _volume.SuspSkip;
        if (su < dot.Length) SuspArea.Walk(_volume, sector[su..dot.Length], at + su, probe, isRoot: false, null, null);
        if (probe.ChildLink is not null)
        {
            _findings?.Report(VirtualDiskErrorReason.IsoRelocationLoop, $"CL points at block {block}, whose \".\" record is itself relocated (CL→CL)", recordOffset, path);
            return false;
        }
        length = dot.DataLength;
        return true;
    }

    /// <summary>
    /// The root's "rr_moved" is hidden (as libarchive does) when every record in it is a relocated directory
    /// (RE) — then each is shown at its CL placeholder. Reads at most the directory's first 16 sectors.
    /// </summary>
    private bool OnlyRelocated(long block, long length)
    {
        int n = (int)Math.Min(length, ChunkSectors * IsoDirectoryRecord.SectorSize);
        if (n <= 0) return false;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(n);
        try
        {
            if (!_volume.Source.TryReadExactlyAt(block * _volume.BlockSize, buffer.AsSpan(0, n))) return false;
            var probe = new RockRidgeRecord();
            for (int sector = 0; sector < n; sector += IsoDirectoryRecord.SectorSize)
            {
                var s = buffer.AsSpan(sector, Math.Min(IsoDirectoryRecord.SectorSize, n - sector));
                int pos = 0;
                while (pos < s.Length)
                {
                    var st = IsoDirectoryRecord.TryParse(s, pos, out var r);
                    if (st == IsoRecordStatus.EndOfSector) break;
                    if (st != IsoRecordStatus.Ok) return false;
                    var rec = s.Slice(pos, r.Length);
                    pos += r.Length;
                    if (IsoDirectoryRecord.IsDotOrDotDot(rec.Slice(IsoDirectoryRecord.IdentifierOffset, r.IdentifierLength))) continue;
                    probe.Reset();
                    int su = r.SystemUseOffset + _volume.SuspSkip;
                    if (su < r.Length) SuspArea.Walk(_volume, rec[su..], 0, probe, isRoot: false, null, null);
                    if (!probe.Relocated) return false;
                }
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
