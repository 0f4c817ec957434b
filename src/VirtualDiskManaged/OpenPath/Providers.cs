using VirtualDiskManaged.IO;
using VirtualDiskManaged.Iso;
using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged.OpenPath;

/// <summary>Dispatch from a device id to its format provider.</summary>
internal static class Providers
{
    public static VirtualDiskDiagnostic? Open(uint deviceId, OpenContext context, out DiskLayer? layer) => deviceId switch
    {
        VirtualStorageDeviceId.Iso => IsoProvider.Open(context.File, out layer),
        VirtualStorageDeviceId.Vhd => VhdProvider.Open(context, out layer),
        VirtualStorageDeviceId.Vhdx => VhdxProvider.Open(context, out layer),
        _ => Fail(out layer, context),
    };

    private static VirtualDiskDiagnostic Fail(out DiskLayer? layer, OpenContext context)
    {
        layer = null;
        return new(VirtualDiskErrorReason.FormatNotRecognized, context.File.Path);
    }
}
