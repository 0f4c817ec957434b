using System.Buffers.Binary;

namespace VirtualDiskManaged.Vhdx;

/// <summary>File Parameters item (MS-VHDX §2.6.2.1): block size and flags.</summary>
internal readonly record struct VhdxFileParameters(uint BlockSize, bool LeaveBlockAllocated, bool HasParent)
{
    public const int Length = 8;
    private const uint LeaveBlockAllocatedFlag = 1, HasParentFlag = 2;
    public const uint MinBlockSize = 1024 * 1024, MaxBlockSize = 256 * 1024 * 1024;

    /// <summary>Block size a power of two in [1 MiB, 256 MiB] (VHDX rule 19, docs/open-path.md §8.2); flag bits 2–31 zero (VHDX rule 20).</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out VhdxFileParameters value, out VirtualDiskErrorReason reason, out string? detail)
    {
        value = default;
        uint blockSize = BinaryPrimitives.ReadUInt32LittleEndian(data);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (!VhdxConstants.IsPowerOfTwo(blockSize) || blockSize < MinBlockSize || blockSize > MaxBlockSize)
        {
            reason = VirtualDiskErrorReason.VhdxBlockSizeInvalid;
            detail = $"BlockSize {blockSize}";
            return false;
        }
        if ((flags & ~(LeaveBlockAllocatedFlag | HasParentFlag)) != 0)
        {
            reason = VirtualDiskErrorReason.VhdxFileParametersInvalid;
            detail = $"Flags 0x{flags:X8}";
            return false;
        }
        // Both flags together are allowed: LeaveBlockAllocated is ignored when HasParent is set (MS-VHDX §2.6.2.1).
        value = new VhdxFileParameters(blockSize, (flags & LeaveBlockAllocatedFlag) != 0, (flags & HasParentFlag) != 0);
        reason = VirtualDiskErrorReason.None;
        detail = null;
        return true;
    }
}

/// <summary>The small fixed-length metadata items (MS-VHDX §2.6.2.2–2.6.2.5).</summary>
internal static class VhdxMetadataItems
{
    /// <summary>Virtual Disk Size: non-zero, a multiple of the logical sector size, at most 64 TiB (VHDX rule 23, docs/open-path.md §8.2).</summary>
    public static bool TryParseVirtualDiskSize(ReadOnlySpan<byte> data, int logicalSectorSize, out long size, out VirtualDiskErrorReason reason, out string? detail)
    {
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(data);
        size = 0;
        detail = $"Virtual size {value}";
        if (value == 0) reason = VirtualDiskErrorReason.VirtualSizeZero;
        else if (value > VhdxConstants.MaxVirtualSize) reason = VirtualDiskErrorReason.VirtualSizeTooLarge;
        else if (value % (ulong)logicalSectorSize != 0) reason = VirtualDiskErrorReason.VirtualSizeNotSectorMultiple;
        else
        {
            size = (long)value;
            reason = VirtualDiskErrorReason.None;
            detail = null;
            return true;
        }
        return false;
    }

    /// <summary>Logical or physical sector size: 512 or 4096 (VHDX rules 21, 22, docs/open-path.md §8.2).</summary>
    public static bool TryParseSectorSize(ReadOnlySpan<byte> data, string name, out int sectorSize, out VirtualDiskErrorReason reason, out string? detail)
    {
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (value is 512 or 4096)
        {
            sectorSize = (int)value;
            reason = VirtualDiskErrorReason.None;
            detail = null;
            return true;
        }
        sectorSize = 0;
        reason = VirtualDiskErrorReason.VhdxSectorSizeInvalid;
        detail = $"{name} {value}";
        return false;
    }

    /// <summary>Virtual Disk ID (page 83 data): a GUID.</summary>
    public static Guid ParseVirtualDiskId(ReadOnlySpan<byte> data) => new(data[..16]);
}
