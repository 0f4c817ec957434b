using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>El Torito boot catalogs, isohybrid and the embedded MD5: range 1100–1199.</summary>
    private static readonly Row[] ElToritoRows =
    [
        new(R.ElToritoCatalogOutsideVolume, E.FileCorrupt, F, "The El Torito boot catalog lies outside the volume."),
        new(R.ElToritoValidationEntryInvalid, E.FileCorrupt, F, "The El Torito validation entry is not valid (header ID 1 and key bytes 55 AA)."),
        new(R.ElToritoChecksumMismatch, E.FileCorrupt, F, "The El Torito validation entry's checksum words do not sum to zero."),
        new(R.ElToritoEntryInvalid, E.FileCorrupt, F, "An El Torito catalog entry has an invalid boot indicator, media type or header ID."),
        new(R.ElToritoImageOutsideVolume, E.FileCorrupt, F, "An El Torito boot image lies outside the volume or past the end of the image."),
        new(R.ElToritoCatalogTooLarge, E.FileCorrupt, F, "The El Torito boot catalog has more entries than the reader's cap."),
        new(R.ElToritoNoCatalog, E.FileNotFound, F, "The image has no El Torito boot catalog."),
        new(R.IsoMd5Mismatch, E.FileCorrupt, F, "The MD5 that implantisomd5 recorded does not match the image (checkisomd5 would report FAIL)."),
        new(R.IsoMd5FragmentMismatch, E.FileCorrupt, F, "A fragment checksum that implantisomd5 recorded does not match the image."),
        new(R.IsoMd5RecordInvalid, E.FileCorrupt, F, "The implantisomd5 record in the application use area cannot be parsed."),
    ];
}
