namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// Opens one (possibly hostile) image with every format and a few access/flag combinations, reads a bounded part of
/// each disk that opens, queries every information version, and judges the outcome. Allowed: success, or the
/// library's own error (a <see cref="VirtualDiskException"/> or a non-zero VirtDisk code) carrying a contract code.
/// Anything else — another exception type, an unknown code, more allocation than <see cref="AllocationCap"/> — is a
/// finding. Hangs are judged by the caller (the runner's watchdog).
/// </summary>
internal sealed partial class Oracle
{
    /// <summary>Bytes read at the start and at the end of a disk by the main open.</summary>
    public const int EdgeBytes = 1024 * 1024;

    /// <summary>Bytes read at the edges by the other opens, and by each random range.</summary>
    public const int SmallRead = 64 * 1024;

    private static readonly GetVirtualDiskInfoVersion[] InfoVersions = Enum.GetValues<GetVirtualDiskInfoVersion>();

    private static readonly HashSet<uint> ContractCodes =
        Enum.GetValues<VirtualDiskError>().Select(e => (uint)e).Where(c => c != 0).ToHashSet();

    private readonly byte[] _buffer = new byte[EdgeBytes];

    /// <summary>The most a single open + read may allocate, whatever sizes the file claims.</summary>
    public long AllocationCap { get; init; } = 64L * 1024 * 1024;

    /// <summary>Opens that succeeded / failed with a contract code (statistics for the report).</summary>
    public long Successes { get; private set; }

    public long Failures { get; private set; }

    /// <summary>True for a code the contract lists (CONTRACT §2).</summary>
    public static bool IsContractCode(uint code) => ContractCodes.Contains(code);

    private delegate void Combo(Oracle oracle, string path, string sniffPath, ref Prng rng);

    private static readonly (string Name, Combo Run)[] Combos =
    [
        ("VirtDisk auto ATTACH_RO|GET_INFO", static (Oracle o, string p, string s, ref Prng r) => o.Win32(VirtualStorageType.Auto, p, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo, OpenVirtualDiskFlags.None, null, full: true, ref r)),
        ("VirtDisk auto by content (sniff)", static (Oracle o, string p, string s, ref Prng r) => o.Win32(VirtualStorageType.Auto, s, VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo, OpenVirtualDiskFlags.None, null, full: false, ref r)),
        ("explicit VHD", static (Oracle o, string p, string s, ref Prng r) => o.Managed(p, new() { StorageType = VirtualStorageType.Vhd }, ref r)),
        ("explicit VHDX", static (Oracle o, string p, string s, ref Prng r) => o.Managed(p, new() { StorageType = VirtualStorageType.Vhdx }, ref r)),
        ("explicit ISO", static (Oracle o, string p, string s, ref Prng r) => o.Managed(p, new() { StorageType = VirtualStorageType.Iso, Access = VirtualDiskAccessMask.AttachRO }, ref r)),
        ("auto V2 read-only NO_PARENTS", static (Oracle o, string p, string s, ref Prng r) => o.Win32(VirtualStorageType.Auto, s, VirtualDiskAccessMask.None, OpenVirtualDiskFlags.NoParents, OpenVirtualDiskParameters.V2(readOnly: true), full: false, ref r)),
        ("auto strict validation", static (Oracle o, string p, string s, ref Prng r) => o.Managed(p, VirtualDiskOpenOptions.ForValidation with { Strict = true }, ref r)),
    ];

    /// <summary>Time spent per combination (Stopwatch ticks), for the report.</summary>
    public long[] ComboTicks { get; } = new long[Math.Max(Combos.Length, FileSystemCombos.Length)];

    public static IReadOnlyList<string> ComboNames => Combos.Select(c => c.Name).ToArray();

    /// <summary>When set, each mutant goes through the ISO file-system walk (Oracle.FileSystem.cs) instead of the disk opens.</summary>
    public bool FileSystemWalk { get; init; }

    private (string Name, Combo Run)[] Active => FileSystemWalk ? FileSystemCombos : Combos;

    /// <summary>The names of the combinations this oracle runs.</summary>
    public IReadOnlyList<string> Names => Active.Select(c => c.Name).ToArray();

    /// <summary>Runs every combination on <paramref name="path"/>; returns null when every outcome is allowed, else what went wrong.</summary>
    public string? Check(string path, string sniffPath, ref Prng rng)
    {
        var combos = Active;
        for (int c = 0; c < combos.Length; c++)
        {
            var (name, run) = combos[c];
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            using var timing = new TickCounter(ComboTicks, c, started);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                run(this, path, sniffPath, ref rng);
            }
            catch (VirtualDiskException e) when (IsContractCode(e.ErrorCode) && Enum.IsDefined(e.Reason) && e.Reason != VirtualDiskErrorReason.None)
            {
                Failures++;
            }
            catch (Exception e)
            {
                return $"{name}: {e.GetType().FullName}: {e.Message}\n{e.StackTrace}";
            }
            long used = GC.GetAllocatedBytesForCurrentThread() - before;
            if (used > AllocationCap) return $"{name}: allocated {used:N0} bytes (cap {AllocationCap:N0})";
        }
        return null;
    }

    private readonly ref struct TickCounter(long[] ticks, int index, long started)
    {
        public void Dispose() => ticks[index] += System.Diagnostics.Stopwatch.GetTimestamp() - started;
    }

    private void Win32(VirtualStorageType type, string path, VirtualDiskAccessMask mask, OpenVirtualDiskFlags flags,
        OpenVirtualDiskParameters? parameters, bool full, ref Prng rng)
    {
        uint rc = VirtDisk.OpenVirtualDisk(type, path, mask, flags, parameters, out var handle);
        if (rc != 0)
        {
            if (handle is not null) throw new InvalidOperationException($"Code {rc} returned with a handle");
            if (!IsContractCode(rc)) throw new InvalidOperationException($"Code 0x{rc:X8} is not a contract code");
            Failures++;
            return;
        }
        if (handle is null) throw new InvalidOperationException("Success without a handle");
        using (handle)
        {
            Successes++;
            foreach (var v in InfoVersions)
            {
                uint irc = VirtDisk.GetVirtualDiskInformation(handle, v, out _);
                if (irc != 0 && !IsContractCode(irc)) throw new InvalidOperationException($"GetVirtualDiskInformation({v}) returned 0x{irc:X8}");
            }
            if (full) _ = handle.Info;
            if (handle.CanRead) ReadBounded(handle, full, ref rng);
        }
    }

    private void Managed(string path, VirtualDiskOpenOptions options, ref Prng rng)
    {
        if (!VirtualDisk.TryOpen(path, options, out var handle, out VirtualDiskDiagnostic? failure))
        {
            if (!IsContractCode(failure.ErrorCode)) throw new InvalidOperationException($"Code 0x{failure.ErrorCode:X8} is not a contract code");
            Failures++;
            return;
        }
        using (handle)
        {
            Successes++;
            _ = handle.Info;
            if (handle.CanRead) ReadBounded(handle, full: false, ref rng);
        }
    }

    /// <summary>Reads the first and last bytes of the disk and a few random ranges (bounded whatever the virtual size).</summary>
    private void ReadBounded(VirtualDiskHandle handle, bool full, ref Prng rng)
    {
        long size = handle.VirtualSize;
        if (size < 0) throw new InvalidOperationException($"Negative virtual size {size}");
        int edge = full ? EdgeBytes : SmallRead;
        var buf = _buffer.AsSpan(0, (int)Math.Min(edge, size));
        ReadExactly(handle, 0, buf);
        if (size > edge) ReadExactly(handle, size - edge, _buffer.AsSpan(0, edge));
        int ranges = full ? 3 : 1;
        for (int i = 0; i < ranges && size > 0; i++)
        {
            long at = rng.NextLong(size);
            int n = (int)Math.Min(SmallRead, size - at);
            ReadExactly(handle, at, _buffer.AsSpan(0, n));
        }
        // Reading at or beyond the end returns 0.
        if (handle.Read(size, _buffer.AsSpan(0, 1)) != 0) throw new InvalidOperationException("Read at the end returned data");
    }

    private static void ReadExactly(VirtualDiskHandle handle, long offset, Span<byte> buffer)
    {
        int n = handle.Read(offset, buffer);
        if (n != buffer.Length) throw new InvalidOperationException($"Read of {buffer.Length} bytes at {offset} inside the disk returned {n}");
    }
}
