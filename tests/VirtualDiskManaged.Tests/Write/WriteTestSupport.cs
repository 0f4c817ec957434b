using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Vhdx;

namespace VirtualDiskManaged.Tests.Write;

/// <summary>The six kinds of writable image the write tests cover.</summary>
public enum WriteKind { VhdFixed, VhdDynamic, VhdDifferencing, VhdxFixed, VhdxDynamic, VhdxDifferencing }

/// <summary>
/// Images for the write tests. Fixed and dynamic ones are made by qemu-img when it is installed (an independent tool;
/// VHDX with block_state_zero=off so "fixed" is truly FULLY_PRESENT), else by the test writers; differencing ones by the
/// test writers (qemu-img cannot make differencing VHD or VHDX). A differencing image's parent holds
/// <see cref="Pattern"/> sectors of write id <see cref="ParentId"/> in its first blocks.
/// </summary>
internal static class WriteImages
{
    public const uint ParentId = 0xFFFF_FFF0;
    public const long MiB = 1 << 20;

    public static bool IsVhdx(WriteKind k) => k >= WriteKind.VhdxFixed;
    public static bool IsDifferencing(WriteKind k) => k is WriteKind.VhdDifferencing or WriteKind.VhdxDifferencing;

    /// <summary>Creates an image of <paramref name="kind"/> in <paramref name="folder"/>; returns its path and the virtual bytes it starts with.</summary>
    public static (string Path, byte[] Initial) Create(WriteKind kind, string folder, long size, bool preferQemu = true)
    {
        string ext = IsVhdx(kind) ? ".vhdx" : ".vhd";
        string path = System.IO.Path.Combine(folder, "disk" + ext);
        byte[] initial = new byte[size];
        bool qemu = preferQemu && TestPaths.HasTool("qemu-img");
        switch (kind)
        {
            case WriteKind.VhdFixed when qemu:
                Qemu("create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on", path, size.ToString());
                break;
            case WriteKind.VhdFixed:
                VhdWriter.NewFixed(size).Save(path);
                break;
            case WriteKind.VhdDynamic:
                VhdWriter.NewDynamic(size, 512 * 1024).Save(path);
                break;
            case WriteKind.VhdxFixed when qemu:
                Qemu("create", "-q", "-f", "vhdx", "-o", "subformat=fixed,block_state_zero=off,block_size=1M", path, size.ToString());
                break;
            case WriteKind.VhdxFixed:
                new VhdxWriter(size) { Fixed = true }.Save(path);
                break;
            case WriteKind.VhdxDynamic when qemu:
                Qemu("create", "-q", "-f", "vhdx", "-o", "subformat=dynamic,block_size=1M", path, size.ToString());
                break;
            case WriteKind.VhdxDynamic:
                new VhdxWriter(size).Save(path);
                break;
            case WriteKind.VhdDifferencing:
            {
                var parent = VhdWriter.NewDynamic(size, 512 * 1024);
                FillParent(initial, (o, d) => parent.Write(o, d));
                parent.Save(System.IO.Path.Combine(folder, "parent.vhd"));
                VhdWriter.NewDifferencing(parent, 512 * 1024).Locator(VhdWriter.W2ru, ".\\parent.vhd").Save(path);
                break;
            }
            case WriteKind.VhdxDifferencing:
            {
                var parent = new VhdxWriter(size);
                FillParent(initial, (o, d) => parent.Write(o, d));
                parent.Save(System.IO.Path.Combine(folder, "parent.vhdx"));
                new VhdxWriter(size) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "parent.vhdx") }.Save(path);
                break;
            }
        }
        return (path, initial);
    }

    /// <summary>The parent's content: pattern sectors in the first 3 MiB and at 5 MiB (whole blocks and parts of blocks).</summary>
    private static void FillParent(byte[] initial, Action<long, byte[]> write)
    {
        foreach (var (offset, length) in new[] { (0L, 3 * MiB), (5 * MiB + 8192, 64 * 1024) })
        {
            if (offset + length > initial.Length) continue;
            var data = new byte[length];
            for (long s = 0; s < length / 512; s++) Pattern(ParentId, offset / 512 + s, data.AsSpan((int)(s * 512), 512));
            write(offset, data);
            data.CopyTo(initial, offset);
        }
    }

    /// <summary>A sector's bytes that name the write (id) and the sector (lba) it belongs to; the rest follows from both.</summary>
    public static void Pattern(uint id, long lba, Span<byte> sector)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(sector, id);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[4..], (uint)lba);
        uint x = id * 2654435761u ^ (uint)lba * 40503u ^ 0x9E3779B9u;
        for (int i = 8; i < 512; i += 4)
        {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            BinaryPrimitives.WriteUInt32LittleEndian(sector[i..], x);
        }
    }

    /// <summary>The write id a sector holds: its pattern's id when the whole sector matches it, 0 for zeros, else null (garbage).</summary>
    public static uint? Identify(ReadOnlySpan<byte> sector, long lba)
    {
        if (!sector.ContainsAnyExcept((byte)0)) return 0;
        uint id = BinaryPrimitives.ReadUInt32LittleEndian(sector);
        Span<byte> expected = stackalloc byte[512];
        Pattern(id, lba, expected);
        return sector.SequenceEqual(expected) ? id : null;
    }

    public static string Qemu(params string[] args)
    {
        var (code, output) = VhdxTestSupport.Run("qemu-img", args);
        if (code != 0) throw new InvalidOperationException($"qemu-img {string.Join(' ', args)}: {output}");
        return output;
    }

    public static VirtualDiskOpenOptions ReadWrite => new() { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo };
}

/// <summary>
/// The fault-injecting backing store: passes every operation to the real file (so the handle keeps working) and
/// journals it. <see cref="Crash"/> then builds the file a machine crash at a cut could leave: everything issued before
/// the last flush completed before the cut has landed; of the writes and length changes issued since, any subset has
/// landed, each write possibly torn into its 512-byte file sectors (writes between two flushes may reach the disk in
/// any order, which for the final bytes is the same as landing a subset in issue order).
/// </summary>
internal sealed class FaultInjectingStore(IBackingStore inner) : IBackingStore
{
    public abstract record Op;
    public sealed record WriteOp(long Offset, byte[] Data) : Op;
    public sealed record LengthOp(long Length) : Op;
    public sealed record FlushOp : Op;

    private readonly List<Op> _ops = [];
    private readonly object _lock = new();

    public IReadOnlyList<Op> Ops { get { lock (_lock) return _ops.ToArray(); } }
    public int Count { get { lock (_lock) return _ops.Count; } }

    public string Path => inner.Path;
    public long Length => inner.Length;
    public int ReadAt(long offset, Span<byte> buffer) => inner.ReadAt(offset, buffer);

    public void WriteAt(long offset, ReadOnlySpan<byte> data)
    {
        lock (_lock) _ops.Add(new WriteOp(offset, data.ToArray()));
        inner.WriteAt(offset, data);
    }

    public void SetLength(long length)
    {
        lock (_lock) _ops.Add(new LengthOp(length));
        inner.SetLength(length);
    }

    public void Flush()
    {
        inner.Flush();
        lock (_lock) _ops.Add(new FlushOp()); // recorded when it completed
    }

    /// <summary>The file after a crash just before op <paramref name="cut"/> (ops 0..cut-1 issued), for the original bytes <paramref name="original"/>.</summary>
    public static byte[] Crash(byte[] original, IReadOnlyList<Op> ops, int cut, Random random, double landing = 0.5, double tearing = 0.3)
    {
        int lastFlush = -1;
        for (int i = 0; i < cut; i++) if (ops[i] is FlushOp) lastFlush = i;
        var file = new MemoryFile(original);
        for (int i = 0; i < cut; i++)
        {
            bool durable = i < lastFlush;
            switch (ops[i])
            {
                case WriteOp w when durable:
                    file.Write(w.Offset, w.Data);
                    break;
                case WriteOp w:
                    if (random.NextDouble() >= landing) break;
                    if (random.NextDouble() >= tearing) { file.Write(w.Offset, w.Data); break; }
                    // Torn: each 512-byte file sector of the write lands or not.
                    for (long at = w.Offset; at < w.Offset + w.Data.Length;)
                    {
                        long next = Math.Min(w.Offset + w.Data.Length, (at / 512 + 1) * 512);
                        if (random.Next(2) == 0) file.Write(at, w.Data.AsSpan((int)(at - w.Offset), (int)(next - at)));
                        at = next;
                    }
                    break;
                case LengthOp l when durable || random.NextDouble() < landing:
                    file.SetLength(l.Length);
                    break;
            }
        }
        return file.ToArray();
    }

    /// <summary>The file when the process dies just before op <paramref name="cut"/> with the page cache intact: a prefix of the calls.</summary>
    public static byte[] Prefix(byte[] original, IReadOnlyList<Op> ops, int cut)
    {
        var file = new MemoryFile(original);
        for (int i = 0; i < cut; i++)
        {
            if (ops[i] is WriteOp w) file.Write(w.Offset, w.Data);
            else if (ops[i] is LengthOp l) file.SetLength(l.Length);
        }
        return file.ToArray();
    }

    private sealed class MemoryFile(byte[] original)
    {
        private byte[] _bytes = (byte[])original.Clone();
        private long _length = original.Length;

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            Ensure(offset + data.Length);
            data.CopyTo(_bytes.AsSpan((int)offset));
            _length = Math.Max(_length, offset + data.Length);
        }

        public void SetLength(long length)
        {
            Ensure(length);
            if (length < _length) _bytes.AsSpan((int)length, (int)(_length - length)).Clear();
            _length = length;
        }

        private void Ensure(long length)
        {
            if (length <= _bytes.Length) return;
            Array.Resize(ref _bytes, (int)Math.Max(length, _bytes.Length * 2L));
        }

        public byte[] ToArray() => _bytes.AsSpan(0, (int)_length).ToArray();
    }
}
