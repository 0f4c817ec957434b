using VirtualDiskManaged.Host;
using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged.IO;

/// <summary>Makes the writer of the top layer of a writable handle (docs/write.md).</summary>
internal static class LayerWriters
{
    public static VirtualDiskDiagnostic? TryCreate(DiskLayer layer, HostFile file, out LayerWriter? writer)
    {
        writer = null;
        if (!file.Writable) return new(VirtualDiskErrorReason.HandleNotWritable, file.Path, "The file was opened read-only");
        return layer switch
        {
            VhdLayer vhd => VhdBlockAllocator.TryCreate(vhd, file, out writer),
            VhdxLayer vhdx => VhdxBlockAllocator.TryCreate(vhdx, file, out writer),
            _ => new(VirtualDiskErrorReason.HandleNotWritable, file.Path, "This format is read-only"),
        };
    }
}
