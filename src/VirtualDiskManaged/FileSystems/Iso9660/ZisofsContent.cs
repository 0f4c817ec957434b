using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// A zisofs file (libisofs doc/zisofs_format.txt; the RRIP "ZF" entry): a 16-byte header (magic, uncompressed
/// size, header size / 4, log2 block size), n + 1 little-endian block pointers, then one zlib stream per block;
/// an empty block reads as zeros. Decompressed on demand with System.IO.Compression.ZLibStream into a cache of
/// <see cref="CachedBlocks"/> blocks (at most 2 × 128 KiB per stream, whatever the file says).
/// </summary>
internal sealed class ZisofsContent : IsoFileContent
{
    public const int HeaderLength = 16;
    public const int CachedBlocks = 2;
    private const int MagicOffset = 0, SizeOffset = 8, HeaderSizeOffset = 12, BlockLog2Offset = 13;
    private static ReadOnlySpan<byte> Magic => [0x37, 0xE4, 0x53, 0x96, 0xC9, 0xDB, 0xD6, 0x07];

    private readonly IsoFileContent _raw;
    private readonly long _size;
    private readonly int _blockSize;
    private readonly long _blocks;
    private readonly long _tableOffset;
    private readonly string? _entryPath;
    private readonly long _recordOffset;
    private readonly string? _file;
    private readonly Lock _gate = new();
    private readonly long[] _cachedIndex = [-1, -1];
    private readonly byte[]?[] _cached = new byte[CachedBlocks][];
    private int _nextSlot;

    private ZisofsContent(IsoFileContent raw, long size, int blockSize, long tableOffset, string? file, string? entryPath, long recordOffset)
    {
        _raw = raw;
        _size = size;
        _blockSize = blockSize;
        _blocks = (size + blockSize - 1) / blockSize;
        _tableOffset = tableOffset;
        _file = file;
        _entryPath = entryPath;
        _recordOffset = recordOffset;
    }

    public override long Length => _size;

    /// <summary>The most compressed bytes a block may take (zlib deflateBound for the block size, plus the zlib wrapper).</summary>
    public static long DeflateBound(int blockSize) => blockSize + (blockSize >> 12) + (blockSize >> 14) + (blockSize >> 25) + 13 + 6;

    /// <summary>
    /// Checks the ZF entry and the file's header against each other (as libarchive does: algorithm "pz", header
    /// size 4, log2 15–17, equal fields) and that the pointer table fits the file; returns the failure or null.
    /// </summary>
    public static VirtualDiskDiagnostic? TryOpen(IsoFileContent raw, ZisofsInfo zf, string? file, string? entryPath, long recordOffset, out ZisofsContent? content)
    {
        content = null;
        VirtualDiskDiagnostic Fail(VirtualDiskErrorReason r, string detail, long? at = null) => new(r, file, detail, at ?? zf.EntryOffset, entryPath: entryPath);
        if (zf.Version != 1 || zf.Algorithm != "pz")
            return Fail(VirtualDiskErrorReason.IsoZisofsNotSupported, $"ZF version {zf.Version}, algorithm '{zf.Algorithm}'");
        if (zf.BlockSizeLog2 is < 15 or > 17)
            return Fail(VirtualDiskErrorReason.IsoZisofsBlockSizeInvalid, $"log2(block size) {zf.BlockSizeLog2}");
        if (zf.HeaderSizeDiv4 != HeaderLength / 4)
            return Fail(VirtualDiskErrorReason.IsoZisofsHeaderInvalid, $"ZF header size {zf.HeaderSizeDiv4 * 4}, not {HeaderLength}");
        Span<byte> h = stackalloc byte[HeaderLength];
        if (raw.Length < HeaderLength || raw.ReadAt(0, h) != HeaderLength)
            return Fail(VirtualDiskErrorReason.IsoZisofsHeaderInvalid, $"The file holds {raw.Length} bytes, less than the {HeaderLength}-byte header");
        if (!h.Slice(MagicOffset, 8).SequenceEqual(Magic))
            return Fail(VirtualDiskErrorReason.IsoZisofsHeaderInvalid, "The header magic is not 37 E4 53 96 C9 DB D6 07");
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(h.Slice(SizeOffset, 4));
        if (size != zf.UncompressedSize || h[HeaderSizeOffset] != zf.HeaderSizeDiv4 || h[BlockLog2Offset] != zf.BlockSizeLog2)
            return Fail(VirtualDiskErrorReason.IsoZisofsHeaderInvalid,
                $"Header (size {size}, header {h[HeaderSizeOffset] * 4}, log2 {h[BlockLog2Offset]}) differs from ZF (size {zf.UncompressedSize}, header {zf.HeaderSizeDiv4 * 4}, log2 {zf.BlockSizeLog2})");
        int blockSize = 1 << zf.BlockSizeLog2;
        long blocks = ((long)size + blockSize - 1) / blockSize;
        long tableEnd = HeaderLength + 4 * (blocks + 1); // 64-bit: no wrap whatever the size
        if (tableEnd > raw.Length)
            return Fail(VirtualDiskErrorReason.IsoZisofsPointerOutOfRange, $"{blocks + 1} block pointers end at byte {tableEnd}; the file holds {raw.Length}");
        content = new ZisofsContent(raw, size, blockSize, HeaderLength, file, entryPath, recordOffset);
        return null;
    }

    /// <summary>Block <paramref name="index"/>'s compressed range, checked (pointers inside the file, not backwards, ≤ deflateBound).</summary>
    public (long Start, long End) BlockRange(long index)
    {
        Span<byte> p = stackalloc byte[8];
        if (_raw.ReadAt(_tableOffset + 4 * index, p) != 8) Throw(VirtualDiskErrorReason.IsoZisofsPointerOutOfRange, $"Block pointer {index} lies past the file");
        long start = BinaryPrimitives.ReadUInt32LittleEndian(p), end = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        long tableEnd = _tableOffset + 4 * (_blocks + 1);
        if (start < tableEnd || end < start || end > _raw.Length || end - start > DeflateBound(_blockSize))
            Throw(VirtualDiskErrorReason.IsoZisofsPointerOutOfRange,
                $"Block {index}: pointers {start}…{end}; the table ends at {tableEnd}, the file at {_raw.Length}, a block takes at most {DeflateBound(_blockSize)} bytes");
        return (start, end);
    }

    /// <summary>Number of blocks (the deep check walks every pointer).</summary>
    public long BlockCount => _blocks;

    public override int ReadAt(long position, Span<byte> buffer)
    {
        if (position < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(position));
        if (position >= _size || buffer.IsEmpty) return 0;
        if (buffer.Length > _size - position) buffer = buffer[..(int)(_size - position)];
        int done = 0;
        while (done < buffer.Length)
        {
            long at = position + done;
            long index = at / _blockSize;
            int inBlock = (int)(at - index * _blockSize);
            int n;
            lock (_gate)
            {
                var block = Block(index);
                n = Math.Min(buffer.Length - done, block.Length - inBlock);
                block.AsSpan(inBlock, n).CopyTo(buffer[done..]);
            }
            done += n;
        }
        return done;
    }

    private byte[] Block(long index)
    {
        for (int i = 0; i < CachedBlocks; i++)
            if (_cachedIndex[i] == index) return _cached[i]!;
        int length = (int)Math.Min(_blockSize, _size - index * _blockSize);
        int slot = _nextSlot;
        _nextSlot = (_nextSlot + 1) % CachedBlocks;
        var data = _cached[slot] is { } old && old.Length == length ? old : new byte[length];
        _cachedIndex[slot] = -1;
        var (start, end) = BlockRange(index);
        if (end == start) data.AsSpan().Clear(); // an empty block is all zeros
        else Inflate(index, start, (int)(end - start), data);
        _cached[slot] = data;
        _cachedIndex[slot] = index;
        return data;
    }

    private void Inflate(long index, long start, int compressed, byte[] output)
    {
        byte[] input = ArrayPool<byte>.Shared.Rent(compressed);
        try
        {
            if (_raw.ReadAt(start, input.AsSpan(0, compressed)) != compressed)
                Throw(VirtualDiskErrorReason.IsoZisofsPointerOutOfRange, $"Block {index} lies past the file");
            int got = 0;
            try
            {
                using var z = new ZLibStream(new MemoryStream(input, 0, compressed, writable: false), CompressionMode.Decompress);
                while (got < output.Length)
                {
                    int n = z.Read(output, got, output.Length - got);
                    if (n == 0) break;
                    got += n;
                }
            }
            catch (InvalidDataException e)
            {
                Throw(VirtualDiskErrorReason.IsoZisofsBlockCorrupt, $"Block {index}: {e.Message}");
            }
            if (got != output.Length) Throw(VirtualDiskErrorReason.IsoZisofsBlockCorrupt, $"Block {index} decompressed to {got} bytes, not {output.Length}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private void Throw(VirtualDiskErrorReason reason, string detail) =>
        ThrowHelper.Throw(new VirtualDiskDiagnostic(reason, _file, detail, _recordOffset, entryPath: _entryPath));
}
