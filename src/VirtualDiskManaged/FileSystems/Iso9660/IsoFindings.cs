namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// Collects the deep check's findings (docs/iso9660.md "Findings"). Readers given none tolerate what they can
/// and throw only for what stops a read; given one, they report every problem here. Capped: a hostile image
/// cannot grow the list without bound.
/// </summary>
internal sealed class IsoFindings(string? filePath)
{
    /// <summary>At most this many findings are kept (the count of the rest is reported once).</summary>
    public const int Cap = 1000;

    private readonly List<VirtualDiskDiagnostic> _items = [];
    private readonly HashSet<(VirtualDiskErrorReason, long?, string?)> _seen = [];
    private int _dropped;

    public IReadOnlyList<VirtualDiskDiagnostic> Items
    {
        get
        {
            lock (_items)
            {
                if (_dropped == 0) return _items.ToArray();
                return [.. _items, new VirtualDiskDiagnostic(_items[^1].Reason, filePath, $"{_dropped} more finding(s) not listed (cap {Cap})")];
            }
        }
    }

    public int Count { get { lock (_items) return _items.Count; } }

    public void Report(VirtualDiskErrorReason reason, string? detail, long? offset, string? entryPath)
    {
        lock (_items)
        {
            if (!_seen.Add((reason, offset, entryPath))) return;
            if (_items.Count >= Cap) { _dropped++; return; }
            _items.Add(new VirtualDiskDiagnostic(reason, filePath, detail, offset, entryPath: entryPath));
        }
    }

    public void Report(VirtualDiskDiagnostic d) => Report(d.Reason, d.Detail, d.Offset, d.EntryPath);

    /// <summary>Moves what this (scratch) list holds into <paramref name="target"/> under <paramref name="entryPath"/>, then empties it.</summary>
    public void MoveTo(IsoFindings target, string entryPath)
    {
        lock (_items)
        {
            foreach (var d in _items) target.Report(d.Reason, d.Detail, d.Offset, entryPath);
            _items.Clear();
            _seen.Clear();
            _dropped = 0;
        }
    }
}

/// <summary>The volume a tree is read from: its bytes, block size and bounds (ECMA-119 §6.2, §8.4.8).</summary>
internal sealed class IsoVolume
{
    public required VolumeSource Source { get; init; }
    public string? Name => Source.Name;

    /// <summary>The logical block size (ECMA-119 §6.2.2: a power of two, 512 … 2048).</summary>
    public required int BlockSize { get; init; }

    /// <summary>The first block past the volume (session start + Volume Space Size).</summary>
    public required long EndBlock { get; init; }

    public long ImageLength => Source.Length;

    public long EndByte => EndBlock * BlockSize;

    /// <summary>SUSP: the LEN_SKP bytes to skip in every System Use area but the root's "." (IEEE P1281 §5.3).</summary>
    public int SuspSkip { get; set; }

    /// <summary>Reads exactly, or throws <see cref="VirtualDiskErrorReason.FileSystemReadFailed"/>.</summary>
    public void ReadExactly(long offset, Span<byte> buffer, string? entryPath)
    {
        if (!Source.TryReadExactlyAt(offset, buffer))
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemReadFailed, Name,
                $"{buffer.Length} bytes at {offset}; the image has {ImageLength}", offset, entryPath: entryPath));
    }

    /// <summary>True when [lba, lba + bytes) lies inside the volume (64-bit arithmetic, no overflow).</summary>
    public bool InVolume(long lba, long bytes) => lba >= 0 && lba <= EndBlock && bytes <= (EndBlock - lba) * BlockSize;

    public bool InImage(long offset, long bytes) => offset >= 0 && offset <= ImageLength && bytes <= ImageLength - offset;
}
