using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>The UDF file system reader and its deep check: range 1200–1299.</summary>
    private static readonly Row[] UdfRows =
    [
        new(R.UdfAnchorNotFound, E.FileCorrupt, F, "No valid UDF Anchor Volume Descriptor Pointer was found at sector 256, N-256, N or the other places writers use."),
        new(R.UdfTagChecksumMismatch, E.FileCorrupt, F, "A UDF descriptor tag's checksum does not match its bytes."),
        new(R.UdfTagCrcMismatch, E.FileCorrupt, F, "A UDF descriptor's CRC does not match its bytes, or its CRC length runs past the descriptor."),
        new(R.UdfTagLocationMismatch, E.FileCorrupt, F, "A UDF descriptor's tag location is not the block it was read from."),
        new(R.UdfTagUnexpected, E.FileCorrupt, F, "A UDF descriptor has an unexpected tag identifier or descriptor version."),
        new(R.UdfVolumeDescriptorSequenceInvalid, E.FileCorrupt, F, "Neither the main nor the reserve UDF volume descriptor sequence holds a primary volume, logical volume and partition descriptor."),
        new(R.UdfReserveSequenceUsed, E.FileCorrupt, W, "The main UDF volume descriptor sequence is damaged; the reserve sequence was read."),
        new(R.UdfDescriptorChainTooLong, E.FileCorrupt, F, "A UDF descriptor chain (descriptor pointers, integrity extents, file set) loops or is longer than the reader's cap."),
        new(R.UdfLogicalBlockSizeMismatch, E.FileCorrupt, F, "The UDF logical block size differs from the sector size the volume is recorded with."),
        new(R.UdfPartitionMapInvalid, E.FileCorrupt, F, "A UDF partition map (its count, length or type) is invalid."),
        new(R.UdfPartitionNotFound, E.FileCorrupt, F, "A UDF partition map names a partition number no partition descriptor has."),
        new(R.UdfPartitionReferenceInvalid, E.FileCorrupt, F, "A UDF address names a partition reference number the logical volume has no usable map for."),
        new(R.UdfExtentOutOfRange, E.FileCorrupt, F, "A UDF extent lies outside its partition or outside the image."),
        new(R.UdfFileEntryInvalid, E.FileCorrupt, F, "A UDF file entry is invalid (lengths of its extended attributes, allocation descriptors or embedded data)."),
        new(R.UdfIcbStrategyUnsupported, E.NotSupported, F, "A UDF ICB uses a strategy other than 4 or 4096."),
        new(R.UdfIndirectIcbLoop, E.FileCorrupt, F, "UDF indirect entries loop or chain further than the reader's cap."),
        new(R.UdfAllocationExtentChainInvalid, E.FileCorrupt, F, "A UDF allocation extent descriptor chain loops, exceeds the reader's cap or has descriptors past its block."),
        new(R.UdfTooManyExtents, E.FileSystemLimitation, F, "A UDF file has more extents than the reader's cap."),
        new(R.UdfFileIdentifierInvalid, E.FileCorrupt, F, "A UDF file identifier descriptor's lengths run past the directory or the block, or its name is empty."),
        new(R.UdfNameInvalid, E.FileCorrupt, F, "A UDF name uses an unknown OSTA compressed Unicode id or an odd 16-bit length."),
        new(R.UdfSymlinkInvalid, E.FileCorrupt, F, "A UDF symbolic link's path components are invalid."),
        new(R.UdfVatNotFound, E.FileCorrupt, F, "The UDF volume has a virtual partition but no Virtual Allocation Table at the end of the recorded data."),
        new(R.UdfVatInvalid, E.FileCorrupt, F, "The UDF Virtual Allocation Table is invalid (header length, size, or entries outside the physical partition)."),
        new(R.UdfSparingTableInvalid, E.FileCorrupt, F, "A UDF sparing table is invalid, or its copies disagree."),
        new(R.UdfMetadataFileInvalid, E.FileCorrupt, F, "The UDF metadata file (and its mirror) cannot be read."),
        new(R.UdfMetadataMirrorUsed, E.FileCorrupt, W, "The UDF metadata file is damaged; the metadata mirror was read instead."),
        new(R.UdfMetadataMirrorMismatch, E.FileCorrupt, F, "The UDF metadata file and its mirror differ."),
        new(R.UdfIntegrityOpen, E.FileCorrupt, W, "The UDF logical volume integrity is open: the volume was not closed cleanly, so its counts and free space are not to be trusted."),
        new(R.UdfIntegrityDescriptorInvalid, E.FileCorrupt, W, "The UDF logical volume integrity descriptor is missing or damaged."),
        new(R.UdfRevisionUnsupported, E.NotSupported, W, "The UDF volume needs a newer UDF revision to read than 2.60."),
        new(R.UdfFileSetDescriptorInvalid, E.FileCorrupt, F, "The UDF file set descriptor or its root directory cannot be read."),
        new(R.UdfFileDataShort, E.FileCorrupt, F, "A UDF file's recorded extents hold fewer bytes than its length."),
        new(R.UdfDirectoryEntryMismatch, E.FileCorrupt, W, "A UDF directory entry's directory flag disagrees with the file entry's type."),
        new(R.UdfAnchorMismatch, E.FileCorrupt, W, "The UDF anchor volume descriptor pointers disagree, or one of the expected anchors is damaged."),
    ];
}
