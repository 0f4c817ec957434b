using System.Collections.Concurrent;
using System.Text;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// A UDF volume (ECMA-167 3rd edition; OSTA UDF 1.02 to 2.60) read from an image: Type 1, virtual (VAT), sparable
/// and metadata partitions; File Entries and Extended File Entries; ICB strategies 4 and 4096; named streams listed
/// as associated entries named <c>file:stream</c>. Get one from <see cref="FileSystem.Open(VirtualDiskHandle, FileSystemOpenOptions?)"/>
/// (with <see cref="FileSystemNamespace.Udf"/>, or Auto on a disc with a UDF volume) and cast it to read the UDF
/// specifics. docs/udf.md describes the caps and rules.
/// </summary>
public sealed partial class UdfFileSystem : FileSystemReader
{
    /// <summary>Cap on the bytes of a symbolic link's path components.</summary>
    private const int MaxSymlinkSize = 64 * 1024;
    /// <summary>Cap on named streams listed per file.</summary>
    private const int MaxStreamsPerFile = 1024;
    /// <summary>Cap on the bytes of one directory (7-Zip: under 1 GiB).</summary>
    private const long MaxDirectorySize = 1L << 30;
    /// <summary>Cap on directory ICBs remembered for the linked-directory check.</summary>
    private const int MaxRememberedDirectories = 1 << 20;
    /// <summary>The highest revision this reader knows (OSTA UDF 2.60).</summary>
    private const int MaxReadRevision = 0x0260;

    private readonly UdfVolume _volume;
    private readonly FileSystemEntry _root;
    private readonly IReadOnlyList<FileSystemNamespace> _namespaces;
    private readonly ConcurrentDictionary<long, long> _directoryParents = new();
    private readonly UdfFileSetDescriptor _fileSet;
    private readonly UdfLogicalVolumeDescriptor _lvd;
    private readonly UdfVolumeRecognition _vrs;
    private readonly UdfAnchorVolumeDescriptorPointer _anchor;

    private UdfFileSystem(UdfVolume volume, UdfVolumeRecognition vrs, UdfAnchorVolumeDescriptorPointer anchor, UdfPrimaryVolumeDescriptor pvd,
        UdfLogicalVolumeDescriptor lvd, UdfFileSetDescriptor fsd, UdfNode root, IReadOnlyList<UdfPartitionInfo> partitions, UdfIntegrityInfo integrity)
    {
        _volume = volume;
        _vrs = vrs;
        _anchor = anchor;
        _lvd = lvd;
        _fileSet = fsd;
        Partitions = partitions;
        Integrity = integrity;
        VolumeIdentifier = pvd.VolumeIdentifier;
        VolumeSetIdentifier = pvd.VolumeSetIdentifier;
        RecordingTime = pvd.RecordingTime;
        ApplicationIdentifier = pvd.ApplicationIdentifier;
        ImplementationIdentifier = lvd.ImplementationIdentifier;
        LogicalVolumeIdentifier = lvd.Identifier;
        FileSetIdentifier = fsd.FileSetIdentifier;
        Revision = lvd.DomainRevision != 0 ? lvd.DomainRevision : fsd.DomainRevision;
        var ns = new List<FileSystemNamespace> { FileSystemNamespace.Udf };
        if (vrs.HasIso9660) ns.Add(FileSystemNamespace.Iso9660);
        if (vrs.HasJoliet) ns.Add(FileSystemNamespace.Joliet);
        _namespaces = ns;
        _root = MakeEntry(root, "", "/", "", false, null, root.Offset);
    }

    /// <summary>The logical block size in bytes (512, 1024, 2048 or 4096).</summary>
    public int BlockSize => _volume.BlockSize;

    /// <summary>The UDF revision of the domain identifier (BCD: 0x0102, 0x0150, 0x0200, 0x0201, 0x0250, 0x0260).</summary>
    public int Revision { get; }

    /// <summary><see cref="Revision"/> as text ("2.01").</summary>
    public string RevisionText => $"{Revision >> 8:X}.{Revision & 0xFF:X2}";

    /// <summary>The NSR descriptor's edition in the volume recognition sequence (2 = NSR02, 3 = NSR03), 0 when absent.</summary>
    public int NsrVersion => _vrs.NsrVersion;

    /// <summary>True when ISO 9660 descriptors precede the UDF volume (a UDF bridge disc).</summary>
    public bool IsBridge => _vrs.HasIso9660;

    /// <summary>The logical volume identifier (what most systems show as the label).</summary>
    public string LogicalVolumeIdentifier { get; }

    /// <summary>The primary volume descriptor's volume identifier.</summary>
    public string VolumeIdentifier { get; }

    /// <summary>The volume set identifier (by convention it starts with 16 hex digits of a unique id).</summary>
    public string VolumeSetIdentifier { get; }

    /// <summary>The file set identifier.</summary>
    public string FileSetIdentifier { get; }

    /// <summary>The primary volume descriptor's application identifier.</summary>
    public string ApplicationIdentifier { get; }

    /// <summary>The logical volume descriptor's implementation identifier (the writer, for example <c>*Linux UDFFS</c>).</summary>
    public string ImplementationIdentifier { get; }

    /// <summary>The primary volume descriptor's recording time.</summary>
    public DateTimeOffset? RecordingTime { get; }

    /// <summary>The partitions in partition reference order.</summary>
    public IReadOnlyList<UdfPartitionInfo> Partitions { get; }

    /// <summary>The logical volume's integrity.</summary>
    public UdfIntegrityInfo Integrity { get; }

    /// <summary>The sector where the anchor that was used is recorded.</summary>
    public long AnchorSector => _anchor.Sector;

    /// <inheritdoc />
    public override FileSystemNamespace Namespace => FileSystemNamespace.Udf;

    /// <inheritdoc />
    public override IReadOnlyList<FileSystemNamespace> AvailableNamespaces => _namespaces;

    /// <inheritdoc />
    public override string VolumeLabel => LogicalVolumeIdentifier;

    /// <inheritdoc />
    public override FileSystemEntry Root => _root;

    /// <inheritdoc />
    public override IReadOnlyList<VirtualDiskDiagnostic> Warnings => _volume.Warnings;

    // ------------------------------------------------------------------ detection and open

    /// <summary>
    /// True when the volume recognition sequence has an NSR descriptor and an anchor is found (sector 256 with every
    /// block size first: a few small reads).
    /// </summary>
    internal static bool HasVolume(VolumeSource source)
    {
        try
        {
            var vrs = UdfVolumeRecognition.Scan(source);
            if (!vrs.HasNsr) return false;
            return UdfAnchorVolumeDescriptorPointer.TryFind(source, quick: true, out _, out _)
                || UdfAnchorVolumeDescriptorPointer.TryFind(source, quick: false, out _, out _);
        }
        catch (VirtualDiskException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    internal static bool TryOpen(VolumeSource source, FileSystemOpenOptions options, out FileSystemReader? reader, out VirtualDiskDiagnostic? failure)
    {
        reader = null;
        failure = null;
        try
        {
            reader = Open(source);
            return true;
        }
        catch (VirtualDiskException e)
        {
            failure = e.Diagnostic;
            return false;
        }
        catch (IOException e)
        {
            failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemReadFailed, source.Name, e.Message);
            return false;
        }
    }

    private static UdfFileSystem Open(VolumeSource source)
    {
        var vrs = UdfVolumeRecognition.Scan(source);
        if (!UdfAnchorVolumeDescriptorPointer.TryFind(source, quick: false, out int blockSize, out var anchor))
            ThrowHelper.Throw(VirtualDiskErrorReason.UdfAnchorNotFound, source.Name, vrs.HasNsr ? "The recognition sequence names a UDF volume" : "No NSR descriptor either", 256L * 2048);
        var volume = new UdfVolume(source, blockSize);

        // ECMA-167 3/8.4.2: the main sequence, else the reserve sequence.
        var seq = UdfVolumeDescriptorSequence.Walk(source, blockSize, anchor.MainLength, anchor.MainLocation);
        if (!seq.IsComplete)
        {
            var reserve = UdfVolumeDescriptorSequence.Walk(source, blockSize, anchor.ReserveLength, anchor.ReserveLocation);
            if (!reserve.IsComplete)
                ThrowHelper.Throw(seq.Problem ?? reserve.Problem ?? new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfVolumeDescriptorSequenceInvalid, source.Name,
                    $"Main sequence at sector {anchor.MainLocation}, reserve at {anchor.ReserveLocation}", (long)anchor.MainLocation * blockSize));
            volume.Warn(new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfReserveSequenceUsed, source.Name, seq.Problem?.Message, (long)anchor.MainLocation * blockSize));
            seq = reserve;
        }
        var lvd = seq.LogicalVolume!;
        if (lvd.BlockSize != blockSize)
            ThrowHelper.Throw(VirtualDiskErrorReason.UdfLogicalBlockSizeMismatch, source.Name, $"Logical block size {lvd.BlockSize}, sector size {blockSize}", lvd.DescriptorOffset);

        var infos = BuildPartitions(volume, seq, lvd);
        var integrity = ReadIntegrity(volume, lvd);

        // The file set descriptor (4/14.1) at the LVD's logical volume contents use (OSTA UDF 2.60 §2.2.4.4).
        var fsdBlock = new byte[blockSize];
        try
        {
            volume.ReadDescriptor(lvd.FileSetLocation.Partition, lvd.FileSetLocation.Block, [UdfTagId.FileSet], fsdBlock, null, out _);
        }
        catch (VirtualDiskException e)
        {
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfFileSetDescriptorInvalid, source.Name, e.Diagnostic.Message, e.Diagnostic.Offset));
            throw;
        }
        var fsd = UdfFileSetDescriptor.Parse(fsdBlock);
        var root = volume.ReadNode(fsd.Root, "/");
        if (root.Entry.Icb.FileType != UdfIcbTag.TypeDirectory)
            ThrowHelper.Throw(VirtualDiskErrorReason.UdfFileSetDescriptorInvalid, source.Name, $"The root ICB has file type {root.Entry.Icb.FileType}", root.Offset);
        return new UdfFileSystem(volume, vrs, anchor, seq.Primary!, lvd, fsd, root, infos, integrity);
    }

    private static List<UdfPartitionInfo> BuildPartitions(UdfVolume volume, UdfVolumeDescriptorSequence seq, UdfLogicalVolumeDescriptor lvd)
    {
        var source = volume.Source;
        var maps = lvd.Maps;
        var partitions = new UdfPartition?[maps.Count];
        volume.Partitions = partitions;
        UdfPartitionDescriptor Descriptor(UdfPartitionMap m, int i)
        {
            if (!seq.Partitions.TryGetValue(m.PartitionNumber, out var pd))
                ThrowHelper.Throw(VirtualDiskErrorReason.UdfPartitionNotFound, source.Name, $"Map {i} names partition {m.PartitionNumber}", lvd.DescriptorOffset);
            return pd;
        }
        // Pass 1: maps over the recorded sectors (Type 1 and sparable), bound to their descriptors by number.
        for (int i = 0; i < maps.Count; i++)
        {
            var m = maps[i];
            if (m.Type == UdfPartitionMapType.Physical) partitions[i] = new UdfPhysicalPartition(i, m, Descriptor(m, i));
            else if (m.Type == UdfPartitionMapType.Sparable) partitions[i] = new UdfSparablePartition(i, m, Descriptor(m, i), ReadSparingTable(volume, m, i, lvd));
        }
        // Pass 2: maps over another map of the same partition number (virtual and metadata, Linux udf_load_partdesc order).
        for (int i = 0; i < maps.Count; i++)
        {
            var m = maps[i];
            if (m.Type is not (UdfPartitionMapType.Virtual or UdfPartitionMapType.Metadata)) continue;
            var physical = partitions.FirstOrDefault(p => p is not null && p.Map.PartitionNumber == m.PartitionNumber && p.Map.Type is UdfPartitionMapType.Physical or UdfPartitionMapType.Sparable);
            if (physical is null)
                ThrowHelper.Throw(VirtualDiskErrorReason.UdfPartitionNotFound, source.Name, $"Map {i} ({m.Identifier}) has no Type 1 or sparable map of partition {m.PartitionNumber} under it", lvd.DescriptorOffset);
            if (m.Type == UdfPartitionMapType.Virtual) partitions[i] = new UdfVirtualPartition(i, m, physical.Descriptor, physical, FindVat(volume, physical, m));
            else
            {
                partitions[i] = ReadMetadataPartition(volume, physical, m, i);
            }
        }
        var infos = new List<UdfPartitionInfo>(maps.Count);
        for (int i = 0; i < maps.Count; i++)
        {
            var m = maps[i];
            var p = partitions[i];
            seq.Partitions.TryGetValue(m.PartitionNumber, out var pd);
            infos.Add(new UdfPartitionInfo
            {
                ReferenceNumber = i,
                PartitionNumber = m.PartitionNumber,
                Kind = m.Type switch
                {
                    UdfPartitionMapType.Physical => UdfPartitionKind.Physical,
                    UdfPartitionMapType.Virtual => UdfPartitionKind.Virtual,
                    UdfPartitionMapType.Sparable => UdfPartitionKind.Sparable,
                    UdfPartitionMapType.Metadata => UdfPartitionKind.Metadata,
                    _ => UdfPartitionKind.Unknown,
                },
                MapIdentifier = m.Identifier,
                StartSector = pd?.Start ?? 0,
                LengthInSectors = pd?.Length ?? 0,
                BlockCount = p?.BlockCount ?? 0,
                AccessType = (int)(pd?.AccessType ?? 0),
                Contents = pd?.Contents ?? "",
                PacketLength = m.PacketLength,
                RemappedPackets = p is UdfSparablePartition s ? s.Table.Entries.Length : 0,
                MirrorInUse = p is UdfMetadataPartition { Main: null },
            });
        }
        return infos;
    }

    /// <summary>
    /// The sparing tables of a sparable map (OSTA UDF 2.60 §2.2.9, §2.2.12): every copy is read and checked; the valid
    /// copy with the highest sequence number prevails. Packet length must be a power of two (Linux "Fortify loading of
    /// sparing table") and the table size is capped.
    /// </summary>
    private static UdfSparingTable ReadSparingTable(UdfVolume volume, UdfPartitionMap m, int index, UdfLogicalVolumeDescriptor lvd)
    {
        var source = volume.Source;
        int bs = volume.BlockSize;
        if (m.PacketLength == 0 || (m.PacketLength & (m.PacketLength - 1)) != 0)
            ThrowHelper.Throw(VirtualDiskErrorReason.UdfPartitionMapInvalid, source.Name, $"Sparable map {index}: packet length {m.PacketLength}", lvd.DescriptorOffset);
        if (m.SparingTableSize < 56 || m.SparingTableSize > UdfSparingTable.MaxSize)
            ThrowHelper.Throw(VirtualDiskErrorReason.UdfSparingTableInvalid, source.Name, $"Sparing table size {m.SparingTableSize} (cap {UdfSparingTable.MaxSize})", lvd.DescriptorOffset);
        int size = (int)((m.SparingTableSize + bs - 1) / bs * bs);
        var data = new byte[size];
        UdfSparingTable? best = null;
        VirtualDiskDiagnostic? problem = null;
        foreach (uint location in m.SparingTableLocations)
        {
            long offset = (long)location * bs;
            if (!source.TryReadExactlyAt(offset, data)) { problem ??= new(VirtualDiskErrorReason.FileSystemReadFailed, source.Name, $"Sparing table at sector {location}", offset); continue; }
            var span = data.AsSpan(0, (int)m.SparingTableSize);
            var tp = UdfTag.Check(span, UdfTagId.SparingTable, location, out _);
            if (tp != UdfTagProblem.None) { problem ??= new(UdfTag.ReasonOf(tp), source.Name, "Sparing table: " + UdfTag.Describe(tp, span, 0, location), offset); continue; }
            if (!UdfSparingTable.TryParse(span, out var table, out var why) || why is not null)
            {
                problem ??= new(VirtualDiskErrorReason.UdfSparingTableInvalid, source.Name, why, offset);
                if (table is null) continue;
            }
            if (best is null || table!.SequenceNumber > best.SequenceNumber) best = table;
        }
        if (best is null)
            ThrowHelper.Throw(problem ?? new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfSparingTableInvalid, source.Name, "No sparing table", lvd.DescriptorOffset));
        return best;
    }

    /// <summary>
    /// The VAT (OSTA UDF 2.60 §2.2.11): the file entry recorded in the last written sector. An image's last sector
    /// is that sector; writers that pad are met by looking up to 32 sectors back (udfinfo looks 32 back too). The VAT
    /// FE is in the physical partition; type 248 is the 2.00+ form, type 0 (with a 1.50 map) the 1.50 form.
    /// </summary>
    private static UdfVirtualAllocationTable FindVat(UdfVolume volume, UdfPartition physical, UdfPartitionMap map)
    {
        var source = volume.Source;
        int bs = volume.BlockSize;
        long last = source.Length / bs - 1;
        var block = new byte[bs];
        VirtualDiskDiagnostic? problem = null;
        // The last 33 sectors, then around N−150 and N−152 (discs read with their run-out blocks; Linux udf_find_vat_block).
        var candidates = Enumerable.Range(0, 33).Select(i => last - i).Concat(Enumerable.Range(0, 8).Select(i => last - 147 - i));
        foreach (long sector in candidates)
        {
            if (sector < 0) continue;
            long lbn = sector - physical.Descriptor.Start;
            if (lbn < 0 || lbn >= physical.BlockCount || !source.TryReadExactlyAt(sector * bs, block)) continue;
            if (UdfTag.Check(block, -1, (uint)lbn, out var tag) != UdfTagProblem.None
                || tag.Identifier is not (UdfTagId.FileEntry or UdfTagId.ExtendedFileEntry)) continue;
            var icb = UdfIcbTag.Read(block);
            bool v15 = icb.FileType == UdfIcbTag.TypeUnspecified && map.Revision < 0x0200;
            if (icb.FileType != UdfIcbTag.TypeVat && !v15) continue;
            try
            {
                var node = volume.ReadNode(new UdfAllocationDescriptor((uint)bs, 0, (uint)lbn, (ushort)physical.Reference), null);
                var data = volume.ReadAll(node, UdfVirtualAllocationTable.MaxSize, null);
                if (UdfVirtualAllocationTable.TryParse(data, v15, out var vat, out var why)) return vat!;
                problem ??= new(VirtualDiskErrorReason.UdfVatInvalid, source.Name, why, sector * bs);
            }
            catch (VirtualDiskException e)
            {
                problem ??= new(VirtualDiskErrorReason.UdfVatInvalid, source.Name, e.Diagnostic.Message, sector * bs);
            }
        }
        ThrowHelper.Throw(problem ?? new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfVatNotFound, source.Name, $"Looked at sectors {Math.Max(0, last - 32)}..{last}", last * bs));
        return null!;
    }

    /// <summary>
    /// The metadata partition (OSTA UDF 2.60 §2.2.10): the metadata file (type 250) and its mirror (251) are FEs in
    /// the physical partition whose recorded extents, in order, are the metadata partition's blocks. When the main
    /// file cannot be read the mirror is used, with a warning.
    /// </summary>
    private static UdfMetadataPartition ReadMetadataPartition(UdfVolume volume, UdfPartition physical, UdfPartitionMap m, int index)
    {
        var main = TryRuns(m.MetadataFileLocation, UdfIcbTag.TypeMetadata, out var mainProblem);
        var mirror = m.MetadataMirrorLocation == m.MetadataFileLocation ? main : TryRuns(m.MetadataMirrorLocation, UdfIcbTag.TypeMetadataMirror, out _);
        if (main is null && mirror is null)
            ThrowHelper.Throw(VirtualDiskErrorReason.UdfMetadataFileInvalid, volume.Source.Name, $"Map {index}: {mainProblem}", null);
        if (main is null)
            volume.Warn(new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfMetadataMirrorUsed, volume.Source.Name, $"Metadata file at block {m.MetadataFileLocation}: {mainProblem}"));
        return new UdfMetadataPartition(index, m, physical.Descriptor, physical, main, mirror);

        UdfMetadataPartition.Run[]? TryRuns(uint lbn, byte type, out string? problem)
        {
            problem = null;
            try
            {
                var node = volume.ReadNode(new UdfAllocationDescriptor((uint)volume.BlockSize, 0, lbn, (ushort)physical.Reference), null);
                if (node.Entry.Icb.FileType != type) { problem = $"File type {node.Entry.Icb.FileType}, expected {type}"; return null; }
                if (node.IsEmbedded) { problem = "Embedded metadata file"; return null; }
                var runs = new List<UdfMetadataPartition.Run>();
                long block = 0;
                foreach (var ad in node.Allocation)
                {
                    long blocks = ad.Length / (uint)volume.BlockSize;
                    if (ad.Partition != physical.Reference) { problem = $"Metadata extent in partition {ad.Partition}"; return null; }
                    if (ad.Type == UdfAllocationDescriptor.Recorded && blocks > 0)
                    {
                        if (runs.Count >= UdfMetadataPartition.MaxRuns) { problem = $"Cap: {UdfMetadataPartition.MaxRuns} extents"; return null; }
                        runs.Add(new(block, blocks, ad.Block));
                    }
                    block += blocks;
                }
                return [.. runs];
            }
            catch (VirtualDiskException e)
            {
                problem = e.Diagnostic.Message;
                return null;
            }
        }
    }

    /// <summary>
    /// The prevailing LVID (ECMA-167 3/10.10, 3/8.8.2): the last valid one of the integrity sequence, following next
    /// integrity extents (capped, with a visited set; Linux a47241cdeee2). An open integrity is a warning; on a VAT
    /// volume the VAT stands for the integrity (OSTA UDF 2.60 §2.2.6.1) and its header gives the counts.
    /// </summary>
    private static UdfIntegrityInfo ReadIntegrity(UdfVolume volume, UdfLogicalVolumeDescriptor lvd)
    {
        const int MaxDescriptors = 1024;
        var source = volume.Source;
        int bs = volume.BlockSize;
        UdfLogicalVolumeIntegrityDescriptor? best = null;
        var block = new byte[bs];
        uint length = lvd.IntegrityLength, location = lvd.IntegrityLocation;
        var visited = new HashSet<uint>();
        int read = 0;
        while (length >= bs && visited.Add(location) && read < MaxDescriptors)
        {
            UdfLogicalVolumeIntegrityDescriptor? inExtent = null;
            for (long i = 0; i < length / bs && read < MaxDescriptors; i++, read++)
            {
                long sector = location + i;
                if (sector > uint.MaxValue || !source.TryReadExactlyAt(sector * bs, block)) break;
                if (UdfTag.Check(block, UdfTagId.LogicalVolumeIntegrity, (uint)sector, out _) != UdfTagProblem.None) break;
                if (UdfLogicalVolumeIntegrityDescriptor.TryParse(block, out var lvid)) inExtent = lvid;
            }
            if (inExtent is null) break;
            best = inExtent;
            length = best.NextLength;
            location = best.NextLocation;
        }
        var vat = volume.Partitions.OfType<UdfVirtualPartition>().FirstOrDefault()?.Table;
        if (best is null)
        {
            if (vat is null)
                volume.Warn(new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfIntegrityDescriptorInvalid, source.Name, $"Integrity sequence at sector {lvd.IntegrityLocation}", (long)lvd.IntegrityLocation * bs));
        }
        else if (best.IntegrityType != UdfLogicalVolumeIntegrityDescriptor.Close && vat is null)
            volume.Warn(new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfIntegrityOpen, source.Name, $"Integrity type {best.IntegrityType}", (long)lvd.IntegrityLocation * bs));
        int? minRead = vat?.MinimumReadRevision ?? best?.MinimumReadRevision;
        if (minRead > MaxReadRevision)
            volume.Warn(new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfRevisionUnsupported, source.Name, $"Minimum read revision {minRead:X4}"));
        return new UdfIntegrityInfo
        {
            State = vat is not null ? UdfIntegrityState.Closed : best is null ? UdfIntegrityState.Unknown
                : best.IntegrityType == UdfLogicalVolumeIntegrityDescriptor.Close ? UdfIntegrityState.Closed : UdfIntegrityState.Open,
            RecordingTime = best?.RecordingTime,
            NextUniqueId = best?.NextUniqueId ?? 0,
            NumberOfFiles = vat?.Files ?? best?.Files,
            NumberOfDirectories = vat?.Directories ?? best?.Directories,
            MinimumReadRevision = minRead,
            MinimumWriteRevision = vat?.MinimumWriteRevision ?? best?.MinimumWriteRevision,
            MaximumWriteRevision = vat?.MaximumWriteRevision ?? best?.MaximumWriteRevision,
            FreeBlocks = best?.FreeSpace.Select(v => (long)v).ToArray() ?? [],
            SizeBlocks = best?.Sizes.Select(v => (long)v).ToArray() ?? [],
        };
    }

    // ------------------------------------------------------------------ entries

    private FileSystemEntry MakeEntry(UdfNode node, string name, string path, string rawName, bool hidden, UdfAncestry? ancestry, long recordOffset, bool associated = false)
    {
        var fe = node.Entry;
        var kind = fe.Icb.FileType switch
        {
            UdfIcbTag.TypeDirectory => FileSystemEntryKind.Directory,
            UdfIcbTag.TypeSymlink => FileSystemEntryKind.Symlink,
            UdfIcbTag.TypeBlockDevice => FileSystemEntryKind.BlockDevice,
            UdfIcbTag.TypeCharacterDevice => FileSystemEntryKind.CharacterDevice,
            UdfIcbTag.TypeFifo => FileSystemEntryKind.Fifo,
            UdfIcbTag.TypeSocket => FileSystemEntryKind.Socket,
            _ => FileSystemEntryKind.File,
        };
        if (associated) kind = FileSystemEntryKind.File;
        string? target = null;
        if (kind == FileSystemEntryKind.Symlink)
        {
            var data = _volume.ReadAll(node, MaxSymlinkSize, path);
            if (!UdfPathComponent.TryDecode(data, out target, out var why))
                _volume.Fail(VirtualDiskErrorReason.UdfSymlinkInvalid, why, node.Offset, path);
        }
        return new FileSystemEntry
        {
            Name = name,
            Path = path,
            RawName = rawName,
            Kind = kind,
            Length = fe.InformationLength,
            SymlinkTarget = target,
            ModificationTime = fe.ModificationTime,
            AccessTime = fe.AccessTime,
            AttributeChangeTime = fe.AttributeTime,
            CreationTime = fe.CreationTime,
            Mode = fe.Mode,
            UserId = fe.Uid == uint.MaxValue ? null : fe.Uid,
            GroupId = fe.Gid == uint.MaxValue ? null : fe.Gid,
            LinkCount = fe.LinkCount,
            SerialNumber = (long)fe.UniqueId,
            IsHidden = hidden,
            IsAssociated = associated,
            Extents = node.Extents,
            RecordOffset = recordOffset,
            Tag = new UdfEntryState(node, ancestry),
        };
    }

    private UdfEntryState State(FileSystemEntry entry)
    {
        if (entry.Tag is not UdfEntryState s) throw new ArgumentException("The entry does not belong to this UDF reader.", nameof(entry));
        return s;
    }

    /// <inheritdoc />
    public override IEnumerable<FileSystemEntry> EnumerateDirectory(FileSystemEntry directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var state = State(directory);
        if (!directory.IsDirectory)
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotADirectory, _volume.Source.Name, entryPath: directory.Path));
        var ancestry = new UdfAncestry(state.Node.Key, state.Ancestry, (state.Ancestry?.Depth ?? -1) + 1);
        return EnumerateFids(state.Node, directory.Path, ancestry, false, null);
    }

    /// <summary>
    /// The FIDs of a directory (or stream directory) read lazily through a bounded window, so a directory of any size
    /// is never held whole. FIDs may straddle blocks (4/14.4; OSTA UDF 2.60 §2.3.4): each is read whole from the
    /// directory's bytes; lengths are bounded by the directory and by one block (Linux udf_verify_fi; libcdio PR #63).
    /// </summary>
    private IEnumerable<FileSystemEntry> EnumerateFids(UdfNode dir, string dirPath, UdfAncestry ancestry, bool streams, FileSystemEntry? owner)
    {
        long length = dir.Entry.InformationLength;
        if (length > MaxDirectorySize)
            _volume.Fail(VirtualDiskErrorReason.UdfFileIdentifierInvalid, $"Directory of {length} bytes (cap {MaxDirectorySize})", dir.Offset, dirPath);
        if (dir.RecordedLength < length)
            _volume.Fail(VirtualDiskErrorReason.UdfFileDataShort, $"Directory of {length} bytes with {dir.RecordedLength} recorded", dir.Offset, dirPath);
        var reader = new UdfExtentReader(_volume, dir.Extents, dir.RecordedLength, dirPath);
        int bs = _volume.BlockSize;
        int windowSize = Math.Max(64 * 1024, 2 * bs);
        var window = new byte[(int)Math.Min(windowSize, Math.Max(length, 0))];
        long windowStart = 0;
        int windowFill = 0;
        long position = 0;
        string prefix = dirPath == "/" ? "/" : dirPath + "/";
        int streamCount = 0;
        using var readAhead = new UdfReadAhead();
        while (position < length)
        {
            long fidOffset = reader.VolumeOffset(position);
            if (length - position < UdfFileIdentifierDescriptor.HeaderSize)
                _volume.Fail(VirtualDiskErrorReason.UdfFileIdentifierInvalid, $"{length - position} bytes left at directory offset {position}, a FID needs 38", fidOffset, dirPath);
            var header = Window(position, UdfFileIdentifierDescriptor.HeaderSize);
            int total = UdfFileIdentifierDescriptor.LengthFromHeader(header);
            if (total > length - position || total > bs)
                _volume.Fail(VirtualDiskErrorReason.UdfFileIdentifierInvalid, $"FID of {total} bytes at directory offset {position} ({length - position} left, block {bs})", fidOffset, dirPath);
            var fidBytes = Window(position, total);
            uint expected = LocationOf(dir, position);
            var problem = UdfTag.Check(fidBytes, UdfTagId.FileIdentifier, expected, out _);
            if (problem != UdfTagProblem.None)
                _volume.Fail(UdfTag.ReasonOf(problem), "FID: " + UdfTag.Describe(problem, fidBytes, UdfTagId.FileIdentifier, expected), fidOffset, dirPath);
            var fid = UdfFileIdentifierDescriptor.Parse(fidBytes);
            var nameBytes = fidBytes.Slice(fid.NameOffset, fid.NameLength);
            position += total;
            if (fid.IsDeleted || fid.IsParent) continue;
            if (fid.NameLength == 0)
                _volume.Fail(VirtualDiskErrorReason.UdfFileIdentifierInvalid, "FID with an empty name that is not the parent entry", fidOffset, dirPath);
            if (!UdfCompressedUnicode.TryDecode(nameBytes, out var raw))
                _volume.Fail(VirtualDiskErrorReason.UdfNameInvalid, $"Compression id {nameBytes[0]}, {nameBytes.Length} bytes", fidOffset, dirPath);
            string name = SafeName(raw);
            if (streams)
            {
                if (++streamCount > MaxStreamsPerFile) _volume.Fail(VirtualDiskErrorReason.UdfFileIdentifierInvalid, $"Cap: {MaxStreamsPerFile} named streams", fidOffset, dirPath);
                name = owner!.Name + ":" + name;
                string streamPath = owner.Path == "/" ? "/:" + SafeName(raw) : owner.Path + ":" + SafeName(raw);
                var streamNode = _volume.ReadNode(fid.Icb, streamPath);
                yield return MakeEntry(streamNode, name, streamPath, raw, fid.IsHidden, null, fidOffset, associated: true);
                continue;
            }
            string path = prefix + name;
            var node = _volume.ReadNode(fid.Icb, path, readAhead);
            bool isDirectory = node.Entry.Icb.FileType == UdfIcbTag.TypeDirectory;
            // 4/14.4.3: the FID's directory bit should agree with the file type; the file entry is trusted (as Linux).
            if (fid.IsDirectory != isDirectory)
                _volume.Warn(new VirtualDiskDiagnostic(VirtualDiskErrorReason.UdfDirectoryEntryMismatch, _volume.Source.Name,
                    $"FID directory bit {(fid.IsDirectory ? 1 : 0)}, file type {node.Entry.Icb.FileType}", fidOffset, entryPath: path));
            if (isDirectory)
            {
                if (ancestry.Contains(node.Key))
                    _volume.Fail(VirtualDiskErrorReason.FileSystemDirectoryCycle, $"The directory's ICB (block {node.Block}) is one of its ancestors", fidOffset, path);
                if (_directoryParents.Count < MaxRememberedDirectories || _directoryParents.ContainsKey(node.Key))
                {
                    long parent = _directoryParents.GetOrAdd(node.Key, dir.Key);
                    if (parent != dir.Key)
                        _volume.Fail(VirtualDiskErrorReason.FileSystemDirectoryCycle, $"The directory's ICB (block {node.Block}) is also listed in another directory", fidOffset, path);
                }
            }
            var entry = MakeEntry(node, name, path, raw, fid.IsHidden, isDirectory ? ancestry : null, fidOffset);
            yield return entry;
            // Named streams (OSTA UDF 2.60 §3.3.5): the EFE's stream directory, listed right after their file.
            var sd = node.Entry.StreamDirectory;
            if (node.Entry.IsExtended && (sd.Length & 0x3FFF_FFFF) != 0)
            {
                var sdNode = _volume.ReadNode(sd, path);
                if (sdNode.Entry.Icb.FileType == UdfIcbTag.TypeStreamDirectory)
                    foreach (var s in EnumerateFids(sdNode, path, ancestry, true, entry)) yield return s;
            }
        }

        ReadOnlySpan<byte> Window(long at, int count)
        {
            if (at < windowStart || at + count > windowStart + windowFill)
            {
                windowStart = at;
                windowFill = (int)Math.Min(window.Length, length - at);
                reader.Read(at, window.AsSpan(0, windowFill));
            }
            return window.AsSpan((int)(at - windowStart), count);
        }
    }

    /// <summary>The tag location a FID at <paramref name="position"/> must carry: the LBN of the block holding its first byte (4/14.4.1; embedded: the ICB's own block).</summary>
    private uint LocationOf(UdfNode dir, long position)
    {
        if (dir.IsEmbedded) return dir.Block;
        long at = 0;
        foreach (var ad in dir.Allocation)
        {
            if (position < at + ad.Length) return (uint)(ad.Block + (position - at) / _volume.BlockSize);
            at += ad.Length;
        }
        return uint.MaxValue;
    }

    /// <summary>The name readers show: '/' and NUL become '_', and "." or ".." get a leading '_' so that no name walks the tree.</summary>
    private static string SafeName(string raw)
    {
        if (raw is "." or "..") return "_" + raw;
        if (raw.AsSpan().IndexOfAny('/', '\0') < 0) return raw;
        var sb = new StringBuilder(raw);
        sb.Replace('/', '_').Replace('\0', '_');
        return sb.ToString();
    }

    /// <inheritdoc />
    public override bool TryGetEntry(string path, out FileSystemEntry? entry, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(path);
        entry = null;
        failure = null;
        if (path.Length == 0 || path[0] != '/')
        {
            failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemPathInvalid, _volume.Source.Name, "The path must start with '/'", entryPath: path);
            return false;
        }
        var current = _root;
        try
        {
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!current.IsDirectory)
                {
                    failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotADirectory, _volume.Source.Name, entryPath: current.Path);
                    return false;
                }
                FileSystemEntry? found = null;
                foreach (var e in EnumerateDirectory(current))
                    if (string.Equals(e.Name, part, StringComparison.Ordinal)) { found = e; break; }
                if (found is null)
                {
                    failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemEntryNotFound, _volume.Source.Name, entryPath: path);
                    return false;
                }
                current = found;
            }
        }
        catch (VirtualDiskException e)
        {
            failure = e.Diagnostic;
            return false;
        }
        entry = current;
        return true;
    }

    /// <inheritdoc />
    public override Stream OpenFile(FileSystemEntry file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var state = State(file);
        if (file.Kind != FileSystemEntryKind.File)
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotAFile, _volume.Source.Name, file.Kind.ToString(), file.RecordOffset, entryPath: file.Path));
        var node = state.Node;
        return new UdfFileStream(new UdfExtentReader(_volume, node.Extents, node.RecordedLength, file.Path), node.Entry.InformationLength);
    }
}
