namespace VirtualDiskManaged.FileSystems.Udf;

public sealed partial class UdfFileSystem
{
    /// <inheritdoc />
    public override IReadOnlyList<VirtualDiskDiagnostic> Verify(CancellationToken cancellationToken = default) =>
        throw new VirtualDiskException(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemNotFound, _volume.Source.Name, "UDF Verify: not yet"));
}
