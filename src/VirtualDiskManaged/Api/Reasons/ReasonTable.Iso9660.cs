using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>The ISO 9660 file system reader and its deep check (Joliet, Rock Ridge, zisofs): range 1000–1099.</summary>
    private static readonly Row[] Iso9660Rows =
    [
        new(R.IsoNoPrimaryDescriptor, E.FileCorrupt, F, "The volume descriptor set has no primary volume descriptor."),
        new(R.IsoDescriptorSetUnterminated, E.FileCorrupt, W, "The volume descriptor set ends without a set terminator within the reader's cap."),
        new(R.IsoLogicalBlockSizeInvalid, E.FileCorrupt, F, "The logical block size is not 512, 1024 or 2048 bytes."),
        new(R.IsoRootRecordInvalid, E.FileCorrupt, F, "The root directory record of the volume descriptor is not a valid directory record."),
        new(R.IsoSessionNotFound, E.InvalidParameter, F, "The image has no session with this number."),
        new(R.IsoNamespaceNotPresent, E.FileNotFound, F, "The image does not hold the namespace asked for (Joliet, Rock Ridge or ISO 9660:1999)."),
        new(R.IsoDirectoryRecordLengthInvalid, E.FileCorrupt, F, "A directory record has an impossible length (shorter than 34 bytes, or longer than its identifier allows)."),
        new(R.IsoDirectoryRecordCrossesSector, E.FileCorrupt, F, "A directory record does not end in the logical sector in which it begins (ECMA-119 §6.8.1.1)."),
        new(R.IsoExtentOutsideVolume, E.FileCorrupt, F, "An extent lies outside the volume space the volume descriptor records."),
        new(R.IsoExtentBeyondImageEnd, E.FileCorrupt, F, "An extent lies past the end of the image."),
        new(R.IsoMultiExtentChainBroken, E.FileCorrupt, F, "A multi-extent file's records are incomplete (the chain ends without a final record, or a record of another name interrupts it)."),
        new(R.IsoMultiExtentTooManySections, E.FileCorrupt, F, "A multi-extent file has more sections than the reader's cap."),
        new(R.IsoMultiExtentOutOfOrder, E.FileCorrupt, W, "A multi-extent file's sections are recorded out of volume order."),
        new(R.IsoInterleavedNotSupported, E.NotSupported, F, "The interleaved recording of this entry is not supported (interleaved directories, or interleaved multi-extent files)."),
        new(R.IsoJolietNameInvalid, E.FileCorrupt, F, "A Joliet identifier is not valid UCS-2 (odd length, or an unpaired surrogate)."),
        new(R.IsoSuspEntryLengthInvalid, E.FileCorrupt, F, "A System Use entry has a length shorter than its header or past the end of its area."),
        new(R.IsoSuspContinuationOutsideVolume, E.FileCorrupt, F, "A SUSP continuation area (CE) lies outside the volume or past the end of its block."),
        new(R.IsoSuspContinuationLoop, E.FileCorrupt, F, "A SUSP continuation chain (CE) returns to an area it already visited."),
        new(R.IsoSuspContinuationChainTooLong, E.FileCorrupt, F, "A SUSP continuation chain (CE) is longer than the reader's cap."),
        new(R.IsoRockRidgeEntryInvalid, E.FileCorrupt, F, "A Rock Ridge entry (PX, PN, SL, NM, TF, CL, PL, ZF, ER) is shorter than its fields."),
        new(R.IsoRockRidgeNameTooLong, E.FileCorrupt, F, "A Rock Ridge name or symbolic link target is longer than the reader's cap."),
        new(R.IsoRelocationInvalid, E.FileCorrupt, F, "A Rock Ridge relocation (CL) points at a block that does not start a directory."),
        new(R.IsoRelocationLoop, E.FileCorrupt, F, "A Rock Ridge relocation (CL) points at its own directory, an ancestor, or from inside a relocated directory (CL→CL)."),
        new(R.IsoZisofsHeaderInvalid, E.FileCorrupt, F, "A zisofs file's header does not match its ZF entry (magic, header size, block size or uncompressed size)."),
        new(R.IsoZisofsBlockSizeInvalid, E.FileCorrupt, F, "A zisofs block size is not 2^15, 2^16 or 2^17 bytes."),
        new(R.IsoZisofsPointerOutOfRange, E.FileCorrupt, F, "A zisofs block pointer lies outside the file, goes backwards, or spans more than a compressed block can."),
        new(R.IsoZisofsBlockCorrupt, E.FileCorrupt, F, "A zisofs block does not decompress to its block's length."),
        new(R.IsoPathTableInvalid, E.FileCorrupt, F, "A path table lies outside the volume or holds a malformed record."),
        new(R.IsoPathTableMismatch, E.FileCorrupt, F, "A path table does not agree with the directory tree (or the L and M tables disagree)."),
        new(R.IsoBothEndianMismatch, E.FileCorrupt, W, "The little- and big-endian copies of a both-endian field differ."),
        new(R.IsoZisofsNotSupported, E.NotSupported, F, "The compressed file uses a zisofs variant the reader does not decode (zisofs2 or an unknown algorithm)."),
        new(R.IsoDirectoryDotRecordsMissing, E.FileCorrupt, F, "A directory does not begin with its \".\" and \"..\" records (ECMA-119 §6.8.2.2), or records no data at all."),
        new(R.IsoEntryNameInvalid, E.FileCorrupt, F, "A name is empty, \".\", \"..\", or holds \"/\" or NUL, so it cannot be a path component."),
        new(R.IsoDirectoryLinkedTwice, E.FileCorrupt, F, "A directory's extent is reached through two records (directories form a tree, ECMA-119 §6.8.2); the second is not followed."),
    ];
}
