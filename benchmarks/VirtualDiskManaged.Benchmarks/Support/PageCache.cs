using System.Runtime.InteropServices;

namespace VirtualDiskManaged.Benchmarks.Support;

/// <summary>
/// Puts files into the page cache the same way: drop their cached pages (posix_fadvise DONTNEED), then read them
/// sequentially. How a file was written (one large write, 1 MiB writes, qemu-img's pattern) decides the size of its
/// page-cache folios, and copying out of large folios is markedly faster; without this the raw baseline and the
/// images would be compared partly on how their writers happened to write them.
/// </summary>
internal static partial class PageCache
{
    private const int POSIX_FADV_DONTNEED = 4;

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int FAdvise(int fd, long offset, long length, int advice);

    public static void Reload(IEnumerable<string> paths)
    {
        var buffer = new byte[1 << 20];
        foreach (string path in paths.Distinct())
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (OperatingSystem.IsLinux()) FAdvise((int)handle.DangerousGetHandle(), 0, 0, POSIX_FADV_DONTNEED);
            long length = RandomAccess.GetLength(handle);
            for (long at = 0; at < length;)
            {
                int n = RandomAccess.Read(handle, buffer, at);
                if (n <= 0) break;
                at += n;
            }
        }
    }
}
