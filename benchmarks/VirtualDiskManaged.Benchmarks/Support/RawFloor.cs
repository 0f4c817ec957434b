using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Benchmarks.Support;

/// <summary>
/// The "raw floor" of an open: the byte ranges a minimal opener must read from each file of a chain, found once
/// here by an independent reading of the formats (the VHD spec, MS-VHDX, ECMA-119) and then replayed in the benchmark as
/// <see cref="File.OpenHandle"/> + <see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/> of exactly
/// those ranges + dispose, with no parsing at all.
/// </summary>
public sealed class RawFloor
{
    private readonly (string Path, (long Offset, int Length)[] Ranges)[] _files;
    private readonly byte[] _buffer;
    private readonly SafeFileHandle[] _handles;

    private RawFloor((string, (long, int)[])[] files)
    {
        _files = files;
        _buffer = new byte[files.SelectMany(f => f.Item2).Select(r => r.Item2).DefaultIfEmpty(0).Max()];
        _handles = new SafeFileHandle[files.Length];
    }

    /// <summary>Files in the order an opener opens them (child first) and the ranges read from each.</summary>
    public IReadOnlyList<(string Path, (long Offset, int Length)[] Ranges)> Files => _files;

    /// <summary>Total bytes read by one floor open.</summary>
    public long TotalBytes => _files.Sum(f => f.Ranges.Sum(r => (long)r.Length));

    /// <summary>Open every file, read its ranges, close them all; returns the bytes read.</summary>
    public int Run()
    {
        int total = 0;
        for (int i = 0; i < _files.Length; i++)
        {
            var handle = File.OpenHandle(_files[i].Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
            _handles[i] = handle;
            foreach (var (offset, length) in _files[i].Ranges)
                total += RandomAccess.Read(handle, _buffer.AsSpan(0, length), offset);
        }
        for (int i = 0; i < _handles.Length; i++) _handles[i].Dispose();
        return total;
    }

    public static RawFloor For(ImageKind kind, string path)
    {
        var files = new List<(string, (long, int)[])>();
        for (string? current = path; current is not null && files.Count < 16;)
        {
            var ranges = new List<(long Offset, int Length)>();
            string? parent = kind == ImageKind.Iso ? Iso(ranges) : BenchImages.IsVhd(kind) ? Vhd(current, ranges) : Vhdx(current, ranges);
            files.Add((current, Merge(ranges)));
            current = parent;
        }
        return new RawFloor(files.ToArray());
    }

    private static string? Iso(List<(long, int)> ranges)
    {
        ranges.Add((32768, 2048)); // the first volume descriptor (ECMA-119 §6.7, §8.1)
        return null;
    }

    /// <summary>VHD: footer; for sparse disks the footer copy at 0 and the dynamic header, and for differencing the first parent locator (W2ru). Returns the parent path.</summary>
    private static string? Vhd(string path, List<(long, int)> ranges)
    {
        using var f = File.OpenRead(path);
        long length = f.Length;
        var footer = ReadAt(f, length - 512, 512);
        ranges.Add((length - 512, 512));
        uint diskType = BinaryPrimitives.ReadUInt32BigEndian(footer.AsSpan(60));
        if (diskType == 2) return null;
        ranges.Add((0, 512)); // the footer copy of a sparse disk (the contract compares the two copies)
        long dataOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(footer.AsSpan(16));
        var header = ReadAt(f, dataOffset, 1024);
        ranges.Add((dataOffset, 1024));
        if (diskType != 4) return null;
        for (int i = 0; i < 8; i++)
        {
            var entry = header.AsSpan(576 + 24 * i, 24);
            if (BinaryPrimitives.ReadUInt32BigEndian(entry) != 0x57327275) continue; // W2ru
            int dataLength = (int)BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            long dataAt = (long)BinaryPrimitives.ReadUInt64BigEndian(entry[16..]);
            ranges.Add((dataAt, dataLength));
            string relative = Encoding.Unicode.GetString(ReadAt(f, dataAt, dataLength)).TrimEnd('\0');
            return ResolveRelative(path, relative);
        }
        throw new InvalidOperationException($"{path}: differencing VHD without a W2ru locator");
    }

    private static readonly Guid MetadataRegion = new("8B7CA206-4790-4B9A-B8FE-575F050F886E");
    private static readonly Guid ParentLocatorItem = new("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");

    /// <summary>
    /// VHDX: file type identifier signature, both headers, both region tables, the metadata table and the span of its
    /// items (MS-VHDX §2.2–§2.6). The BAT is paged lazily, so open reads none of it. Returns the parent path.
    /// </summary>
    private static string? Vhdx(string path, List<(long, int)> ranges)
    {
        using var f = File.OpenRead(path);
        ranges.Add((0, 8));
        ranges.Add((64 << 10, 4096));
        ranges.Add((128 << 10, 4096));
        ranges.Add((192 << 10, 64 << 10));
        ranges.Add((256 << 10, 64 << 10));
        var regions = ReadAt(f, 192 << 10, 64 << 10);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(regions.AsSpan(8));
        long metaOffset = -1;
        for (int i = 0; i < count; i++)
        {
            var e = regions.AsSpan(16 + 32 * i, 32);
            if (new Guid(e[..16]) == MetadataRegion) metaOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(e[16..]);
        }
        if (metaOffset < 0) throw new InvalidOperationException($"{path}: no metadata region");
        var table = ReadAt(f, metaOffset, 64 << 10);
        ranges.Add((metaOffset, 64 << 10));
        int items = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(10));
        long lo = long.MaxValue, hi = 0, locatorAt = -1;
        int locatorLength = 0;
        for (int i = 0; i < items; i++)
        {
            var e = table.AsSpan(32 + 32 * i, 32);
            uint off = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(e[20..]);
            if (len == 0) continue;
            lo = Math.Min(lo, off);
            hi = Math.Max(hi, off + len);
            if (new Guid(e[..16]) == ParentLocatorItem) { locatorAt = metaOffset + off; locatorLength = (int)len; }
        }
        if (hi > lo) ranges.Add((metaOffset + lo, (int)(hi - lo)));
        if (locatorAt < 0) return null;
        var locator = ReadAt(f, locatorAt, locatorLength);
        int keys = BinaryPrimitives.ReadUInt16LittleEndian(locator.AsSpan(18));
        for (int i = 0; i < keys; i++)
        {
            var e = locator.AsSpan(20 + 12 * i, 12);
            int ko = (int)BinaryPrimitives.ReadUInt32LittleEndian(e), vo = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
            int kl = BinaryPrimitives.ReadUInt16LittleEndian(e[8..]), vl = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]);
            if (Encoding.Unicode.GetString(locator, ko, kl) == "relative_path")
                return ResolveRelative(path, Encoding.Unicode.GetString(locator, vo, vl));
        }
        throw new InvalidOperationException($"{path}: differencing VHDX without a relative_path locator");
    }

    private static string ResolveRelative(string child, string stored)
    {
        string relative = stored.Replace('\\', '/');
        if (relative.StartsWith("./", StringComparison.Ordinal)) relative = relative[2..];
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(child)!, relative));
    }

    private static byte[] ReadAt(FileStream f, long offset, int length)
    {
        var buffer = new byte[length];
        f.Position = offset;
        f.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>Sorts and joins touching ranges (a minimal opener reads them in one call).</summary>
    private static (long, int)[] Merge(List<(long Offset, int Length)> ranges)
    {
        ranges.Sort();
        var merged = new List<(long Offset, int Length)>();
        foreach (var r in ranges)
        {
            if (merged.Count > 0 && merged[^1].Offset + merged[^1].Length >= r.Offset)
            {
                var last = merged[^1];
                long end = Math.Max(last.Offset + last.Length, r.Offset + r.Length);
                merged[^1] = (last.Offset, (int)(end - last.Offset));
            }
            else merged.Add(r);
        }
        return merged.Select(m => (m.Offset, m.Length)).ToArray();
    }
}
