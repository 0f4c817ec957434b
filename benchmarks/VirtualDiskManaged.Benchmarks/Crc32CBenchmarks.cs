using System.Numerics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>CRC-32C throughput of the library against a plain loop of one <see cref="BitOperations.Crc32C(uint, ulong)"/> per 8 bytes.</summary>
[MemoryDiagnoser]
public class Crc32CBenchmarks
{
    private byte[] _data = [];

    /// <summary>4 KiB (a VHDX header), 64 KiB (a region table, a log sector run), 1 MiB.</summary>
    [Params(4096, 65536, 1 << 20)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Length];
        new Random(7).NextBytes(_data);
        if (PlainLoop() != Library())
            throw new InvalidOperationException("The library's CRC-32C differs from the plain loop");
    }

    [Benchmark(Baseline = true)]
    public uint PlainLoop() => PlainCrc32C(_data);

    [Benchmark]
    public uint Library() => Parsers.Crc32C(_data);

    /// <summary>CRC-32C (init and final XOR 0xFFFFFFFF), one dependent 8-byte step at a time.</summary>
    internal static uint PlainCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong w in words) crc = BitOperations.Crc32C(crc, w);
        foreach (byte b in data[(words.Length * 8)..]) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
