namespace VirtualDiskManaged.IsoBuild;

/// <summary>What <see cref="IsoImageBuilder"/> writes (docs/mkiso.md).</summary>
public sealed class IsoBuildOptions
{
    /// <summary>The volume identifier (the label; at most 32 printable ASCII characters, written as given).</summary>
    public string VolumeId { get; init; } = "CDROM";

    /// <summary>ISO 9660 interchange level 1, 2 or 3 (ECMA-119 §10): 1 = 8.3 names, 2 = 30-character names, 3 = as 2 plus files over 4 GiB (multi-extent).</summary>
    public int InterchangeLevel { get; init; } = 3;

    /// <summary>Write a Joliet tree (UCS-2 names, up to 64 characters).</summary>
    public bool Joliet { get; init; }

    /// <summary>Allow Joliet names up to 103 characters (beyond the Joliet specification's 64, as mkisofs <c>-joliet-long</c>).</summary>
    public bool JolietLongNames { get; init; }

    /// <summary>Write Rock Ridge (RRIP 1.10 over SUSP): POSIX names, modes, times, symbolic links, hard links, deep directories.</summary>
    public bool RockRidge { get; init; }

    /// <summary>
    /// The one time stamp of the build: every volume date and directory date, and the upper bound of file times.
    /// Null: <c>SOURCE_DATE_EPOCH</c> when set, else the current time. Set it (or <c>SOURCE_DATE_EPOCH</c>) for
    /// byte-identical output from the same inputs.
    /// </summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>System identifier (ECMA-119 §8.4.5), at most 32 characters.</summary>
    public string SystemId { get; init; } = "";

    /// <summary>Publisher identifier (§8.4.20), at most 128 characters.</summary>
    public string PublisherId { get; init; } = "";

    /// <summary>Data preparer identifier (§8.4.21), at most 128 characters.</summary>
    public string PreparerId { get; init; } = "";

    /// <summary>Application identifier (§8.4.22), at most 128 characters.</summary>
    public string ApplicationId { get; init; } = "VIRTUALDISKMANAGED";

    /// <summary>Volume set identifier (§8.4.19), at most 128 characters.</summary>
    public string VolumeSetId { get; init; } = "";

    /// <summary>
    /// The image path of a BIOS boot file (El Torito no-emulation entry, platform x86), or null. The file must
    /// have been added to the tree.
    /// </summary>
    public string? BiosBootPath { get; init; }

    /// <summary>Patch an ISOLINUX-style boot info table into bytes 8–63 of the BIOS boot file's copy in the image.</summary>
    public bool BootInfoTable { get; init; }

    /// <summary>How many 512-byte sectors the BIOS loads from the boot file (El Torito "sector count"; 4 as ISOLINUX expects).</summary>
    public int BiosLoadSectors { get; init; } = 4;

    /// <summary>The image path of an EFI system partition image (a FAT file system) for a UEFI El Torito entry (platform 0xEF), or null.</summary>
    public string? EfiBootPath { get; init; }

    /// <summary>
    /// End the image with <see cref="PaddingBlocks"/> zero blocks (300 KiB) inside the volume space, as genisoimage
    /// (<c>-pad</c>) and xorriso (<c>-padding 300k</c>) do by default. Without it a small image can be shorter than
    /// what readers read ahead: libarchive (bsdtar) needs 24 blocks to recognise an ISO at all, and reading the last
    /// blocks of a disc is unreliable on some drives. False: the volume ends with the last file's last block.
    /// </summary>
    public bool Padding { get; init; } = true;

    /// <summary>How many zero blocks <see cref="Padding"/> appends: 150 (300 KiB).</summary>
    public const int PaddingBlocks = 150;
}

/// <summary>Progress of <see cref="IsoImageBuilder.Build(string, IProgress{IsoBuildProgress}?, CancellationToken)"/>.</summary>
/// <param name="BytesWritten">Bytes of the image written so far.</param>
/// <param name="TotalBytes">The image's final size.</param>
public readonly record struct IsoBuildProgress(long BytesWritten, long TotalBytes);
