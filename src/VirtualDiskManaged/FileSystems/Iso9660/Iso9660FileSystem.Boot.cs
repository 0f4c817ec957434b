namespace VirtualDiskManaged.FileSystems.Iso9660;

public sealed partial class Iso9660FileSystem
{
    private void VerifyBoot(IsoFindings findings, CancellationToken ct) { }

    private void VerifyPathTables(IsoTreeKind kind, List<(long Block, long Parent, string Name)> directories, IsoFindings findings, CancellationToken ct) { }
}
