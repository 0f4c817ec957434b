using System.Runtime.InteropServices;

namespace VirtualDiskManaged.Benchmarks.Support;

/// <summary>
/// The peer: libvhdi (Debian's libvhdi1), called through its C API. Used only when the shared library loads;
/// the benchmark configuration drops the peer's benchmarks otherwise.
/// </summary>
internal static partial class LibVhdi
{
    private const string Library = "libvhdi.so.1";
    private const int OpenRead = 1; // LIBVHDI_OPEN_READ

    [LibraryImport(Library, EntryPoint = "libvhdi_file_initialize")]
    private static partial int FileInitialize(out nint file, out nint error);

    [LibraryImport(Library, EntryPoint = "libvhdi_file_open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FileOpen(nint file, string filename, int accessFlags, out nint error);

    [LibraryImport(Library, EntryPoint = "libvhdi_file_get_media_size")]
    private static partial int FileGetMediaSize(nint file, out ulong mediaSize, out nint error);

    [LibraryImport(Library, EntryPoint = "libvhdi_file_set_parent_file")]
    private static partial int FileSetParentFile(nint file, nint parentFile, out nint error);

    [LibraryImport(Library, EntryPoint = "libvhdi_file_close")]
    private static partial int FileClose(nint file, out nint error);

    [LibraryImport(Library, EntryPoint = "libvhdi_file_free")]
    private static partial int FileFree(ref nint file, out nint error);

    [LibraryImport(Library, EntryPoint = "libvhdi_error_free")]
    private static partial void ErrorFree(ref nint error);

    private static readonly Lazy<bool> Loaded = new(() =>
    {
        if (!NativeLibrary.TryLoad(Library, out var handle)) return false;
        return NativeLibrary.TryGetExport(handle, "libvhdi_file_open", out _);
    });

    /// <summary>True when libvhdi.so.1 is installed and exports the API.</summary>
    public static bool IsAvailable => Loaded.Value;

    /// <summary>
    /// initialize + open (read) + get_media_size + close + free: libvhdi's equivalent of our open + size + dispose.
    /// With <paramref name="parentPath"/> (a differencing file), the parent is opened too and attached with
    /// <c>libvhdi_file_set_parent_file</c>, as a caller must before reading; its path is handed in rather than looked
    /// up from the child's locators, which spares libvhdi work our open does.
    /// </summary>
    public static ulong OpenAndGetSize(string path, string? parentPath = null)
    {
        nint file = Open(path);
        nint parent = 0;
        try
        {
            nint error;
            if (parentPath is not null)
            {
                parent = Open(parentPath);
                if (FileSetParentFile(file, parent, out error) != 1) Fail(error, "set_parent_file");
            }
            if (FileGetMediaSize(file, out ulong size, out error) != 1) Fail(error, "get_media_size");
            return size;
        }
        finally
        {
            CloseAndFree(ref file);
            if (parent != 0) CloseAndFree(ref parent);
        }
    }

    private static nint Open(string path)
    {
        if (FileInitialize(out nint file, out nint error) != 1) Fail(error, "initialize");
        if (FileOpen(file, path, OpenRead, out error) != 1)
        {
            FileFree(ref file, out nint freeError);
            if (freeError != 0) ErrorFree(ref freeError);
            Fail(error, "open " + path);
        }
        return file;
    }

    private static void CloseAndFree(ref nint file)
    {
        FileClose(file, out nint error);
        if (error != 0) ErrorFree(ref error);
        FileFree(ref file, out error);
        if (error != 0) ErrorFree(ref error);
    }

    private static void Fail(nint error, string what)
    {
        if (error != 0) ErrorFree(ref error);
        throw new InvalidOperationException($"libvhdi {what} failed");
    }
}
