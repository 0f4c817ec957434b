namespace VirtualDiskManaged.Create;

/// <summary>
/// Writes one new image into a <see cref="TargetFile"/>: the empty disk's structures first (<see cref="Begin"/>), then
/// any source data in pieces of at most one copy unit (<see cref="WriteData"/>, non-zero pieces only, in increasing order), then
/// the tables and trailing structures that depend on what was written (<see cref="Finish"/>).
/// </summary>
internal abstract class ImageWriter
{
    protected ImageWriter(CreatePlan plan) => Plan = plan;

    protected CreatePlan Plan { get; }

    protected TargetFile Target { get; private set; } = null!;

    /// <summary>Writes the empty disk's structures into <paramref name="target"/>.</summary>
    public void Start(TargetFile target)
    {
        Target = target;
        Begin();
    }

    /// <summary>
    /// The unit of allocation of a copy (a block for sparse layouts; 4 MiB for fixed ones): a piece given to
    /// <see cref="WriteData"/> never crosses a multiple of it, and a unit is allocated only when a piece of it is given.
    /// </summary>
    public abstract int CopyUnit { get; }

    /// <summary>The host file's length the finished image will have (for preallocation of fixed disks).</summary>
    public abstract long FinalFileLength { get; }

    protected abstract void Begin();

    /// <summary>
    /// Stores <paramref name="data"/> at <paramref name="virtualOffset"/> (a 512-byte multiple; the piece does not cross
    /// a multiple of <see cref="CopyUnit"/>). Pieces come in increasing order and only when they hold a non-zero byte;
    /// the bytes of an allocated unit that no piece covers are left unwritten: holes of the new file, which read as zeros.
    /// </summary>
    public abstract void WriteData(long virtualOffset, ReadOnlySpan<byte> data);

    public abstract void Finish();

    public static long Align(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
