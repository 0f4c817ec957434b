namespace VirtualDiskManaged.Cli.Check;

/// <summary>
/// Target-platform rules applied on top of the open. They use only what the library's public API reports
/// (the handle's info and warnings, or the open's failure); each broken rule has a stable id and a fix hint.
/// </summary>
internal static class Profiles
{
    public static readonly string[] Names = ["azure", "hyperv-gen2", "iso"];

    private const long MiB = 1L << 20;
    private const int VhdFooterLength = 512;

    /// <summary>Azure managed-disk upload bounds (file length, footer included): 20 MiB + 512 to 32 TiB + 512 (docs/decisions.md, "Azure profile bounds").</summary>
    public const long AzureMinFileLength = 20 * MiB + VhdFooterLength, AzureMaxFileLength = (32L << 40) + VhdFooterLength;

    private const string AzureConvert = "qemu-img convert -O vpc -o subformat=fixed,force_size=on IN OUT.vhd (Hyper-V: Convert-VHD -VHDType Fixed)";

    /// <summary>Rules for an image that opened.</summary>
    public static void Evaluate(string profile, VirtualDiskHandle handle, CheckResult result)
    {
        switch (profile)
        {
            case "azure": Azure(handle, result.Rules); break;
            case "hyperv-gen2": HyperVGen2(handle, result.Rules); break;
            case "iso": Iso(handle, result.Rules); break;
        }
    }

    /// <summary>Rules that an open failure already answers (the footer the profile requires is missing or bad).</summary>
    public static void EvaluateFailure(string profile, VirtualDiskDiagnostic failure, CheckResult result)
    {
        if (profile != "azure") return;
        var code = failure.Root.Code;
        if (code == VirtualDiskError.VhdDriveFooterChecksumMismatch)
            result.Rules.Add(new("azure.footer-checksum", true, "The VHD footer's checksum is wrong.", "Re-create the footer: " + AzureConvert));
        else if (code == VirtualDiskError.VhdDriveFooterMissing)
            result.Rules.Add(new("azure.footer-cookie", true, "No 'conectix' VHD footer at the end of the file.", "Azure needs a fixed VHD: " + AzureConvert));
    }

    private static void Azure(VirtualDiskHandle handle, List<RuleViolation> rules)
    {
        var top = handle.Info.Top;
        bool fixedVhd = handle.Format == VirtualDiskFormat.Vhd && handle.Subtype == VirtualDiskProviderSubtype.Fixed;
        if (!fixedVhd)
            rules.Add(new("azure.fixed-vhd-required", true,
                $"Azure accepts only fixed VHD; this is {Text.FormatName(handle.Format)}{(handle.Format == VirtualDiskFormat.Iso ? "" : " " + Text.SubtypeName(handle.Subtype))}.",
                "Convert it: " + AzureConvert));

        // The size is CurrentSize (the footer's), never the CHS geometry.
        long size = handle.VirtualSize;
        if (size % MiB != 0)
            rules.Add(new("azure.size-mib-multiple", true,
                $"The virtual size {size:N0} bytes is not a whole number of MiB ({size / (double)MiB:0.###} MiB).",
                $"Resize to {(size + MiB - 1) / MiB} MiB (e.g. qemu-img resize -f raw disk.raw {(size + MiB - 1) / MiB}M) and convert with force_size=on: {AzureConvert}"));

        long fileLength = fixedVhd ? top.FileSize : size + VhdFooterLength;
        if (fixedVhd && top.FileSize != size + VhdFooterLength)
            rules.Add(new("azure.file-length", true,
                $"The file is {top.FileSize:N0} bytes; Azure needs exactly the virtual size + 512 = {size + VhdFooterLength:N0}.",
                "Re-create the file so nothing follows the footer: " + AzureConvert));

        if (fileLength < AzureMinFileLength || fileLength > AzureMaxFileLength)
            rules.Add(new("azure.size-range", true,
                $"The upload size {fileLength:N0} bytes is outside Azure's range {AzureMinFileLength:N0} (20 MiB + 512) to {AzureMaxFileLength:N0} (32 TiB + 512).",
                "Resize the disk to between 20 MiB and 32 TiB, then convert: " + AzureConvert));

        foreach (var w in handle.Warnings)
        {
            if (w.Reason is VirtualDiskErrorReason.VhdFooterCopyUsed or VirtualDiskErrorReason.VhdFooterCopiesDiffer)
            {
                rules.Add(new("azure.footer-checksum", true,
                    "The trailing VHD footer is bad or differs from its copy (" + w.Reason + ").",
                    "Re-create the footer: " + AzureConvert));
                break;
            }
        }

        if (top.Geometry is DiskGeometry g && g.Capacity != size)
            rules.Add(new("azure.geometry-mismatch", false,
                $"The CHS geometry {g.Cylinders}/{g.Heads}/{g.SectorsPerTrack} gives {g.Capacity:N0} bytes, not the size {size:N0}; Azure uses the size (CurrentSize), a guest that sizes the disk by CHS sees {g.Capacity:N0}.",
                "Usually harmless for Azure; to make them agree, create the disk with a CHS-exact size or convert with qemu-img convert -O vpc -o subformat=fixed,force_size=on."));
    }

    private static void HyperVGen2(VirtualDiskHandle handle, List<RuleViolation> rules)
    {
        if (handle.Format != VirtualDiskFormat.Vhdx)
        {
            rules.Add(new("hyperv-gen2.vhdx-required", true,
                $"Hyper-V generation 2 virtual machines boot only from VHDX; this is {Text.FormatName(handle.Format)}.",
                "Convert it: qemu-img convert -O vhdx IN OUT.vhdx (Hyper-V: Convert-VHD IN OUT.vhdx)"));
            return;
        }
        if (handle.LogReplayed)
            rules.Add(new("hyperv-gen2.dirty-log", true,
                "The VHDX log is not empty (the writer did not close it cleanly); it was replayed in memory only.",
                "Attach and detach it once on Hyper-V (Mount-VHD; Dismount-VHD) or run qemu-img check -r all on a copy, then check again."));
        if (VirtDisk.GetVirtualDiskInformation(handle, GetVirtualDiskInfoVersion.Is4kAligned, out var info) == 0 && !info.Is4kAligned)
            rules.Add(new("hyperv-gen2.4k-aligned", true,
                "The disk's data is not 4 KiB aligned (IS_4K_ALIGNED is false).",
                "Convert it to a new VHDX: qemu-img convert -O vhdx IN OUT.vhdx (Hyper-V: Convert-VHD)"));
        if (handle.PhysicalSectorSize != 4096)
            rules.Add(new("hyperv-gen2.physical-sector-4k", false,
                $"The physical sector size is {handle.PhysicalSectorSize}, not 4096.",
                "Hyper-V creates VHDX with 4096-byte physical sectors (New-VHD -PhysicalSectorSizeBytes 4096)."));
    }

    private static void Iso(VirtualDiskHandle handle, List<RuleViolation> rules)
    {
        if (handle.Format != VirtualDiskFormat.Iso)
        {
            rules.Add(new("iso.iso-required", true,
                $"Expected an ISO image; this is {Text.FormatName(handle.Format)}.",
                "Build it with xorriso -as mkisofs or genisoimage."));
            return;
        }
        if (handle.Info.Top.HasElTorito != true)
            rules.Add(new("iso.el-torito-missing", false,
                "No El Torito boot record: the image is not bootable from optical media.",
                "If it must boot: xorriso -as mkisofs -b boot/boot.img -no-emul-boot -boot-load-size 4 -boot-info-table -o OUT.iso DIR"));
        IsoBootRules.Evaluate(handle, rules);
        IsoNameRules.Evaluate(handle, rules);
    }
}
