namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>The UDF reader (not yet built: the UDF engineer replaces this file).</summary>
internal static class UdfFileSystem
{
    internal static bool HasVolume(VolumeSource source) => false;

    internal static bool TryOpen(VolumeSource source, FileSystemOpenOptions options, out FileSystemReader? reader, out VirtualDiskDiagnostic? failure)
    {
        reader = null;
        failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotFound, source.Name, "The UDF reader is not built yet");
        return false;
    }
}
