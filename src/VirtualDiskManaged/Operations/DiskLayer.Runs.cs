namespace VirtualDiskManaged.IO;

/// <summary>The per-run mapping of a layer, for the map and compare operations (docs/operations.md "map").</summary>
internal abstract partial class DiskLayer
{
    /// <summary>
    /// The run at <paramref name="virtualOffset"/> of at most <paramref name="maxLength"/> bytes, clamped to the
    /// virtual size; lazily loaded table pages may throw <see cref="VirtualDiskException"/>.
    /// </summary>
    internal Run RunAt(long virtualOffset, long maxLength) => MapRun(virtualOffset, Math.Min(maxLength, VirtualSize - virtualOffset));
}
