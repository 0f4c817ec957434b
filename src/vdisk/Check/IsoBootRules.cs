using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;

namespace VirtualDiskManaged.Cli.Check;

/// <summary>
/// The iso profile's rules for installer media, from what the library's ISO 9660 reader reports: a bootable El
/// Torito entry for BIOS (platform 0, El Torito §2.1) and for UEFI (platform 0xEF, UEFI §13.3.2.1), a catalog
/// whose validation entry checks, boot images inside the image, and an implantisomd5 record that checkisomd5 would
/// pass. Each rule has a stable id and a fix hint (docs/filesystems-cli.md).
/// </summary>
internal static class IsoBootRules
{
    private const string Xorriso = "xorriso -as mkisofs -R -J -b boot/bios.img -no-emul-boot -boot-load-size 4 -boot-info-table "
        + "-eltorito-alt-boot -e boot/efi.img -no-emul-boot -o OUT.iso DIR";

    public static void Evaluate(VirtualDiskHandle handle, List<RuleViolation> rules)
    {
        Iso9660FileSystem? iso = null;
        try
        {
            iso = OpenIso(handle);
            if (iso is null) return;
            Boot(iso, rules);
            Md5(iso, rules);
        }
        catch (VirtualDiskException)
        {
            // A damaged catalog or tree is the deep check's finding, not a profile rule's.
        }
        finally
        {
            iso?.Dispose();
        }
    }

    private static Iso9660FileSystem? OpenIso(VirtualDiskHandle handle)
    {
        foreach (var ns in new[] { FileSystemNamespace.Auto, FileSystemNamespace.Iso9660 })
        {
            if (!FileSystem.TryOpen(handle, new FileSystemOpenOptions { Namespace = ns }, out var reader, out _)) continue;
            if (reader is Iso9660FileSystem iso) return iso;
            reader!.Dispose();
        }
        return null;
    }

    private static void Boot(Iso9660FileSystem iso, List<RuleViolation> rules)
    {
        var catalog = iso.BootCatalog;
        if (catalog is null) return; // iso.el-torito-missing says so already
        if (!catalog.ChecksumValid)
            rules.Add(new("iso.boot-catalog-checksum", true,
                $"The El Torito validation entry's checksum is wrong (catalog at sector {catalog.Sector}): firmware ignores the whole catalog.",
                "Rebuild the image (the catalog is written by the mastering tool): " + Xorriso));
        bool bios = catalog.Entries.Any(e => e.IsBootable && e.PlatformId == (byte)ElToritoPlatform.X86);
        bool uefi = catalog.Entries.Any(e => e.IsBootable && e.PlatformId == (byte)ElToritoPlatform.Efi);
        if (!bios)
            rules.Add(new("iso.bios-boot-missing", false,
                "No bootable El Torito entry for BIOS (platform 0x00): the image does not boot on BIOS or CSM machines.",
                "Add a BIOS boot image: " + Xorriso));
        if (!uefi)
            rules.Add(new("iso.uefi-boot-missing", false,
                "No bootable El Torito entry for UEFI (platform 0xEF): UEFI firmware will not boot the image from optical media.",
                "Add a FAT EFI system image holding EFI/BOOT/BOOTX64.EFI as an alternate entry: " + Xorriso));
        foreach (var e in catalog.Entries.Where(e => e.IsBootable))
        {
            long start = (long)e.LoadRba * 2048;
            long needed = Math.Max(e.ImageSize, (long)e.SectorCount * 512);
            if (e.LoadRba == 0 || start + needed > (long)iso.PrimaryVolumeDescriptor.VolumeSpaceSize * iso.LogicalBlockSize)
                rules.Add(new("iso.boot-image-outside", true,
                    $"Boot entry {e.Index} ({(ElToritoPlatform)e.PlatformId}) loads {needed:N0} bytes from sector {e.LoadRba}, outside the volume.",
                    "Rebuild the image so the boot image is a file of the tree: " + Xorriso));
        }
    }

    private static void Md5(Iso9660FileSystem iso, List<RuleViolation> rules)
    {
        if (iso.ImplantedMd5 is null)
        {
            rules.Add(new("iso.md5-missing", false,
                "No implanted MD5 (implantisomd5): installers cannot verify the medium (checkisomd5, rd.live.check).",
                "implantisomd5 OUT.iso (isomd5sum), after the last change to the image."));
            return;
        }
        var result = iso.VerifyImplantedMd5();
        if (result.Verdict == IsoMd5Verdict.Failed)
            rules.Add(new("iso.md5-mismatch", true,
                $"The implanted MD5 does not match the image{(result.FailedFragment is long f ? $" (fragment {f} differs)" : "")}: checkisomd5 would report FAIL; the image was changed after implantisomd5 or is damaged.",
                "Rebuild or re-download the image; if it was changed on purpose, run implantisomd5 --force OUT.iso again."));
    }
}
