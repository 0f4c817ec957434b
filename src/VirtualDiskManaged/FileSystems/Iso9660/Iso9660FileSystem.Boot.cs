using System.Buffers;
using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Iso9660;

public sealed partial class Iso9660FileSystem
{
    /// <summary>Entries walked to find the files that hold boot images (the cap does not depend on the file).</summary>
    private const int MaxBootFileSearch = 200_000;

    /// <summary>Boot-info tables are summed only for images up to this length.</summary>
    private const int MaxBootInfoTableLength = 16 << 20;

    private readonly Lock _bootGate = new();
    private bool _bootRead;
    private ElToritoBootCatalog? _catalog;
    private IsoHybridInfo? _hybrid;
    private bool _md5Read;
    private IsoImplantedMd5? _md5;

    /// <summary>The El Torito boot catalog, or null when the image has none (or its validation entry is unusable).</summary>
    public ElToritoBootCatalog? BootCatalog
    {
        get
        {
            lock (_bootGate)
            {
                if (!_bootRead)
                {
                    _catalog = _set.BootRecord is { IsElTorito: true, BootCatalogSector: uint sector } ? ElToritoBootCatalog.Read(_volume, sector, null) : null;
                    if (_catalog is not null) SizeImages(_catalog);
                    _bootRead = true;
                }
                return _catalog;
            }
        }
    }

    /// <summary>The MBR and GPT of the system area (isohybrid detection).</summary>
    public IsoHybridInfo Hybrid
    {
        get { lock (_bootGate) return _hybrid ??= IsoHybridInfo.Read(_source); }
    }

    /// <summary>The implantisomd5 record of the primary descriptor, or null when checkisomd5 would find none.</summary>
    public IsoImplantedMd5? ImplantedMd5
    {
        get
        {
            lock (_bootGate)
            {
                if (!_md5Read) { _md5 = FirstPrimaryForMd5() is { } p ? IsoImplantedMd5.Parse(p) : null; _md5Read = true; }
                return _md5;
            }
        }
    }

    /// <summary>checkisomd5 reads the first primary descriptor from sector 16 of the image (not of a later session).</summary>
    private IsoPrimaryVolumeDescriptor? FirstPrimaryForMd5() =>
        Session.StartSector == 0 ? _set.Primary : IsoVolumeDescriptorSet.Read(_source, 0)?.Primary;

    /// <summary>Hashes the image as checkisomd5 does and gives its verdict (reads the whole volume).</summary>
    public IsoMd5Result VerifyImplantedMd5(CancellationToken cancellationToken = default) =>
        ImplantedMd5 is { } md5 ? md5.Verify(_source, cancellationToken) : new IsoMd5Result(IsoMd5Verdict.NotFound, null, null);

    /// <summary>A read-only stream over a boot entry's image (<see cref="ElToritoBootEntry.ImageSize"/> bytes from its load RBA).</summary>
    public Iso9660FileStream OpenBootImage(ElToritoBootEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        long start = (long)entry.LoadRba * 2048;
        if (!_volume.InImage(start, entry.ImageSize))
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ElToritoImageOutsideVolume, _source.Name,
                $"Boot image at sector {entry.LoadRba}; the image has {_source.Length} bytes", entry.Offset));
        return new Iso9660FileStream(new ExtentContent(_volume, entry.ImageSize == 0 ? [] : [new FileExtent(start, entry.ImageSize)], null));
    }

    /// <summary>
    /// The size of each boot image (El Torito §2.2: the sector count says what the firmware loads, not how long
    /// the image is): diskette emulations have their media's size, hard-disk emulation the end of its MBR's last
    /// partition; a no-emulation image is the ISO file that starts at its load RBA, else a FAT file system's size
    /// from its boot sector, else (UEFI §13.3.2.1, sector count 0 or 1 on an EFI entry) the rest of the volume,
    /// else the sector count × 512. Always clamped to the volume and the image file.
    /// </summary>
    private void SizeImages(ElToritoBootCatalog catalog)
    {
        var wanted = new Dictionary<long, long>();
        foreach (var e in catalog.Entries) if (e.MediaType == ElToritoMediaType.NoEmulation) wanted[e.LoadRba] = -1;
        if (wanted.Count > 0) FindFilesAt(wanted);
        Span<byte> head = stackalloc byte[512];
        foreach (var e in catalog.Entries)
        {
            long start = (long)e.LoadRba * 2048;
            long limit = Math.Max(0, Math.Min(_volume.EndByte, _source.Length) - start);
            bool haveHead = start >= 0 && _source.TryReadExactlyAt(start, head);
            long size;
            ElToritoImageSizeRule rule;
            switch (e.MediaType)
            {
                case ElToritoMediaType.Floppy12: size = 1_228_800; rule = ElToritoImageSizeRule.FloppyEmulation; break;
                case ElToritoMediaType.Floppy144: size = 1_474_560; rule = ElToritoImageSizeRule.FloppyEmulation; break;
                case ElToritoMediaType.Floppy288: size = 2_949_120; rule = ElToritoImageSizeRule.FloppyEmulation; break;
                case ElToritoMediaType.HardDisk when haveHead && MbrEnd(head) is long end and > 0: size = end; rule = ElToritoImageSizeRule.HardDiskMbr; break;
                case ElToritoMediaType.NoEmulation when wanted.TryGetValue(e.LoadRba, out long fileSize) && fileSize > 0: size = fileSize; rule = ElToritoImageSizeRule.FileAtLoadRba; break;
                case ElToritoMediaType.NoEmulation when haveHead && FatSize(head) is long fat and > 0: size = fat; rule = ElToritoImageSizeRule.FatBootSector; break;
                case ElToritoMediaType.NoEmulation when e.PlatformId == (byte)ElToritoPlatform.Efi && e.SectorCount <= 1: size = limit; rule = ElToritoImageSizeRule.UefiToEndOfVolume; break;
                default: size = e.SectorCount * 512L; rule = ElToritoImageSizeRule.SectorCount; break;
            }
            e.ImageSize = Math.Min(size, limit);
            e.ImageSizeRule = rule;
            if (e.MediaType == ElToritoMediaType.NoEmulation && haveHead) e.BootInfoTable = BootInfoTable(e, head);
        }
    }

    /// <summary>Walks the primary tree (bounded) for files whose data start at the wanted sectors.</summary>
    private void FindFilesAt(Dictionary<long, long> wanted)
    {
        int left = wanted.Count, seen = 0;
        var pending = new Stack<FileSystemEntry>();
        pending.Push(_kind == IsoTreeKind.Iso9660 ? _root : RootOf(IsoTreeKind.Iso9660));
        try
        {
            while (pending.Count > 0 && left > 0)
            {
                var dir = pending.Pop();
                if (((IsoEntryTag)dir.Tag!).Directory!.Depth >= MaxDepth) continue;
                foreach (var entry in EnumerateIn(IsoTreeKind.Iso9660, dir, new IsoFindings(null)))
                {
                    if (++seen > MaxBootFileSearch) return;
                    if (entry.IsDirectory) { pending.Push(entry); continue; }
                    if (entry.Extents.Count == 0 || entry.Extents is InterleavedExtents) continue;
                    long block = entry.Extents[0].Offset / 2048;
                    if (entry.Extents[0].Offset % 2048 == 0 && wanted.TryGetValue(block, out long have) && have < 0)
                    {
                        wanted[block] = entry.Length;
                        left--;
                    }
                }
            }
        }
        catch (VirtualDiskException)
        {
            // A damaged tree leaves the other size rules.
        }
    }

    private static long? MbrEnd(ReadOnlySpan<byte> mbr)
    {
        if (mbr[510] != 0x55 || mbr[511] != 0xAA) return null;
        long end = 0;
        for (int i = 0; i < 4; i++)
        {
            var p = mbr.Slice(446 + 16 * i, 16);
            long last = (long)BinaryPrimitives.ReadUInt32LittleEndian(p[8..]) + BinaryPrimitives.ReadUInt32LittleEndian(p[12..]);
            if (p[4] != 0) end = Math.Max(end, last * 512);
        }
        return end;
    }

    /// <summary>A FAT boot sector (bytes per sector at 11, FAT count at 16, total sectors at 19 or 32) gives the file system's size.</summary>
    private static long? FatSize(ReadOnlySpan<byte> bpb)
    {
        int bytesPerSector = BinaryPrimitives.ReadUInt16LittleEndian(bpb[11..]);
        if (bytesPerSector is not (512 or 1024 or 2048 or 4096) || bpb[16] is < 1 or > 2 || bpb[510] != 0x55 || bpb[511] != 0xAA) return null;
        long total = BinaryPrimitives.ReadUInt16LittleEndian(bpb[19..]);
        if (total == 0) total = BinaryPrimitives.ReadUInt32LittleEndian(bpb[32..]);
        return total == 0 ? null : total * bytesPerSector;
    }

    /// <summary>The boot-info table at bytes 8–63 (libisofs doc/boot_sectors.txt), when its sectors and length fit this image.</summary>
    private ElToritoBootInfoTable? BootInfoTable(ElToritoBootEntry e, ReadOnlySpan<byte> head)
    {
        uint pvd = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]), file = BinaryPrimitives.ReadUInt32LittleEndian(head[12..]),
            length = BinaryPrimitives.ReadUInt32LittleEndian(head[16..]), sum = BinaryPrimitives.ReadUInt32LittleEndian(head[20..]);
        if (pvd != Session.StartSector + 16 || file != e.LoadRba || length <= 64 || length > MaxBootInfoTableLength) return null;
        long start = (long)e.LoadRba * 2048;
        if (!_volume.InImage(start, length)) return null;
        uint computed = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            for (long at = 64; at < length;)
            {
                int n = (int)Math.Min(buffer.Length, length - at);
                if (!_source.TryReadExactlyAt(start + at, buffer.AsSpan(0, n))) return null;
                int whole = n & ~3;
                for (int i = 0; i < whole; i += 4) computed += BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i));
                if (whole < n)
                {
                    uint last = 0;
                    for (int i = whole; i < n; i++) last |= (uint)buffer[i] << (8 * (i - whole));
                    computed += last;
                }
                at += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new ElToritoBootInfoTable(pvd, file, length, sum, computed == sum);
    }

    /// <summary>The deep check of El Torito and the implanted MD5.</summary>
    private void VerifyBoot(IsoFindings findings, CancellationToken ct)
    {
        if (_set.BootRecord is { IsElTorito: true, BootCatalogSector: uint sector })
        {
            var catalog = ElToritoBootCatalog.Read(_volume, sector, findings);
            if (catalog is not null)
            {
                SizeImagesOnce();
                foreach (var e in catalog.Entries)
                {
                    long start = (long)e.LoadRba * 2048;
                    long loaded = Math.Max(e.SectorCount, (ushort)1) * 512L;
                    if (e.LoadRba >= _volume.EndByte / 2048 || !_volume.InImage(start, Math.Min(loaded, 2048)))
                        findings.Report(VirtualDiskErrorReason.ElToritoImageOutsideVolume,
                            $"Entry {e.Index}: load RBA {e.LoadRba}; the volume has {_volume.EndByte / 2048} sectors, the image {_source.Length} bytes", e.Offset, null);
                    else if (!_volume.InImage(start, loaded) || start + loaded > _volume.EndByte)
                        findings.Report(VirtualDiskErrorReason.ElToritoImageOutsideVolume,
                            $"Entry {e.Index}: {e.SectorCount} sectors of 512 from RBA {e.LoadRba} run past the volume or the image", e.Offset, null);
                }
            }
        }
        ct.ThrowIfCancellationRequested();
        if (ImplantedMd5 is { } md5)
        {
            var result = md5.Verify(_source, ct);
            if (result.Verdict == IsoMd5Verdict.Failed)
                findings.Report(result.FailedFragment is long f ? VirtualDiskErrorReason.IsoMd5FragmentMismatch : VirtualDiskErrorReason.IsoMd5Mismatch,
                    result.FailedFragment is long g ? $"Fragment {g} of {md5.FragmentCount}" : $"Recorded {md5.RecordedMd5}, computed {result.ComputedMd5}", md5.ApplicationUseOffset, null);
        }
        else if (PrimaryVolumeDescriptor.ApplicationUse.Span.IndexOf("ISO MD5SUM = "u8) >= 0)
            findings.Report(VirtualDiskErrorReason.IsoMd5RecordInvalid, "An \"ISO MD5SUM = \" record checkisomd5 cannot read", PrimaryVolumeDescriptor.Offset + IsoVolumeSpaceDescriptor.ApplicationUseOffset, null);
    }

    private void SizeImagesOnce() => _ = BootCatalog;
}
