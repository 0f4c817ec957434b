using System.Buffers.Binary;
using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// The file as it would be after replaying the log (MS-VHDX §2.3), without writing it: the replayed 4 KiB sectors
/// (kept as references to the data sectors inside the log, plus their 8 leading and 4 trailing bytes), the zeroed
/// ranges, and a logical length of max(file length, LastFileOffset) whose bytes past the real end read as zeros.
/// Immutable, so any number of threads may read it.
/// </summary>
internal sealed class VhdxLogOverlay : FileView
{
    private const int SectorSize = 4096;

    private readonly FileView _base;
    private readonly long _length;
    private readonly long[] _sectorOffsets;              // sorted target offsets of replayed sectors
    private readonly (long LogAt, ulong Leading, uint Trailing)[] _sectors;
    private readonly (long Start, long End)[] _zeros;   // sorted, disjoint, merged

    private VhdxLogOverlay(FileView file, long length, long[] sectorOffsets, (long, ulong, uint)[] sectors, (long, long)[] zeros)
    {
        _base = file;
        _length = length;
        _sectorOffsets = sectorOffsets;
        _sectors = sectors;
        _zeros = zeros;
    }

    public override string Path => _base.Path;

    public override long Length => _length;

    /// <summary>The file ranges the replay changes (zero ranges and 4 KiB data sectors), for a replay into the file (docs/write.md).</summary>
    public IEnumerable<(long Offset, long Length)> ChangedRanges
    {
        get
        {
            foreach (var (start, end) in _zeros) yield return (start, end - start);
            foreach (long target in _sectorOffsets) yield return (target, SectorSize);
        }
    }

    /// <summary>Number of replayed data sectors (for diagnostics and tests).</summary>
    public int ReplayedSectorCount => _sectors.Length;

    public override int ReadAt(long offset, Span<byte> buffer)
    {
        if (offset < 0 || offset >= _length) return 0;
        int n = (int)Math.Min(buffer.Length, _length - offset);
        buffer = buffer[..n];
        long end = offset + n;

        // The file's own bytes; past its end (the log extended it) zeros.
        long baseLength = _base.Length;
        int fromBase = offset < baseLength ? (int)Math.Min(n, baseLength - offset) : 0;
        int got = fromBase > 0 ? _base.ReadAt(offset, buffer[..fromBase]) : 0;
        buffer[got..].Clear();

        // Zero ranges, then data sectors (a data sector in the map is always newer than any zero range over it).
        int z = LowerBound(_zeros, offset);
        for (; z < _zeros.Length && _zeros[z].Start < end; z++)
        {
            long s = Math.Max(_zeros[z].Start, offset), e = Math.Min(_zeros[z].End, end);
            buffer.Slice((int)(s - offset), (int)(e - s)).Clear();
        }
        int i = Array.BinarySearch(_sectorOffsets, offset - offset % SectorSize);
        if (i < 0) i = ~i;
        if (i < _sectorOffsets.Length && _sectorOffsets[i] < end)
        {
            Span<byte> sector = stackalloc byte[SectorSize];
            for (; i < _sectorOffsets.Length && _sectorOffsets[i] < end; i++)
            {
                long target = _sectorOffsets[i];
                var (logAt, leading, trailing) = _sectors[i];
                _base.ReadExactlyAt(logAt, sector);
                BinaryPrimitives.WriteUInt64LittleEndian(sector, leading);
                BinaryPrimitives.WriteUInt32LittleEndian(sector[(SectorSize - 4)..], trailing);
                long s = Math.Max(target, offset), e = Math.Min(target + SectorSize, end);
                sector.Slice((int)(s - target), (int)(e - s)).CopyTo(buffer[(int)(s - offset)..]);
            }
        }
        return n;
    }

    /// <summary>The first zero range whose end is beyond <paramref name="offset"/>.</summary>
    private static int LowerBound((long Start, long End)[] ranges, long offset)
    {
        int lo = 0, hi = ranges.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ranges[mid].End <= offset) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Collects descriptors in log order (later ones win) and freezes them into an overlay.</summary>
    internal sealed class Builder(FileView file, long length)
    {
        private readonly Dictionary<long, (long, ulong, uint)> _sectors = [];
        private readonly List<(long Start, long End)> _zeros = [];

        public void AddData(long target, long logAt, ulong leading, uint trailing) => _sectors[target] = (logAt, leading, trailing);

        public void AddZero(long target, long zeroLength)
        {
            if (zeroLength == 0) return;
            long end = target + zeroLength;
            // Earlier sectors under the zero range are overwritten by it.
            if (_sectors.Count > 0)
            {
                if (zeroLength / SectorSize <= _sectors.Count)
                    for (long s = target; s < end; s += SectorSize) _sectors.Remove(s);
                else
                    foreach (long key in _sectors.Keys.Where(k => k >= target && k < end).ToList()) _sectors.Remove(key);
            }
            _zeros.Add((target, end));
        }

        public VhdxLogOverlay Build()
        {
            var keys = _sectors.Keys.ToArray();
            Array.Sort(keys);
            var values = new (long, ulong, uint)[keys.Length];
            for (int i = 0; i < keys.Length; i++) values[i] = _sectors[keys[i]];
            _zeros.Sort((a, b) => a.Start.CompareTo(b.Start));
            var merged = new List<(long, long)>();
            foreach (var (s, e) in _zeros)
            {
                if (merged.Count > 0 && s <= merged[^1].Item2) merged[^1] = (merged[^1].Item1, Math.Max(merged[^1].Item2, e));
                else merged.Add((s, e));
            }
            return new VhdxLogOverlay(file, length, keys, values, merged.ToArray());
        }
    }
}
