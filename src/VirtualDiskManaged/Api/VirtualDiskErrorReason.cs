namespace VirtualDiskManaged;

/// <summary>
/// The precise cause of a failure or a warning: one member per rule of docs/open-path.md and per
/// corruption class. Each member maps to exactly one <see cref="VirtualDiskError"/> code
/// (see <see cref="VirtualDiskErrors.CodeOf"/>); for warnings that code applies only in strict mode.
/// Numeric values are stable and grouped by area.
/// </summary>
public enum VirtualDiskErrorReason
{
    /// <summary>No error.</summary>
    None = 0,

    // ---- Arguments (docs/open-path.md §4 steps 1–7) ----
    /// <summary>The storage type argument is null.</summary>
    NullStorageType = 100,
    /// <summary>The path argument is null.</summary>
    NullPath,
    /// <summary>The access mask has bits outside VIRTUAL_DISK_ACCESS_ALL.</summary>
    AccessMaskInvalid,
    /// <summary>A flag is not allowed by the rule set.</summary>
    FlagsNotAllowed,
    /// <summary>The parameters' version is not allowed by the rule set.</summary>
    ParametersVersionNotAllowed,
    /// <summary>Version 2/3 parameters need access mask NONE.</summary>
    AccessMaskMustBeNoneForVersion,
    /// <summary>The vendor GUID is neither Microsoft nor unknown.</summary>
    VendorNotSupported,
    /// <summary>The device id is not a known storage type.</summary>
    DeviceIdNotSupported,
    /// <summary>VHD Set files have no provider (the format is unpublished).</summary>
    VhdSetNotSupported,
    /// <summary>ISO images accept only null or version 1 parameters.</summary>
    IsoParametersVersionNotAllowed,
    /// <summary>ISO images accept only ATTACH_RO, DETACH and GET_INFO access.</summary>
    IsoAccessNotAllowed,
    /// <summary>ISO images do not accept NO_PARENTS, BLANK_FILE or BOOT_DRIVE.</summary>
    IsoFlagsNotAllowed,
    /// <summary>An argument of a handle operation is not valid.</summary>
    ArgumentInvalid,

    // ---- Host file (docs/open-path.md §4 steps 8–9, §7) ----
    /// <summary>The path is empty.</summary>
    EmptyPath = 200,
    /// <summary>The file does not exist.</summary>
    FileNotFound,
    /// <summary>A folder of the path does not exist.</summary>
    PathNotFound,
    /// <summary>The path names a directory.</summary>
    PathIsDirectory,
    /// <summary>The path names a device, FIFO, socket or other non-regular file.</summary>
    NotARegularFile,
    /// <summary>The process may not read the file.</summary>
    PermissionDenied,
    /// <summary>The backing file is compressed.</summary>
    HostFileCompressed,
    /// <summary>The backing file is encrypted.</summary>
    HostFileEncrypted,
    /// <summary>The backing file is compressed (Current rules: ERROR_VIRTUAL_DISK_LIMITATION).</summary>
    HostFileCompressedLimitation,
    /// <summary>The backing file is encrypted (Current rules: ERROR_VIRTUAL_DISK_LIMITATION).</summary>
    HostFileEncryptedLimitation,
    /// <summary>The path is on a network share served by this machine (loopback).</summary>
    LoopbackShare,
    /// <summary>The backing file could not be read.</summary>
    HostIoError,
    /// <summary>The backing file became shorter while the handle was open.</summary>
    BackingFileShrank,
    /// <summary>Another handle in this process holds the file in a conflicting way.</summary>
    SharingViolation,
    /// <summary>Another process holds the file in a conflicting way.</summary>
    SharingViolationOtherProcess,

    // ---- Format detection (docs/open-path.md §6) ----
    /// <summary>The content is not a VHD, VHDX or ISO image.</summary>
    FormatNotRecognized = 300,
    /// <summary>The extension names another format; the content is a VHD.</summary>
    ContentIsVhd,
    /// <summary>The extension names another format; the content is a VHDX.</summary>
    ContentIsVhdx,
    /// <summary>The extension names another format; the content is an ISO image.</summary>
    ContentIsIso,

    // ---- ISO (docs/open-path.md §5) ----
    /// <summary>ISO size is not a multiple of 2048 bytes.</summary>
    IsoSizeNotMultipleOf2048 = 400,
    /// <summary>ISO size is less than 34,816 bytes (system area plus one descriptor).</summary>
    IsoTooSmall,
    /// <summary>No ISO 9660, High Sierra or ECMA-167 descriptor at byte 32,768.</summary>
    IsoNoVolumeDescriptor,

    // ---- VHD (the VHD spec; docs/open-path.md §8.1) ----
    /// <summary>No "conectix" footer at the end (512 or 511 bytes) nor at offset 0.</summary>
    VhdFooterMissing = 500,
    /// <summary>The footer's checksum is wrong and no valid copy stands in.</summary>
    VhdFooterChecksumMismatch,
    /// <summary>Warning: the trailing footer is missing or bad; the copy at offset 0 was used.</summary>
    VhdFooterCopyUsed,
    /// <summary>Warning: the footer copy at offset 0 differs from the trailing footer.</summary>
    VhdFooterCopiesDiffer,
    /// <summary>Warning: the image has a 511-byte footer (Virtual PC before 2004).</summary>
    VhdShortFooter,
    /// <summary>The footer's format version is not 1.0.</summary>
    VhdFormatVersionUnsupported,
    /// <summary>The footer's disk type is not fixed, dynamic or differencing.</summary>
    VhdDiskTypeInvalid,
    /// <summary>The footer's data offset does not point at a dynamic header inside the file.</summary>
    VhdDataOffsetInvalid,
    /// <summary>Warning: a fixed disk's data offset is 0x00000000FFFFFFFF instead of all ones.</summary>
    VhdFixedDataOffsetSpecLiteral,
    /// <summary>Warning: the footer's features field lacks the reserved bit or has unknown bits.</summary>
    VhdFeaturesInvalid,
    /// <summary>The dynamic header's cookie is not "cxsparse".</summary>
    VhdDynamicHeaderCookieInvalid,
    /// <summary>The dynamic header's checksum is wrong.</summary>
    VhdDynamicHeaderChecksumMismatch,
    /// <summary>The dynamic header's version is not 1.0.</summary>
    VhdDynamicHeaderVersionUnsupported,
    /// <summary>The dynamic header holds impossible values.</summary>
    VhdDynamicHeaderFieldInvalid,
    /// <summary>The block size is not a power of two of at least 512 bytes.</summary>
    VhdBlockSizeInvalid,
    /// <summary>The BAT has fewer entries than the virtual size needs.</summary>
    VhdMaxTableEntriesTooSmall,
    /// <summary>Warning: the BAT has more entries than the virtual size needs.</summary>
    VhdMaxTableEntriesTooLarge,
    /// <summary>Warning: CHS geometry disagrees with the current size.</summary>
    VhdGeometryMismatch,
    /// <summary>Warning: a fixed disk's file is longer than its size plus the footer.</summary>
    VhdFixedFileTooLong,
    /// <summary>Warning: BAT padding entries are not 0xFFFFFFFF.</summary>
    VhdBatPaddingInvalid,
    /// <summary>A differencing VHD has no usable parent locator or name.</summary>
    VhdParentLocatorInvalid,

    // ---- Shared size / layout rules (docs/open-path.md §8) ----
    /// <summary>The virtual size is zero.</summary>
    VirtualSizeZero = 600,
    /// <summary>The virtual size is not a multiple of the logical sector size.</summary>
    VirtualSizeNotSectorMultiple,
    /// <summary>The virtual size exceeds the format's maximum.</summary>
    VirtualSizeTooLarge,
    /// <summary>The file is shorter than its declared layout.</summary>
    FileTooShortForLayout,
    /// <summary>The BAT extends beyond the end of the file.</summary>
    BatBeyondEndOfFile,
    /// <summary>A BAT entry points beyond the end of the file.</summary>
    BatEntryBeyondEndOfFile,
    /// <summary>Two data blocks overlap.</summary>
    BatBlocksOverlap,
    /// <summary>A data block overlaps headers, tables or other metadata.</summary>
    BatBlockOverlapsMetadata,
    /// <summary>A BAT entry has an invalid state.</summary>
    BatEntryStateInvalid,
    /// <summary>Warning: a BAT entry has reserved bits set.</summary>
    BatEntryReservedBitsSet,
    /// <summary>The BAT region is too small for the virtual size.</summary>
    BatRegionTooSmall,

    // ---- VHDX (MS-VHDX §2; docs/open-path.md §8.2) ----
    /// <summary>No "vhdxfile" file type identifier at offset 0.</summary>
    VhdxFileIdentifierMissing = 700,
    /// <summary>Warning: one header failed its checks; the other was used.</summary>
    VhdxHeaderInvalid,
    /// <summary>Neither header is valid.</summary>
    VhdxHeadersInvalid,
    /// <summary>Both headers have the same sequence number but differ.</summary>
    VhdxHeaderSequenceTie,
    /// <summary>Warning: both headers have the same sequence number and are identical.</summary>
    VhdxHeadersIdentical,
    /// <summary>The header version is not 1.</summary>
    VhdxHeaderVersionUnsupported,
    /// <summary>The log version is not 0.</summary>
    VhdxLogVersionUnsupported,
    /// <summary>The log's offset or length is not valid.</summary>
    VhdxLogLocationInvalid,
    /// <summary>Warning: one region table is invalid; the other was used.</summary>
    VhdxRegionTableInvalid,
    /// <summary>Both region tables are invalid.</summary>
    VhdxRegionTablesInvalid,
    /// <summary>Warning: both region tables are valid but differ; table 1 was used.</summary>
    VhdxRegionTablesDiffer,
    /// <summary>A region entry's offset or length is not valid.</summary>
    VhdxRegionEntryInvalid,
    /// <summary>A region the library does not know is marked required.</summary>
    VhdxRegionUnknownRequired,
    /// <summary>The BAT or metadata region is missing or appears twice.</summary>
    VhdxRegionMissingOrDuplicate,
    /// <summary>Regions, the log or the header section overlap.</summary>
    VhdxStructuresOverlap,
    /// <summary>The metadata table's signature, entry count or reserved fields are invalid.</summary>
    VhdxMetadataTableInvalid,
    /// <summary>A metadata entry's offset, length or flags are invalid.</summary>
    VhdxMetadataEntryInvalid,
    /// <summary>A known metadata item appears twice.</summary>
    VhdxMetadataItemDuplicate,
    /// <summary>A known metadata item has the wrong length.</summary>
    VhdxMetadataItemLengthInvalid,
    /// <summary>A metadata item the library does not know is marked required.</summary>
    VhdxMetadataUnknownRequired,
    /// <summary>A required metadata item is missing.</summary>
    VhdxMetadataRequiredMissing,
    /// <summary>The file parameters item holds invalid flags.</summary>
    VhdxFileParametersInvalid,
    /// <summary>The block size is not a power of two between 1 MiB and 256 MiB.</summary>
    VhdxBlockSizeInvalid,
    /// <summary>A sector size is not 512 or 4096.</summary>
    VhdxSectorSizeInvalid,
    /// <summary>The parent locator item is malformed.</summary>
    VhdxParentLocatorInvalid,
    /// <summary>A differencing VHDX has no parent locator, or a non-differencing one has one.</summary>
    VhdxParentLocatorMissing,
    /// <summary>A partially present block in a disk that is not differencing.</summary>
    VhdxPartialBlockNotDifferencing,
    /// <summary>A partially present block whose sector bitmap block is not present.</summary>
    VhdxSectorBitmapMissing,
    /// <summary>Warning: sector bitmap entries of a non-differencing disk are not zero (ignored).</summary>
    VhdxSectorBitmapEntryIgnored,
    /// <summary>Warning: the last payload block ends beyond the end of the file.</summary>
    VhdxLastBlockPartial,
    /// <summary>Warning: a non-empty log was replayed into memory.</summary>
    VhdxLogReplayed,
    /// <summary>The log claims entries but cannot be replayed.</summary>
    VhdxLogCorrupt,
    /// <summary>The log says the file was longer than it is (truncated).</summary>
    VhdxLogFileTruncated,
    /// <summary>Warning: the log GUID is set but no valid entry sequence exists (empty log).</summary>
    VhdxLogGuidWithoutEntries,

    // ---- Parent chain (docs/open-path.md §10) ----
    /// <summary>The parent was not found at any locator path.</summary>
    ParentNotFound = 800,
    /// <summary>The parent exists but cannot be opened.</summary>
    ParentAccessDenied,
    /// <summary>The parent is a directory, device, FIFO or socket.</summary>
    ParentNotARegularFile,
    /// <summary>The parent's identity is not the one the child records.</summary>
    ParentIdMismatch,
    /// <summary>The parent is of a format the child cannot have as parent.</summary>
    ParentFormatMismatch,
    /// <summary>Warning (error in strict mode): the parent's time stamp is not the one the child records.</summary>
    ParentTimestampMismatch,
    /// <summary>Parent and child virtual sizes differ.</summary>
    ParentSizeMismatch,
    /// <summary>A file appears twice in one chain.</summary>
    ChainCycle,
    /// <summary>The chain is deeper than 256.</summary>
    ChainTooDeep,
    /// <summary>A disk further up the chain failed to open.</summary>
    ErrorInParent,
    /// <summary>The parent lies outside the child's folder tree and safe parent resolution is on.</summary>
    ParentOutsideAllowedTree,
    /// <summary>A read needed the parent, but the disk was opened without parents.</summary>
    ParentNotOpened,

    // ---- Handle operations ----
    /// <summary>The handle was not opened with the access this operation needs.</summary>
    HandleAccessDenied = 900,
    /// <summary>The information version is not supported.</summary>
    InfoVersionNotSupported,
    /// <summary>The information does not apply to a disk of this type.</summary>
    InfoNotApplicable,
    /// <summary>The handle has been closed.</summary>
    HandleClosed,
    /// <summary>The information needs a running system (host disk, load state, change tracking) and is not available offline.</summary>
    InfoNotAvailableOffline,

    // ---- ISO 9660 file system reader and deep check (Joliet, Rock Ridge, zisofs) (1000–1099): add members directly below this line, the first with "= 1000" ----
    /// <summary>The volume descriptor set has no primary volume descriptor.</summary>
    IsoNoPrimaryDescriptor = 1000,
    /// <summary>Warning: the volume descriptor set ends without a set terminator within the reader's cap.</summary>
    IsoDescriptorSetUnterminated,
    /// <summary>The logical block size is not 512, 1024 or 2048 bytes.</summary>
    IsoLogicalBlockSizeInvalid,
    /// <summary>The root directory record of the volume descriptor is not a valid directory record.</summary>
    IsoRootRecordInvalid,
    /// <summary>The image has no session with this number.</summary>
    IsoSessionNotFound,
    /// <summary>The image does not hold the namespace asked for (Joliet, Rock Ridge or ISO 9660:1999).</summary>
    IsoNamespaceNotPresent,
    /// <summary>A directory record has an impossible length (shorter than 34 bytes, or longer than its identifier allows).</summary>
    IsoDirectoryRecordLengthInvalid,
    /// <summary>A directory record does not end in the logical sector in which it begins (ECMA-119 §6.8.1.1).</summary>
    IsoDirectoryRecordCrossesSector,
    /// <summary>An extent lies outside the volume space the volume descriptor records.</summary>
    IsoExtentOutsideVolume,
    /// <summary>An extent lies past the end of the image.</summary>
    IsoExtentBeyondImageEnd,
    /// <summary>A multi-extent file's records are incomplete (the chain ends without a final record, or a record of another name interrupts it).</summary>
    IsoMultiExtentChainBroken,
    /// <summary>A multi-extent file has more sections than the reader's cap.</summary>
    IsoMultiExtentTooManySections,
    /// <summary>Warning: A multi-extent file's sections are recorded out of volume order.</summary>
    IsoMultiExtentOutOfOrder,
    /// <summary>The interleaved recording of this entry is not supported (interleaved directories, or interleaved multi-extent files).</summary>
    IsoInterleavedNotSupported,
    /// <summary>A Joliet identifier is not valid UCS-2 (odd length, or an unpaired surrogate).</summary>
    IsoJolietNameInvalid,
    /// <summary>A System Use entry has a length shorter than its header or past the end of its area.</summary>
    IsoSuspEntryLengthInvalid,
    /// <summary>A SUSP continuation area (CE) lies outside the volume or past the end of its block.</summary>
    IsoSuspContinuationOutsideVolume,
    /// <summary>A SUSP continuation chain (CE) returns to an area it already visited.</summary>
    IsoSuspContinuationLoop,
    /// <summary>A SUSP continuation chain (CE) is longer than the reader's cap.</summary>
    IsoSuspContinuationChainTooLong,
    /// <summary>A Rock Ridge entry (PX, PN, SL, NM, TF, CL, PL, ZF, ER) is shorter than its fields.</summary>
    IsoRockRidgeEntryInvalid,
    /// <summary>A Rock Ridge name or symbolic link target is longer than the reader's cap.</summary>
    IsoRockRidgeNameTooLong,
    /// <summary>A Rock Ridge relocation (CL) points at a block that does not start a directory.</summary>
    IsoRelocationInvalid,
    /// <summary>A Rock Ridge relocation (CL) points at its own directory, an ancestor, or from inside a relocated directory (CL→CL).</summary>
    IsoRelocationLoop,
    /// <summary>A zisofs file's header does not match its ZF entry (magic, header size, block size or uncompressed size).</summary>
    IsoZisofsHeaderInvalid,
    /// <summary>A zisofs block size is not 2^15, 2^16 or 2^17 bytes.</summary>
    IsoZisofsBlockSizeInvalid,
    /// <summary>A zisofs block pointer lies outside the file, goes backwards, or spans more than a compressed block can.</summary>
    IsoZisofsPointerOutOfRange,
    /// <summary>A zisofs block does not decompress to its block's length.</summary>
    IsoZisofsBlockCorrupt,
    /// <summary>A path table lies outside the volume or holds a malformed record.</summary>
    IsoPathTableInvalid,
    /// <summary>A path table does not agree with the directory tree (or the L and M tables disagree).</summary>
    IsoPathTableMismatch,
    /// <summary>Warning: the little- and big-endian copies of a both-endian field differ.</summary>
    IsoBothEndianMismatch,
    /// <summary>The compressed file uses a zisofs variant the reader does not decode (zisofs2 or an unknown algorithm).</summary>
    IsoZisofsNotSupported,
    /// <summary>A directory does not begin with its "." and ".." records (ECMA-119 §6.8.2.2), or records no data at all.</summary>
    IsoDirectoryDotRecordsMissing,
    /// <summary>A name is empty, ".", "..", or holds "/" or NUL: it cannot be a path component (extraction refuses it).</summary>
    IsoEntryNameInvalid,
    /// <summary>A directory's extent is reached through two records (directories form a tree, ECMA-119 §6.8.2); the second is not followed.</summary>
    IsoDirectoryLinkedTwice,

    // (end of the 1000 range)

    // ---- El Torito, isohybrid, embedded MD5 (1100–1199): add members directly below this line, the first with "= 1100" ----
    /// <summary>The El Torito boot catalog lies outside the volume.</summary>
    ElToritoCatalogOutsideVolume = 1100,
    /// <summary>The El Torito validation entry is not valid (header ID 1 and key bytes 55 AA).</summary>
    ElToritoValidationEntryInvalid,
    /// <summary>The El Torito validation entry's checksum words do not sum to zero.</summary>
    ElToritoChecksumMismatch,
    /// <summary>An El Torito catalog entry has an invalid boot indicator, media type or header ID.</summary>
    ElToritoEntryInvalid,
    /// <summary>An El Torito boot image lies outside the volume or past the end of the image.</summary>
    ElToritoImageOutsideVolume,
    /// <summary>The El Torito boot catalog has more entries than the reader's cap.</summary>
    ElToritoCatalogTooLarge,
    /// <summary>The image has no El Torito boot catalog.</summary>
    ElToritoNoCatalog,
    /// <summary>The MD5 that implantisomd5 recorded does not match the image (checkisomd5 would report FAIL).</summary>
    IsoMd5Mismatch,
    /// <summary>A fragment checksum that implantisomd5 recorded does not match the image.</summary>
    IsoMd5FragmentMismatch,
    /// <summary>The implantisomd5 record in the application use area cannot be parsed.</summary>
    IsoMd5RecordInvalid,

    // (end of the 1100 range)

    // ---- UDF file system reader and deep check (1200–1299): add members directly below this line, the first with "= 1200" ----
    /// <summary>No valid Anchor Volume Descriptor Pointer (ECMA-167 3/10.2) was found.</summary>
    UdfAnchorNotFound = 1200,
    /// <summary>A descriptor tag checksum is wrong (ECMA-167 3/7.2.3).</summary>
    UdfTagChecksumMismatch,
    /// <summary>A descriptor CRC is wrong or its CRC length too long (ECMA-167 3/7.2.6).</summary>
    UdfTagCrcMismatch,
    /// <summary>A descriptor tag location differs from where it was read (ECMA-167 3/7.2.8).</summary>
    UdfTagLocationMismatch,
    /// <summary>A descriptor has the wrong tag identifier or version.</summary>
    UdfTagUnexpected,
    /// <summary>No usable volume descriptor sequence.</summary>
    UdfVolumeDescriptorSequenceInvalid,
    /// <summary>The reserve volume descriptor sequence was used.</summary>
    UdfReserveSequenceUsed,
    /// <summary>A descriptor chain loops or exceeds its cap.</summary>
    UdfDescriptorChainTooLong,
    /// <summary>The logical block size is not the sector size (OSTA UDF 2.60 §2.2.4.2).</summary>
    UdfLogicalBlockSizeMismatch,
    /// <summary>A partition map is invalid (ECMA-167 3/10.7).</summary>
    UdfPartitionMapInvalid,
    /// <summary>A partition map names a missing partition.</summary>
    UdfPartitionNotFound,
    /// <summary>An address names a partition reference that does not exist.</summary>
    UdfPartitionReferenceInvalid,
    /// <summary>An extent lies outside its partition or the image.</summary>
    UdfExtentOutOfRange,
    /// <summary>A file entry is invalid (ECMA-167 4/14.9).</summary>
    UdfFileEntryInvalid,
    /// <summary>An ICB strategy is not 4 or 4096 (OSTA UDF 2.60 §2.3.5.1).</summary>
    UdfIcbStrategyUnsupported,
    /// <summary>Indirect entries loop or exceed their cap (CVE-2014-6410 class).</summary>
    UdfIndirectIcbLoop,
    /// <summary>An allocation extent descriptor chain is invalid.</summary>
    UdfAllocationExtentChainInvalid,
    /// <summary>A file has more extents than the cap.</summary>
    UdfTooManyExtents,
    /// <summary>A file identifier descriptor is invalid (ECMA-167 4/14.4).</summary>
    UdfFileIdentifierInvalid,
    /// <summary>A name is not valid OSTA compressed Unicode (OSTA UDF 2.60 §2.1.1).</summary>
    UdfNameInvalid,
    /// <summary>A symbolic link's path components are invalid (ECMA-167 4/14.16).</summary>
    UdfSymlinkInvalid,
    /// <summary>No Virtual Allocation Table was found.</summary>
    UdfVatNotFound,
    /// <summary>The Virtual Allocation Table is invalid (OSTA UDF 2.60 §2.2.11).</summary>
    UdfVatInvalid,
    /// <summary>A sparing table is invalid (OSTA UDF 2.60 §2.2.12).</summary>
    UdfSparingTableInvalid,
    /// <summary>The metadata file and its mirror cannot be read (OSTA UDF 2.60 §2.2.13).</summary>
    UdfMetadataFileInvalid,
    /// <summary>The metadata mirror file was used.</summary>
    UdfMetadataMirrorUsed,
    /// <summary>The metadata file and its mirror differ.</summary>
    UdfMetadataMirrorMismatch,
    /// <summary>The volume integrity is open (not cleanly closed).</summary>
    UdfIntegrityOpen,
    /// <summary>The integrity descriptor is missing or damaged.</summary>
    UdfIntegrityDescriptorInvalid,
    /// <summary>The minimum read revision is above 2.60.</summary>
    UdfRevisionUnsupported,
    /// <summary>The file set descriptor or root directory is invalid.</summary>
    UdfFileSetDescriptorInvalid,
    /// <summary>A file's extents are shorter than its length.</summary>
    UdfFileDataShort,
    /// <summary>A directory flag disagrees with the file type.</summary>
    UdfDirectoryEntryMismatch,
    /// <summary>The anchors disagree or one is damaged.</summary>
    UdfAnchorMismatch,

    // (end of the 1200 range)

    // ---- Creating images (CreateVirtualDisk parameter rules) (1300–1399): add members directly below this line, the first with "= 1300" ----
    /// <summary>Rule 1: the storage type argument is null.</summary>
    CreateNullStorageType = 1300,
    /// <summary>Rule 2: the path argument is null.</summary>
    CreateNullPath,
    /// <summary>Rule 3: the parameters argument is null.</summary>
    CreateNullParameters,
    /// <summary>Rule 4: the parameters' version is 0 or above 4.</summary>
    CreateVersionInvalid,
    /// <summary>Rule 4: versions 3 and 4 (undocumented members) are not supported.</summary>
    CreateVersionNotSupported,
    /// <summary>Rule 5: the access mask has bits outside VIRTUAL_DISK_ACCESS_ALL.</summary>
    CreateAccessMaskInvalid,
    /// <summary>Rule 6: version 2 parameters need access mask NONE.</summary>
    CreateAccessMaskMustBeNone,
    /// <summary>Rule 7: the flags have undefined bits.</summary>
    CreateFlagsInvalid,
    /// <summary>Rule 7: a defined flag this library does not support.</summary>
    CreateFlagNotSupported,
    /// <summary>Rule 8: the vendor GUID is neither Microsoft nor unknown.</summary>
    CreateVendorNotSupported,
    /// <summary>Rule 8: the device id is above 3 (VHD Set, unknown).</summary>
    CreateDeviceIdNotSupported,
    /// <summary>Rule 8: ISO images cannot be created this way.</summary>
    CreateIsoNotSupported,
    /// <summary>Rule 8: device id 0 and an extension that names no format.</summary>
    CreateFormatNotDetermined,
    /// <summary>Rule 9: both ParentPath and SourcePath are set.</summary>
    CreateParentAndSource,
    /// <summary>Rule 10: FULL_PHYSICAL_ALLOCATION with ParentPath.</summary>
    CreateFixedDifferencing,
    /// <summary>Rule 10: SPARSE_FILE without FULL_PHYSICAL_ALLOCATION.</summary>
    CreateSparseNeedsFixed,
    /// <summary>Rule 11: MaximumSize is not 0 with ParentPath.</summary>
    CreateSizeWithParent,
    /// <summary>Rule 12: MaximumSize 0 without a parent or source.</summary>
    CreateSizeMissing,
    /// <summary>Rule 13: MaximumSize is not a multiple of the sector size.</summary>
    CreateSizeNotSectorMultiple,
    /// <summary>Rule 13: MaximumSize is below 3 MiB.</summary>
    CreateSizeTooSmall,
    /// <summary>Rule 13: MaximumSize above 2040 GiB (VHD) or 64 TiB (VHDX).</summary>
    CreateSizeTooLarge,
    /// <summary>Rule 14: a block size the format does not allow.</summary>
    CreateBlockSizeInvalid,
    /// <summary>Rule 14: a block size for a fixed VHD.</summary>
    CreateBlockSizeFixedVhd,
    /// <summary>Rule 15: a logical sector size the format does not allow.</summary>
    CreateSectorSizeInvalid,
    /// <summary>Rule 15: a physical sector size the format does not allow.</summary>
    CreatePhysicalSectorSizeInvalid,
    /// <summary>Rule 16: a non-zero ResiliencyGuid.</summary>
    CreateResiliencyNotSupported,
    /// <summary>Rule 17: OpenFlags has undefined bits.</summary>
    CreateOpenFlagsInvalid,
    /// <summary>Rule 18: ParentVirtualStorageType is not unknown, VHD or VHDX of Microsoft.</summary>
    CreateParentTypeInvalid,
    /// <summary>Rule 18: SourceVirtualStorageType has an unknown vendor or device id.</summary>
    CreateSourceTypeInvalid,
    /// <summary>Rule 19: the path is empty.</summary>
    CreatePathEmpty,
    /// <summary>Rule 20: the target's folder does not exist.</summary>
    CreateFolderNotFound,
    /// <summary>Rule 21: something already exists at the path.</summary>
    CreateTargetExists,
    /// <summary>Rule 22: the parent failed to open; the code is the parent's failure code.</summary>
    CreateParentOpenFailed,
    /// <summary>Rule 23: parent and child formats differ.</summary>
    CreateParentFormatMismatch,
    /// <summary>Rule 23: a sector size that differs from the parent's.</summary>
    CreateParentSectorSizeMismatch,
    /// <summary>Rule 24: the source failed to open; the code is the source's failure code.</summary>
    CreateSourceOpenFailed,
    /// <summary>Rule 25: MaximumSize below the source's size.</summary>
    CreateSourceLargerThanSize,
    /// <summary>Rule 24: PREVENT_WRITES_TO_SOURCE_DISK with a raw source.</summary>
    CreateSourceOwnershipNotSupported,
    /// <summary>.NET layer: Type Differencing without ParentPath.</summary>
    CreateTypeNeedsParent,
    /// <summary>.NET layer: ParentPath with Type Fixed or Dynamic.</summary>
    CreateParentNeedsDifferencing,
    /// <summary>.NET layer: a format other than VHD or VHDX.</summary>
    CreateFormatInvalid,
    /// <summary>An I/O error while writing the new image.</summary>
    CreateWriteFailed,
    /// <summary>The host volume ran out of space.</summary>
    CreateDiskFull,
    /// <summary>An I/O error while reading the source.</summary>
    CreateSourceReadFailed,
    /// <summary>The cancellation token fired during the copy.</summary>
    CreateCanceled,
    /// <summary>The finished image failed to open (never expected).</summary>
    CreateReopenFailed,

    // (end of the 1300 range)

    // ---- Writing through ATTACH_RW handles (1400–1499): add members directly below this line, the first with "= 1400" ----
    /// <summary>The handle was not opened for writing (version 1 without ATTACH_RW, or version 2/3 with ReadOnly = true).</summary>
    HandleNotWritable = 1400,
    /// <summary>The write reaches beyond the end of the virtual disk.</summary>
    WriteBeyondEnd,
    /// <summary>Writing the backing file failed.</summary>
    WriteFailed,
    /// <summary>Flushing the backing file to stable storage failed.</summary>
    FlushFailed,
    /// <summary>A new block cannot be allocated (the VHD's 32-bit sector addresses or the VHDX's 44-bit MiB offsets are exhausted).</summary>
    BlockAllocationFailed,
    /// <summary>An earlier write or flush of this handle failed; the handle refuses further writes (reopen the image).</summary>
    WriteHandleFaulted,
    /// <summary>The image has a layout this writer does not change (for example a VHDX whose last block ends beyond the file).</summary>
    WriteLayoutNotSupported,
    /// <summary>A writable open replayed a pending VHDX log into the file before first use.</summary>
    VhdxLogReplayedIntoFile,

    // (end of the 1400 range)

    // ---- Pipeline operations (1500–1599): add members directly below this line, the first with "= 1500" ----
    /// <summary>An operation's input image cannot be opened (the inner diagnostic says why).</summary>
    OperationOpenFailed = 1500,
    /// <summary>The operation does not apply to this kind of image (for example an ISO, or a fixed VHD for a footer-copy repair).</summary>
    OperationNotSupported,
    /// <summary>Convert: the output format is not given and the output's extension names none (.vhd, .vhdx, .raw, .img).</summary>
    ConvertFormatNotDetermined,
    /// <summary>Convert: the options contradict each other or the output format (for example --azure with VHDX, a block size for a fixed or raw output).</summary>
    ConvertOptionsInvalid,
    /// <summary>Convert: something already stands at the output path (it is never overwritten).</summary>
    ConvertTargetExists,
    /// <summary>Convert: the output folder does not exist.</summary>
    ConvertFolderNotFound,
    /// <summary>Convert: the output could not be written (the inner diagnostic or detail says why); nothing was left at the output path.</summary>
    ConvertWriteFailed,
    /// <summary>Convert: the source could not be read at some offset; nothing was left at the output path.</summary>
    ConvertReadFailed,
    /// <summary>Convert: canceled; nothing was left at the output path.</summary>
    ConvertCanceled,
    /// <summary>Convert: the host volume is full; nothing was left at the output path.</summary>
    ConvertDiskFull,
    /// <summary>Map or compare: a block table page or data read failed part-way.</summary>
    OperationReadFailed,
    /// <summary>Repair: neither the trailing footer nor the copy at offset 0 of a VHD is intact, so nothing can be restored.</summary>
    RepairNoIntactFooter,
    /// <summary>Repair: the repair would lose data (for example the footers disagree about the disk's size or identity), so it was refused.</summary>
    RepairWouldLoseData,
    /// <summary>Repair: writing the repaired structure failed (the image was left as it was or with the repair half done, which opens the same).</summary>
    RepairWriteFailed,
    /// <summary>Set: no property to change was given, or a value is not one the format takes (for example a physical sector size other than 512 or 4096).</summary>
    SetValueInvalid,
    /// <summary>Set: the VHDX has a pending log; run repair first (the set would otherwise write over state the log still has to restore).</summary>
    SetPendingLog,

    // ---- Merge (1520–1539): add members directly below this line, the first with "= 1520" ----
    /// <summary>Merge: the merge depth is less than 1 (MERGE_VIRTUAL_DISK_PARAMETERS MergeDepth counts parents, at least one).</summary>
    MergeDepthInvalid = 1520,
    /// <summary>Merge: the image is not a differencing disk, so it has no parent to merge into.</summary>
    MergeNotDifferencing,
    /// <summary>Merge: the merge depth reaches past the last parent of the chain.</summary>
    MergeDepthBeyondChain,
    /// <summary>Merge: the target (the parent the merge writes) is held by another handle or process, for example by another child's open chain.</summary>
    MergeTargetInUse,
    /// <summary>Merge: the target cannot be opened for writing (the inner diagnostic says why).</summary>
    MergeTargetOpenFailed,
    /// <summary>Merge: a file of the chain changed between the opens of the merge (its identity is no longer the one the chain was opened with).</summary>
    MergeChainChanged,
    /// <summary>Merge: reading the child or an intermediate file failed part-way; the target may hold part of the merge, the child chain is unchanged.</summary>
    MergeReadFailed,
    /// <summary>Merge: writing or flushing the target failed part-way; the target may hold part of the merge, the child chain is unchanged.</summary>
    MergeWriteFailed,
    /// <summary>Merge: canceled; what was written is flushed, so the target may hold part of the merge and the child chain is unchanged.</summary>
    MergeCanceled,
    /// <summary>Merge: a file of the chain (the child, a file between or a parent) is held by a writer (another handle or process), so the chain cannot be opened.</summary>
    MergeChainInUse,

    // ---- Compact (1540–1559): add members directly below this line, the first with "= 1540" ----
    /// <summary>Compact: the disk is fixed; only dynamic and differencing disks are compacted (CompactVirtualDisk).</summary>
    CompactFixedDisk = 1540,
    /// <summary>Compact: the file has a layout compact does not rewrite (for example a VHDX region it does not know, or overlapping blocks); nothing was changed.</summary>
    CompactLayoutNotSupported,
    /// <summary>Compact: a write, flush or truncation failed part-way; the image still reads the same content (docs/operations.md "compact").</summary>
    CompactWriteFailed,
    /// <summary>Compact: the operation was canceled; the image reads the same content, compacted in part or not at all.</summary>
    CompactCanceled,

    // ---- Resize (1560–1579): add members directly below this line, the first with "= 1560" ----
    /// <summary>Resize: the new size is zero, not a multiple of the logical sector size, or beyond the format's maximum (VHD 2040 GiB, VHDX 64 TiB).</summary>
    ResizeSizeInvalid = 1560,
    /// <summary>Resize: a VHD cannot shrink (ResizeVirtualDisk shrinks only VHDX).</summary>
    ResizeShrinkNotSupported,
    /// <summary>Resize: the shrink would cut into a partition (below the smallest safe virtual size, or no readable partition table); AllowUnsafeShrink overrides.</summary>
    ResizeWouldTruncateData,
    /// <summary>Resize: a differencing disk is not resized (its size follows its parent's).</summary>
    ResizeDifferencingNotSupported,
    /// <summary>Resize: the file's layout is one this resize does not change (a 511-byte VHD footer, a damaged structure, a structure other than a data block in the way of the VHD BAT, a table beyond the caps).</summary>
    ResizeLayoutNotSupported,
    /// <summary>Resize: writing the image failed (it opens with the old or the new size).</summary>
    ResizeWriteFailed,
    /// <summary>Resize: canceled before the size changed (the image keeps the old size and content).</summary>
    ResizeCanceled,
    /// <summary>Resize to the smallest safe virtual size: no partition table can be read (or it has problems), so no minimum can be computed.</summary>
    ResizeMinimumUnknown,
    /// <summary>Resize to the smallest safe virtual size: the disk is already at (or below) it.</summary>
    ResizeAlreadyAtMinimum,

    // ---- Set-parent and VHDX metadata items (1580–1599): add members directly below this line, the first with "= 1580" ----
    /// <summary>Set-parent: the image is not a differencing disk (it has no parent to re-point).</summary>
    SetParentNotDifferencing = 1580,
    /// <summary>Set-parent: the new parent cannot be opened (the inner diagnostic says why).</summary>
    SetParentOpenFailed,
    /// <summary>Set-parent: the new parent's identifier is not the one the child records (VHD unique id, VHDX DataWriteGuid); allowed with IgnoreIdMismatch.</summary>
    SetParentIdMismatch,
    /// <summary>Set-parent: the new parent is of another format than the child (a VHD's parent is a VHD, a VHDX's a VHDX).</summary>
    SetParentFormatMismatch,
    /// <summary>Set-parent: the new parent's virtual size is not the child's.</summary>
    SetParentSizeMismatch,
    /// <summary>Set-parent: the parent path is empty, names the child itself, or the new parent's chain contains the child.</summary>
    SetParentPathInvalid,
    /// <summary>Set-parent or metadata: no room is left (no free VHD locator entry, no free space or entry in the VHDX metadata region, more than 1,024 user items).</summary>
    MetadataNoRoom,
    /// <summary>Set-parent or metadata: writing the change failed (the image opens with the old or the new state).</summary>
    MetadataWriteFailed,
    /// <summary>Metadata: the item id is the all-zero GUID or a system item's, or the data is empty or longer than 1 MiB.</summary>
    MetadataItemInvalid,
    /// <summary>Metadata: the VHDX has no user item with that id.</summary>
    MetadataItemNotFound,

    // (end of the 1500 range)

    // ---- ISO builder (1600–1699): add members directly below this line, the first with "= 1600" ----
    /// <summary>A builder option is not valid (level, volume identifier, load size, SOURCE_DATE_EPOCH).</summary>
    IsoBuildOptionInvalid = 1600,
    /// <summary>An image path is not valid (empty, ".", "..", NUL, a component over 255 bytes, or through a file).</summary>
    IsoBuildPathInvalid,
    /// <summary>Two entries were added at one image path.</summary>
    IsoBuildDuplicatePath,
    /// <summary>A source file or folder does not exist.</summary>
    IsoBuildSourceMissing,
    /// <summary>A file is larger than the interchange level allows (levels 1 and 2: one 32-bit section).</summary>
    IsoBuildFileTooLarge,
    /// <summary>A source file's length changed between adding it and writing it.</summary>
    IsoBuildSourceChanged,
    /// <summary>A boot image is missing from the tree, empty, or too small for a boot info table.</summary>
    IsoBuildBootImageInvalid,
    /// <summary>More directories than a path table can number (65,535), or a directory over 4 GiB.</summary>
    IsoBuildTooManyDirectories,
    /// <summary>The image would exceed 2^32 blocks of 2048 bytes.</summary>
    IsoBuildVolumeTooLarge,
    /// <summary>A host file or folder of the source tree cannot be opened or read (permissions, an I/O error, a name that is not UTF-8).</summary>
    IsoBuildSourceUnreadable,
    /// <summary>The output path names one of the image's own source files.</summary>
    IsoBuildOutputIsSource,

    // (end of the 1600 range)

    // ---- Extraction to a folder (1700–1799): add members directly below this line, the first with "= 1700" ----
    /// <summary>An entry's name would leave the target folder or is not a name there (empty, ".", "..", a separator, NUL, a reserved name).</summary>
    ExtractionUnsafeName = 1700,
    /// <summary>A folder on the way to an entry is not a real directory made by this extraction (a symbolic link or a file stands there).</summary>
    ExtractionPathThroughLink,
    /// <summary>Something already exists at the entry's place in the target folder (or the image holds the name twice).</summary>
    ExtractionTargetExists,
    /// <summary>The host refused to create a symbolic link.</summary>
    ExtractionSymlinkNotCreated,
    /// <summary>Device nodes, FIFOs and sockets are not extracted.</summary>
    ExtractionSpecialFileSkipped,
    /// <summary>Writing to the target folder failed (permissions, space, a name the host file system rejects).</summary>
    ExtractionWriteFailed,
    /// <summary>The file's content could not be read from the image.</summary>
    ExtractionReadFailed,
    /// <summary>The file's content ended before (or ran past) its recorded length.</summary>
    ExtractionLengthMismatch,
    /// <summary>The entry was extracted but its modification time could not be set.</summary>
    ExtractionTimeNotSet,
    /// <summary>A directory was reached a second time (a cycle or a shared directory); its subtree was not extracted again.</summary>
    ExtractionDirectoryRepeated,

    // (end of the 1700 range)

    // ---- File systems, shared by every namespace (1900–1999) ----
    /// <summary>No entry has this path in the file system.</summary>
    FileSystemEntryNotFound = 1900,
    /// <summary>A component of the path is not a directory.</summary>
    FileSystemNotADirectory,
    /// <summary>The entry is not a regular file (a directory, symbolic link or special file).</summary>
    FileSystemNotAFile,
    /// <summary>The path is not a valid absolute path inside the image.</summary>
    FileSystemPathInvalid,
    /// <summary>The directory tree is deeper than the reader's cap.</summary>
    FileSystemTreeTooDeep,
    /// <summary>A directory is its own ancestor.</summary>
    FileSystemDirectoryCycle,
    /// <summary>The image holds no file system this reader knows (or not the namespace asked for).</summary>
    FileSystemNotFound,
    /// <summary>A read of the volume failed or ended early.</summary>
    FileSystemReadFailed,
}
