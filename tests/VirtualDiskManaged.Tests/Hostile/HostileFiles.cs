using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>Helpers shared by the hostile-input tests: write crafted bytes, open them, read everything, measure allocation.</summary>
internal static class HostileFiles
{
    /// <summary>The fixed allocation cap for one open + bounded read, whatever sizes a file claims.</summary>
    public const long AllocationCap = 64L * 1024 * 1024;

    public static string Write(byte[] bytes, string name, string? folder = null)
    {
        folder ??= TestPaths.NewTempFolder("hostile");
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The outcome of an open (and, when it opened, a bounded read of the whole disk).</summary>
    public sealed record Outcome(VirtualDiskDiagnostic? Failure, long Allocated, byte[]? Content, IReadOnlyList<VirtualDiskDiagnostic> Warnings)
    {
        public uint Code => Failure?.ErrorCode ?? 0;

        public override string ToString() => Failure is null
            ? $"success ({Warnings.Count} warning(s): {string.Join(", ", Warnings.Select(w => w.Reason))}), allocated {Allocated:N0}"
            : $"0x{Failure.ErrorCode:X8} {Failure.Reason} ({Failure.Message}), allocated {Allocated:N0}";
    }

    /// <summary>Opens <paramref name="path"/> and reads up to <paramref name="maxRead"/> bytes of the disk, measuring what this thread allocated.</summary>
    public static Outcome OpenAndRead(string path, VirtualDiskOpenOptions? options = null, long maxRead = 16 * 1024 * 1024)
    {
        var buffer = new byte[1024 * 1024];
        long before = GC.GetAllocatedBytesForCurrentThread();
        if (!VirtualDisk.TryOpen(path, options, out var handle, out VirtualDiskDiagnostic? failure))
            return new Outcome(failure, GC.GetAllocatedBytesForCurrentThread() - before, null, []);
        using (handle)
        {
            long size = Math.Min(handle.VirtualSize, maxRead);
            var content = new MemoryStream();
            long contentAllocation = 0;
            try
            {
                for (long at = 0; at < size;)
                {
                    int n = handle.Read(at, buffer.AsSpan(0, (int)Math.Min(buffer.Length, size - at)));
                    if (n <= 0) break;
                    long b = GC.GetAllocatedBytesForCurrentThread();
                    content.Write(buffer, 0, n);
                    contentAllocation += GC.GetAllocatedBytesForCurrentThread() - b;
                    at += n;
                }
            }
            catch (VirtualDiskException e)
            {
                return new Outcome(e.Diagnostic, GC.GetAllocatedBytesForCurrentThread() - before - contentAllocation, null, handle.Warnings);
            }
            return new Outcome(null, GC.GetAllocatedBytesForCurrentThread() - before - contentAllocation, content.ToArray(), handle.Warnings);
        }
    }
}
