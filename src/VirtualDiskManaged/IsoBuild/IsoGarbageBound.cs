namespace VirtualDiskManaged.IsoBuild;

/// <summary>
/// Keeps the builder's short-lived garbage (identifiers, records, names of one directory at a time) from piling up:
/// after each MiB the building thread allocates, a blocking gen-0 collection. The runtime's default gen-0 budget
/// (about 20 MiB on these machines, and not settable from a runtimeconfig) would otherwise be a third of the peak
/// memory of a 100,000-entry build, and the survivors of a gen-0 collection here are a few KiB, so each costs well
/// under a millisecond (docs/mkiso.md "Memory"). Not thread-safe: one per builder or writer.
/// </summary>
internal sealed class IsoGarbageBound
{
    /// <summary>Bytes allocated between collections: fixed, never taken from the input.</summary>
    public const long Step = 1 << 20;

    private long _next = GC.GetAllocatedBytesForCurrentThread() + Step;

    /// <summary>Collects gen 0 when the thread has allocated another <see cref="Step"/> bytes since the last one.</summary>
    public void Check()
    {
        if (GC.GetAllocatedBytesForCurrentThread() < _next) return;
        GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: false);
        _next = GC.GetAllocatedBytesForCurrentThread() + Step;
    }
}
