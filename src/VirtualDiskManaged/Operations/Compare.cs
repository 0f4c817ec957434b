using VirtualDiskManaged.IO;

namespace VirtualDiskManaged;

/// <summary>What <see cref="VirtualDiskOperations.Compare(string, string)"/> found (docs/operations.md "compare").</summary>
public sealed class CompareResult
{
    internal CompareResult(long? firstDifference, long sizeA, long sizeB)
    {
        FirstDifference = firstDifference;
        SizeA = sizeA;
        SizeB = sizeB;
    }

    /// <summary>True when the virtual contents are equal (a larger image's extra bytes all zero, as qemu-img compare without -s).</summary>
    public bool Identical => FirstDifference is null;

    /// <summary>The first virtual offset where the contents differ (sector-exact: the first differing byte's offset rounded down to 512); null when identical.</summary>
    public long? FirstDifference { get; }

    /// <summary>Virtual size of the first image.</summary>
    public long SizeA { get; }

    /// <summary>Virtual size of the second image.</summary>
    public long SizeB { get; }

    /// <summary>True when the virtual sizes differ (the contents may still be equal).</summary>
    public bool SizeMismatch => SizeA != SizeB;
}

public static partial class VirtualDiskOperations
{
    /// <summary>Bytes compared per read.</summary>
    private const int CompareChunk = 1 << 20;

    /// <summary>
    /// Compares the virtual contents of two images (each opened read-only, chains included; see <see cref="Compare(VirtualDiskHandle, VirtualDiskHandle)"/>).
    /// </summary>
    /// <param name="pathA">The first image.</param>
    /// <param name="pathB">The second image.</param>
    /// <returns>Identical, or the first differing offset.</returns>
    public static CompareResult Compare(string pathA, string pathB)
    {
        ArgumentNullException.ThrowIfNull(pathA);
        ArgumentNullException.ThrowIfNull(pathB);
        using var a = OrThrow(OpenInput(pathA, out var ha), ha);
        using var b = OrThrow(OpenInput(pathB, out var hb), hb);
        return Compare(a, b);
    }

    /// <summary>
    /// Compares the virtual contents of two open images as <c>qemu-img compare</c> does without -s: byte for byte up to
    /// the smaller size, and the larger image's remainder must read as zeros. Only ranges that either image's allocation
    /// map backs with data are read; ranges unallocated in both read as zeros in both and are skipped.
    /// </summary>
    /// <param name="a">The first image.</param>
    /// <param name="b">The second image.</param>
    /// <returns>Identical, or the first differing offset (rounded down to a 512-byte sector).</returns>
    public static CompareResult Compare(VirtualDiskHandle a, VirtualDiskHandle b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        long sizeA = a.VirtualSize, sizeB = b.VirtualSize;
        var ranges = Union(Allocated(a), Allocated(b));
        byte[] bufA = new byte[CompareChunk], bufB = new byte[CompareChunk];
        foreach (var r in ranges)
        {
            for (long offset = r.Offset; offset < r.End; offset += CompareChunk)
            {
                int length = (int)Math.Min(CompareChunk, r.End - offset);
                var sa = bufA.AsSpan(0, length);
                var sb = bufB.AsSpan(0, length);
                ReadOrZero(a, offset, sa);
                ReadOrZero(b, offset, sb);
                int at = sa.CommonPrefixLength(sb);
                if (at < length) return new((offset + at) / 512 * 512, sizeA, sizeB);
            }
        }
        return new(null, sizeA, sizeB);
    }

    /// <summary>Reads <paramref name="buffer"/> at <paramref name="offset"/>; bytes past the image's virtual size read as zeros.</summary>
    private static void ReadOrZero(VirtualDiskHandle handle, long offset, Span<byte> buffer)
    {
        long size = handle.VirtualSize;
        int inside = offset >= size ? 0 : (int)Math.Min(buffer.Length, size - offset);
        if (inside > 0)
        {
            try { handle.ReadCore(offset, buffer[..inside]); }
            catch (VirtualDiskException e)
            {
                ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.OperationReadFailed, handle.Path, $"At virtual offset {offset}", offset, inner: e.Diagnostic, code: e.Diagnostic.Code));
            }
        }
        buffer[inside..].Clear();
    }

    /// <summary>The allocated ranges of a whole image (block tables only).</summary>
    internal static List<AllocatedRange> Allocated(VirtualDiskHandle handle)
    {
        var ranges = new List<AllocatedRange>();
        try { handle.TopLayer.MapAllocation(0, handle.VirtualSize, ranges); }
        catch (VirtualDiskException e)
        {
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.OperationReadFailed, handle.Path, e.Diagnostic.Detail, e.Diagnostic.Offset, inner: e.Diagnostic, code: e.Diagnostic.Code));
        }
        return ranges;
    }

    /// <summary>The union of two ordered, non-overlapping range lists, ordered and merged.</summary>
    private static List<AllocatedRange> Union(List<AllocatedRange> x, List<AllocatedRange> y)
    {
        var all = new List<AllocatedRange>(x.Count + y.Count);
        int i = 0, j = 0;
        while (i < x.Count || j < y.Count)
        {
            var next = j >= y.Count || i < x.Count && x[i].Offset <= y[j].Offset ? x[i++] : y[j++];
            if (all.Count > 0 && next.Offset <= all[^1].End)
            {
                if (next.End > all[^1].End) all[^1] = new AllocatedRange(all[^1].Offset, next.End - all[^1].Offset);
            }
            else all.Add(next);
        }
        return all;
    }
}
