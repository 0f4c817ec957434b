using System.Globalization;
using System.Text.Json;
using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;
using VirtualDiskManaged.FileSystems.Udf;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary>
/// The file-system part of <c>vdisk info</c> for ISO-family images: the namespace the library picks, every namespace
/// the volume holds, the label, the open's warnings and, for UDF, the volume, partitions, revision and integrity.
/// Only what the library's readers report is printed (docs/filesystems-cli.md).
/// </summary>
internal static class InfoFileSystem
{
    private static FileSystemReader? Open(VirtualDiskHandle handle, out VirtualDiskDiagnostic? failure)
    {
        failure = null;
        if (handle.Format != VirtualDiskFormat.Iso) return null;
        return FileSystem.TryOpen(handle, new FileSystemOpenOptions(), out var reader, out failure) ? reader : null;
    }

    /// <summary>The ISO 9660 side: the reader itself, or on a bridge disc (UDF read by default) its ISO 9660 tree opened too.</summary>
    private static Iso9660FileSystem? IsoSide(VirtualDiskHandle handle, FileSystemReader reader, out bool owned)
    {
        owned = false;
        if (reader is Iso9660FileSystem iso) return iso;
        var ns = reader.AvailableNamespaces.FirstOrDefault(n => n is FileSystemNamespace.RockRidge or FileSystemNamespace.Joliet or FileSystemNamespace.Iso9660);
        if (ns == FileSystemNamespace.Auto || !FileSystem.TryOpen(handle, new FileSystemOpenOptions { Namespace = ns }, out var other, out _)) return null;
        if (other is Iso9660FileSystem side)
        {
            owned = true;
            return side;
        }
        other!.Dispose();
        return null;
    }

    private static string DescriptorName(IsoVolumeDescriptor d) => d switch
    {
        IsoSupplementaryVolumeDescriptor { IsJoliet: true } j => $"supplementary (Joliet level {j.JolietLevel})",
        IsoSupplementaryVolumeDescriptor { IsEnhanced: true } => "enhanced (ISO 9660:1999)",
        IsoSupplementaryVolumeDescriptor => "supplementary",
        IsoBootRecordDescriptor { IsElTorito: true } => "boot record (El Torito)",
        _ => d.Type switch
        {
            IsoVolumeDescriptorType.BootRecord => "boot record",
            IsoVolumeDescriptorType.Primary => "primary",
            IsoVolumeDescriptorType.Partition => "partition",
            IsoVolumeDescriptorType.Terminator => "terminator",
            _ => "type " + d.RawType.ToString(CultureInfo.InvariantCulture),
        },
    };

    private static void IsoText(TextWriter o, Iso9660FileSystem iso)
    {
        void F(string k, string? v)
        {
            if (!string.IsNullOrEmpty(v)) o.WriteLine($"  {k + ":",-22} {v}");
        }
        foreach (var d in iso.VolumeDescriptors) F($"descriptor {d.SectorNumber}", DescriptorName(d) + $", version {d.Version}");
        var p = iso.PrimaryVolumeDescriptor;
        F("system", p.SystemIdentifier);
        F("volume", p.VolumeIdentifier);
        F("volume set", p.VolumeSetIdentifier);
        F("publisher", p.PublisherIdentifier);
        F("data preparer", p.DataPreparerIdentifier);
        F("application", p.ApplicationIdentifier);
        F("volume space", $"{p.VolumeSpaceSize:N0} blocks of {p.LogicalBlockSize}");
        if (p.CreationTime is { } c) F("created", Text.Time(c));
        if (p.ModificationTime is { } m) F("modified", Text.Time(m));
        F("rock ridge", iso.HasRockRidge ? "yes" + (iso.SuspExtensions.Count > 0 ? $" ({string.Join(", ", iso.SuspExtensions)})" : "") : "no");
        if (iso.BootRecordDescriptor is { } b) F("boot catalog", b.BootCatalogSector is uint cat ? $"sector {cat}" : b.BootSystemIdentifier);
        if (iso.Sessions.Count > 1)
            foreach (var s in iso.Sessions) F($"session {s.Index}", $"sector {s.StartSector}, {s.VolumeSpaceSize:N0} blocks, {s.VolumeIdentifier}" + (s == iso.Session ? " (read)" : ""));
    }

    private static void IsoJson(Utf8JsonWriter w, Iso9660FileSystem iso)
    {
        w.WriteStartObject();
        w.WriteStartArray("descriptors");
        foreach (var d in iso.VolumeDescriptors)
        {
            w.WriteStartObject();
            w.WriteNumber("type", d.RawType);
            w.WriteString("kind", DescriptorName(d));
            w.WriteNumber("version", d.Version);
            w.WriteNumber("sector", d.SectorNumber);
            if (d is IsoVolumeSpaceDescriptor v)
            {
                w.WriteString("systemIdentifier", v.SystemIdentifier);
                w.WriteString("volumeIdentifier", v.VolumeIdentifier);
                w.WriteString("volumeSetIdentifier", v.VolumeSetIdentifier);
                w.WriteString("publisherIdentifier", v.PublisherIdentifier);
                w.WriteString("dataPreparerIdentifier", v.DataPreparerIdentifier);
                w.WriteString("applicationIdentifier", v.ApplicationIdentifier);
                w.WriteNumber("volumeSpaceSize", v.VolumeSpaceSize);
                w.WriteNumber("logicalBlockSize", v.LogicalBlockSize);
                w.WriteNumber("rootExtent", v.RootExtent);
                w.StringOrNull("created", v.CreationTime is { } c ? Text.Time(c) : null);
                w.StringOrNull("modified", v.ModificationTime is { } m ? Text.Time(m) : null);
                if (v is IsoSupplementaryVolumeDescriptor s) w.WriteNumber("jolietLevel", s.JolietLevel);
            }
            if (d is IsoBootRecordDescriptor b)
            {
                w.WriteString("bootSystemIdentifier", b.BootSystemIdentifier);
                if (b.BootCatalogSector is uint cat) w.WriteNumber("bootCatalogSector", cat);
                else w.WriteNull("bootCatalogSector");
            }
            if (d is IsoPartitionDescriptor pd)
            {
                w.WriteString("partitionIdentifier", pd.VolumePartitionIdentifier);
                w.WriteNumber("location", pd.Location);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("rockRidge", iso.HasRockRidge);
        w.WriteStartArray("suspExtensions");
        foreach (var e in iso.SuspExtensions) w.WriteStringValue(e);
        w.WriteEndArray();
        w.WriteStartArray("sessions");
        foreach (var s in iso.Sessions)
        {
            w.WriteStartObject();
            w.WriteNumber("index", s.Index);
            w.WriteNumber("startSector", s.StartSector);
            w.WriteNumber("volumeSpaceSize", s.VolumeSpaceSize);
            w.WriteString("volumeIdentifier", s.VolumeIdentifier);
            w.WriteBoolean("read", s == iso.Session);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>"x86", "efi", "ppc", "mac" or the platform number (El Torito §2.1; 0xEF: UEFI §13.3.2.1).</summary>
    private static void WritePlatform(Utf8JsonWriter w, byte id)
    {
        switch ((ElToritoPlatform)id)
        {
            case ElToritoPlatform.X86: w.WriteString("platform", "x86"); break;
            case ElToritoPlatform.Efi: w.WriteString("platform", "efi"); break;
            case ElToritoPlatform.PowerPC: w.WriteString("platform", "ppc"); break;
            case ElToritoPlatform.Mac: w.WriteString("platform", "mac"); break;
            default: w.WriteNumber("platform", id); break;
        }
    }

    private static string PlatformText(byte id) => (ElToritoPlatform)id switch
    {
        ElToritoPlatform.X86 => "x86",
        ElToritoPlatform.Efi => "efi",
        ElToritoPlatform.PowerPC => "ppc",
        ElToritoPlatform.Mac => "mac",
        _ => id.ToString(CultureInfo.InvariantCulture),
    };

    private static string Emulation(ElToritoMediaType t) => t switch
    {
        ElToritoMediaType.NoEmulation => "none",
        ElToritoMediaType.Floppy12 => "floppy-1.2",
        ElToritoMediaType.Floppy144 => "floppy-1.44",
        ElToritoMediaType.Floppy288 => "floppy-2.88",
        ElToritoMediaType.HardDisk => "hard-disk",
        _ => ((int)t).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Top-level "elTorito": {"catalogLba", "entries": [...]}, or null when the image has no boot catalog.</summary>
    private static void ElToritoJson(Utf8JsonWriter w, ElToritoBootCatalog? catalog)
    {
        w.WritePropertyName("elTorito");
        if (catalog is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        w.WriteNumber("catalogLba", catalog.Sector);
        w.WriteBoolean("checksumValid", catalog.ChecksumValid);
        w.WriteString("idString", catalog.IdString);
        w.WriteStartArray("entries");
        foreach (var e in catalog.Entries)
        {
            w.WriteStartObject();
            WritePlatform(w, e.PlatformId);
            w.WriteBoolean("bootable", e.IsBootable);
            w.WriteString("emulation", Emulation(e.MediaType));
            w.WriteNumber("loadSegment", e.LoadSegment);
            w.WriteNumber("sectorCount", e.SectorCount);
            w.WriteNumber("lba", e.LoadRba);
            w.WriteBoolean("default", e.IsDefault);
            w.WriteNumber("imageSize", e.ImageSize);
            w.WriteBoolean("bootInfoTable", e.BootInfoTable is not null);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void ElToritoText(TextWriter o, ElToritoBootCatalog? catalog)
    {
        if (catalog is null) return;
        o.WriteLine($"  {"El Torito catalog:",-22} sector {catalog.Sector}{(catalog.ChecksumValid ? "" : " (validation checksum WRONG)")}");
        foreach (var e in catalog.Entries)
            o.WriteLine($"  {$"boot entry {e.Index}:",-22} {PlatformText(e.PlatformId)}, {(e.IsBootable ? "bootable" : "not bootable")}, emulation {Emulation(e.MediaType)}, "
                + $"load segment 0x{e.LoadSegment:X4}, {e.SectorCount} sectors at {e.LoadRba} ({e.ImageSize:N0} bytes){(e.BootInfoTable is not null ? ", boot info table" : "")}{(e.IsDefault ? ", default" : "")}");
    }

    public static void WriteText(TextWriter o, ImageInput input, VirtualDiskHandle handle)
    {
        using var reader = Open(handle, out var failure);
        if (reader is null)
        {
            if (failure is not null)
            {
                o.WriteLine();
                o.WriteLine("[file system]");
                o.WriteLine($"  {"status:",-22} {Text.Code(failure.ErrorCode)} {failure.Reason}");
                o.WriteLine($"  {"message:",-22} {input.MapPath(Text.Message(failure))}");
            }
            return;
        }
        o.WriteLine();
        o.WriteLine("[file system]");
        void F(string k, string? v)
        {
            if (v is not null) o.WriteLine($"  {k + ":",-22} {v}");
        }
        F("namespace", FileSystemInput.Name(reader.Namespace));
        F("namespaces", string.Join(", ", reader.AvailableNamespaces.Select(FileSystemInput.Name)));
        F("volume label", reader.VolumeLabel);
        if (reader is UdfFileSystem udf)
        {
            F("UDF revision", udf.RevisionText + $" (NSR0{udf.NsrVersion})");
            F("block size", udf.BlockSize.ToString(CultureInfo.InvariantCulture));
            F("bridge disc", udf.IsBridge ? "yes (ISO 9660 too)" : "no");
            F("logical volume", udf.LogicalVolumeIdentifier);
            F("volume", udf.VolumeIdentifier);
            F("volume set", udf.VolumeSetIdentifier);
            F("file set", udf.FileSetIdentifier);
            F("application", Blank(udf.ApplicationIdentifier));
            F("implementation", Blank(udf.ImplementationIdentifier));
            if (udf.RecordingTime is { } rt) F("recorded", Text.Time(rt));
            F("anchor sector", udf.AnchorSector.ToString(CultureInfo.InvariantCulture));
            foreach (var p in udf.Partitions)
                F($"partition {p.ReferenceNumber}", $"{Kind(p.Kind)} (map {(p.MapIdentifier.Length == 0 ? "type 1" : p.MapIdentifier)}), number {p.PartitionNumber}, sectors {p.StartSector}+{p.LengthInSectors}, access {Access(p.AccessType)}"
                    + (p.Kind == UdfPartitionKind.Sparable ? $", packet {p.PacketLength}, {p.RemappedPackets} remapped" : "")
                    + (p.MirrorInUse ? ", metadata mirror in use" : ""));
            var i = udf.Integrity;
            F("integrity", State(i.State) + (i.RecordingTime is { } it ? $", recorded {Text.Time(it)}" : ""));
            if (i.NumberOfFiles is long nf) F("files", nf.ToString("N0", CultureInfo.InvariantCulture));
            if (i.NumberOfDirectories is long nd) F("directories", nd.ToString("N0", CultureInfo.InvariantCulture));
            if (i.MinimumReadRevision is int mr) F("revisions", $"read ≥ {Rev(mr)}, write {Rev(i.MinimumWriteRevision ?? 0)}–{Rev(i.MaximumWriteRevision ?? 0)}");
        }
        var isoSide = IsoSide(handle, reader, out bool owned);
        try
        {
            if (isoSide is not null)
            {
                IsoText(o, isoSide);
                ElToritoText(o, CatalogOf(isoSide));
            }
        }
        finally
        {
            if (owned) isoSide!.Dispose();
        }
        foreach (var w in reader.Warnings) o.WriteLine("  " + Text.Warning(w.Reason.ToString(), w.ErrorCode, input.MapPath(Text.Message(w))!));
    }

    /// <summary>
    /// "fileSystem": {...} or null (not an ISO-family image, or no file system the library reads), then the top-level
    /// "elTorito": {"catalogLba", "entries"} or null when the image has no boot catalog.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter w, ImageInput input, VirtualDiskHandle handle)
    {
        using var reader = Open(handle, out var failure);
        w.WritePropertyName("fileSystem");
        if (reader is null)
        {
            if (failure is null || failure.Reason == VirtualDiskErrorReason.FileSystemNotFound) w.WriteNullValue();
            else
            {
                w.WriteStartObject();
                w.WritePropertyName("failure");
                Text.WriteDiagnostic(w, failure, input.MapPath);
                w.WriteEndObject();
            }
            w.WriteNull("elTorito");
            return;
        }
        w.WriteStartObject();
        w.WriteString("namespace", FileSystemInput.Name(reader.Namespace));
        w.WriteStartArray("namespaces");
        foreach (var n in reader.AvailableNamespaces) w.WriteStringValue(FileSystemInput.Name(n));
        w.WriteEndArray();
        w.WriteString("volumeLabel", reader.VolumeLabel);
        w.WritePropertyName("udf");
        if (reader is UdfFileSystem udf)
        {
            w.WriteStartObject();
            w.WriteString("revision", udf.RevisionText);
            w.WriteNumber("nsrVersion", udf.NsrVersion);
            w.WriteNumber("blockSize", udf.BlockSize);
            w.WriteBoolean("bridge", udf.IsBridge);
            w.WriteString("logicalVolume", udf.LogicalVolumeIdentifier);
            w.WriteString("volume", udf.VolumeIdentifier);
            w.WriteString("volumeSet", udf.VolumeSetIdentifier);
            w.WriteString("fileSet", udf.FileSetIdentifier);
            w.WriteString("application", udf.ApplicationIdentifier);
            w.WriteString("implementation", udf.ImplementationIdentifier);
            w.StringOrNull("recorded", udf.RecordingTime is { } rt ? Text.Time(rt) : null);
            w.WriteNumber("anchorSector", udf.AnchorSector);
            w.WriteStartArray("partitions");
            foreach (var p in udf.Partitions)
            {
                w.WriteStartObject();
                w.WriteNumber("reference", p.ReferenceNumber);
                w.WriteNumber("number", p.PartitionNumber);
                w.WriteString("kind", Kind(p.Kind));
                w.WriteString("map", p.MapIdentifier);
                w.WriteNumber("startSector", p.StartSector);
                w.WriteNumber("lengthInSectors", p.LengthInSectors);
                w.WriteNumber("blockCount", p.BlockCount);
                w.WriteString("access", Access(p.AccessType));
                w.WriteString("contents", p.Contents);
                w.WriteNumber("packetLength", p.PacketLength);
                w.WriteNumber("remappedPackets", p.RemappedPackets);
                w.WriteBoolean("mirrorInUse", p.MirrorInUse);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            var i = udf.Integrity;
            w.WriteStartObject("integrity");
            w.WriteString("state", State(i.State));
            w.StringOrNull("recorded", i.RecordingTime is { } it ? Text.Time(it) : null);
            Number(w, "files", i.NumberOfFiles);
            Number(w, "directories", i.NumberOfDirectories);
            w.StringOrNull("minimumReadRevision", i.MinimumReadRevision is int a ? Rev(a) : null);
            w.StringOrNull("minimumWriteRevision", i.MinimumWriteRevision is int b ? Rev(b) : null);
            w.StringOrNull("maximumWriteRevision", i.MaximumWriteRevision is int c ? Rev(c) : null);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else w.WriteNullValue();
        var isoSide = IsoSide(handle, reader, out bool owned);
        try
        {
            w.WritePropertyName("iso9660");
            if (isoSide is null) w.WriteNullValue();
            else IsoJson(w, isoSide);
            w.WriteStartArray("warnings");
            foreach (var d in reader.Warnings) Text.WriteDiagnostic(w, d, input.MapPath);
            w.WriteEndArray();
            w.WriteEndObject();
            ElToritoJson(w, isoSide is null ? null : CatalogOf(isoSide));
        }
        finally
        {
            if (owned) isoSide!.Dispose();
        }
    }

    /// <summary>The boot catalog; a catalog too damaged to read is the deep check's finding, shown here as none.</summary>
    private static ElToritoBootCatalog? CatalogOf(Iso9660FileSystem iso)
    {
        try
        {
            return iso.BootCatalog;
        }
        catch (VirtualDiskException)
        {
            return null;
        }
    }

    private static void Number(Utf8JsonWriter w, string name, long? v)
    {
        if (v is long x) w.WriteNumber(name, x);
        else w.WriteNull(name);
    }

    private static string? Blank(string s) => s.Length == 0 ? null : s;

    private static string Rev(int r) => $"{r >> 8:X}.{r & 0xFF:X2}";

    private static string Kind(UdfPartitionKind k) => k switch
    {
        UdfPartitionKind.Physical => "physical",
        UdfPartitionKind.Virtual => "virtual",
        UdfPartitionKind.Sparable => "sparable",
        UdfPartitionKind.Metadata => "metadata",
        _ => "unknown",
    };

    /// <summary>ECMA-167 3/10.5.7 access types.</summary>
    private static string Access(int a) => a switch
    {
        0 => "unspecified",
        1 => "read-only",
        2 => "write-once",
        3 => "rewritable",
        4 => "overwritable",
        _ => a.ToString(CultureInfo.InvariantCulture),
    };

    private static string State(UdfIntegrityState s) => s switch
    {
        UdfIntegrityState.Closed => "closed",
        UdfIntegrityState.Open => "open",
        _ => "unknown",
    };
}
