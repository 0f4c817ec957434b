namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// The volume descriptor set of one session (ECMA-119 §6.7.1, §8): one descriptor per sector from the session's
/// sector 16 until a Set Terminator, at most <see cref="MaxDescriptors"/> (Linux isofs scans 84 sectors). Also
/// finds the sessions of an image the way xorriso's emulated table of contents does.
/// </summary>
internal sealed class IsoVolumeDescriptorSet
{
    /// <summary>Descriptors read per set (the cap does not depend on the file).</summary>
    public const int MaxDescriptors = 128;

    /// <summary>Sessions found in one image.</summary>
    public const int MaxSessions = 256;

    /// <summary>ECMA-119 §6.2.1: the system area is the first 16 sectors of the session.</summary>
    public const int SystemAreaSectors = 16;

    /// <summary>xorriso/libisoburn place sessions of an image file on 32-sector boundaries, the first at sector 32.</summary>
    public const int SessionAlignment = 32;

    public List<IsoVolumeDescriptor> All { get; } = [];
    public IsoPrimaryVolumeDescriptor? Primary { get; private set; }
    public IsoSupplementaryVolumeDescriptor? Joliet { get; private set; }
    public IsoSupplementaryVolumeDescriptor? Enhanced { get; private set; }
    public IsoBootRecordDescriptor? BootRecord { get; private set; }
    public bool Terminated { get; private set; }

    /// <summary>Reads the set at <paramref name="startSector"/> + 16; null when the first sector is not "CD001".</summary>
    public static IsoVolumeDescriptorSet? Read(VolumeSource source, long startSector)
    {
        var set = new IsoVolumeDescriptorSet();
        Span<byte> sector = stackalloc byte[IsoVolumeDescriptor.Size];
        for (int i = 0; i < MaxDescriptors; i++)
        {
            long number = startSector + SystemAreaSectors + i;
            if (!source.TryReadExactlyAt(number * IsoVolumeDescriptor.Size, sector)) break;
            if (!sector.Slice(IsoVolumeDescriptor.IdentifierOffset, 5).SequenceEqual(IsoVolumeDescriptor.StandardIdentifier)) break;
            IsoVolumeDescriptor d = sector[IsoVolumeDescriptor.TypeOffset] switch
            {
                0 => new IsoBootRecordDescriptor(sector, number),
                1 => new IsoPrimaryVolumeDescriptor(sector, number),
                2 => new IsoSupplementaryVolumeDescriptor(sector, number),
                3 => new IsoPartitionDescriptor(sector, number),
                _ => IsoVolumeDescriptor.Other(sector, number),
            };
            set.All.Add(d);
            switch (d)
            {
                // ECMA-119 §8.4: the first primary descriptor is used (as Linux does); Joliet: the first SVD with
                // a UCS-2 escape sequence; ISO 9660:1999: the first version-2 SVD; El Torito: the first boot record.
                case IsoPrimaryVolumeDescriptor p: set.Primary ??= p; break;
                case IsoSupplementaryVolumeDescriptor s when s.IsJoliet: set.Joliet ??= s; break;
                case IsoSupplementaryVolumeDescriptor s when s.IsEnhanced: set.Enhanced ??= s; break;
                case IsoBootRecordDescriptor b: set.BootRecord ??= b; break;
            }
            if (d.RawType == 255) { set.Terminated = true; break; }
        }
        return set.All.Count == 0 ? null : set;
    }

    /// <summary>
    /// The sessions of an image. On image files xorriso writes the first session at sector 32 and each later one
    /// at the next 32-sector boundary after the previous session's end (start + Volume Space Size), and rewrites
    /// sectors 0–31 to point at the newest (xorriso -toc shows them; Linux reads them with sbsector=N). When no
    /// descriptor set stands at sector 32 + 16, the image has one session, at sector 0.
    /// </summary>
    public static List<IsoSession> FindSessions(VolumeSource source, IsoVolumeDescriptorSet first)
    {
        var sessions = new List<IsoSession>();
        long start = SessionAlignment;
        while (sessions.Count < MaxSessions)
        {
            var set = Read(source, start);
            if (set?.Primary is not { } p || p.LogicalBlockSize != IsoVolumeDescriptor.Size || p.VolumeSpaceSize == 0) break;
            sessions.Add(new IsoSession(sessions.Count, start, p.VolumeSpaceSize, p.VolumeIdentifier));
            long end = start + p.VolumeSpaceSize;
            long next = (end + SessionAlignment - 1) / SessionAlignment * SessionAlignment;
            if (next <= start || (next + SystemAreaSectors + 1) * IsoVolumeDescriptor.Size > source.Length) break;
            start = next;
        }
        if (sessions.Count == 0 && first.Primary is { } p0)
            sessions.Add(new IsoSession(0, 0, p0.VolumeSpaceSize, p0.VolumeIdentifier));
        return sessions;
    }
}
