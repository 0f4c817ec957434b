namespace VirtualDiskManaged.Create;

/// <summary>
/// Writes one new image into a <see cref="TargetFile"/>: the empty disk's structures first (<see cref="Begin"/>), then
/// any source data one copy unit at a time (<see cref="WriteData"/>, non-zero units only, in increasing order), then
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

    /// <summary>Bytes of virtual data handed to <see cref="WriteData"/> at once (a block for sparse layouts).</summary>
    public abstract int CopyUnit { get; }

    /// <summary>Bytes the caller keeps free in front of the data in the buffer given to <see cref="WriteData"/>.</summary>
    public virtual int BufferPrefix => 0;

    /// <summary>The host file's length the finished image will have (for preallocation of fixed disks).</summary>
    public abstract long FinalFileLength { get; }

    protected abstract void Begin();

    /// <summary>
    /// Stores <paramref name="length"/> bytes of virtual data at <paramref name="virtualOffset"/> (a multiple of
    /// <see cref="CopyUnit"/>). <paramref name="buffer"/> holds <see cref="BufferPrefix"/> free bytes, then the data.
    /// </summary>
    public abstract void WriteData(long virtualOffset, Span<byte> buffer, int length);

    public abstract void Finish();

    public static long Align(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
