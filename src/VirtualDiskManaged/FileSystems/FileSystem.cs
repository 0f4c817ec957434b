using VirtualDiskManaged.FileSystems.Iso9660;
using VirtualDiskManaged.FileSystems.Udf;

namespace VirtualDiskManaged.FileSystems;

/// <summary>
/// Opens the file system inside an image: over an opened handle (any format the library opens) or over any
/// seekable stream whose bytes are the volume. <see cref="FileSystemNamespace.Auto"/> picks UDF when the
/// image has a UDF volume (as Windows does on bridge discs), else Rock Ridge, else Joliet, else ISO 9660
/// (docs/iso9660.md says why). What <c>OpenVirtualDisk</c> returns never depends on this.
/// </summary>
public static class FileSystem
{
    /// <summary>Opens the file system of an opened image; throws <see cref="VirtualDiskException"/> when it cannot.</summary>
    public static FileSystemReader Open(VirtualDiskHandle handle, FileSystemOpenOptions? options = null)
    {
        if (!TryOpen(handle, options, out var reader, out var failure)) ThrowHelper.Throw(failure!);
        return reader!;
    }

    /// <summary>Opens the file system of a stream of volume bytes; throws <see cref="VirtualDiskException"/> when it cannot.</summary>
    public static FileSystemReader Open(Stream volume, FileSystemOpenOptions? options = null)
    {
        if (!TryOpen(volume, options, out var reader, out var failure)) ThrowHelper.Throw(failure!);
        return reader!;
    }

    /// <summary>Opens the file system of an opened image without throwing for anything the image causes.</summary>
    public static bool TryOpen(VirtualDiskHandle handle, FileSystemOpenOptions? options, out FileSystemReader? reader, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return TryOpen(VolumeSource.FromHandle(handle), options ?? new(), out reader, out failure);
    }

    /// <summary>Opens the file system of a seekable stream of volume bytes without throwing for anything its bytes cause.</summary>
    public static bool TryOpen(Stream volume, FileSystemOpenOptions? options, out FileSystemReader? reader, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if (!volume.CanSeek || !volume.CanRead) throw new ArgumentException("The stream must be readable and seekable.", nameof(volume));
        return TryOpen(VolumeSource.FromStream(volume, (volume as FileStream)?.Name), options ?? new(), out reader, out failure);
    }

    internal static bool TryOpen(VolumeSource source, FileSystemOpenOptions options, out FileSystemReader? reader, out VirtualDiskDiagnostic? failure)
    {
        try
        {
            bool wantUdf = options.Namespace == FileSystemNamespace.Udf
                || (options.Namespace == FileSystemNamespace.Auto && UdfFileSystem.HasVolume(source));
            if (wantUdf)
            {
                if (UdfFileSystem.TryOpen(source, options, out reader, out failure)) return true;
                // A bridge disc whose UDF side is damaged still has its ISO 9660 side.
                if (options.Namespace == FileSystemNamespace.Udf) return false;
                var udfFailure = failure;
                if (Iso9660FileSystem.TryOpen(source, options, out reader, out failure)) return true;
                failure = udfFailure;
                return false;
            }
            return Iso9660FileSystem.TryOpen(source, options, out reader, out failure);
        }
        catch (VirtualDiskException e)
        {
            reader = null;
            failure = e.Diagnostic;
            return false;
        }
    }
}
