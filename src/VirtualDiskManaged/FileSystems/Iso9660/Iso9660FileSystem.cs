namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>The ISO 9660 / Joliet / Rock Ridge reader (not yet built: the ISO 9660 engineer replaces this file).</summary>
internal static class Iso9660FileSystem
{
    internal static bool TryOpen(VolumeSource source, FileSystemOpenOptions options, out FileSystemReader? reader, out VirtualDiskDiagnostic? failure)
    {
        reader = null;
        failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotFound, source.Name, "The ISO 9660 reader is not built yet");
        return false;
    }
}
