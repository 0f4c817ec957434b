using VirtualDiskManaged.IO;
using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged.Vhd;

/// <summary>Opens VHD images (CONTRACT §8, formats.md §A, §D.1). Placeholder until the VHD provider lands.</summary>
internal static class VhdProvider
{
    public static VirtualDiskDiagnostic? Open(OpenContext context, out DiskLayer? layer)
    {
        layer = null;
        return new(VirtualDiskErrorReason.VhdFooterMissing, context.File.Path, "VHD provider not implemented yet");
    }
}
