using VirtualDiskManaged.IO;
using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged.Vhdx;

/// <summary>Opens VHDX images (CONTRACT §8–§9, formats.md §B, §D.2). Placeholder until the VHDX provider lands.</summary>
internal static class VhdxProvider
{
    public static VirtualDiskDiagnostic? Open(OpenContext context, out DiskLayer? layer)
    {
        layer = null;
        return new(VirtualDiskErrorReason.VhdxFileIdentifierMissing, context.File.Path, "VHDX provider not implemented yet");
    }
}
