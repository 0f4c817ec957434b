using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged;

/// <summary>
/// Pipeline operations on images (docs/operations.md): <see cref="Convert"/>, <see cref="Map(VirtualDiskHandle)"/>,
/// <see cref="Compare(string, string)"/> and <see cref="Repair"/>. Each is built on the open path and, where it writes,
/// on the write path; failures throw <see cref="VirtualDiskException"/> (the Try forms return the diagnostic).
/// </summary>
public static partial class VirtualDiskOperations
{
    /// <summary>The VHD sector: footers, headers, BAT and bitmaps are counted in 512-byte sectors (VHD spec "Hard Disk Footer Format").</summary>
    private const int VhdSector = 512;

    /// <summary>
    /// Opens an operation's input read-only with version-2 parameters (the documented rules, chains included): such
    /// handles conflict only with handles that may write (docs/open-path.md §11), so compare can open one file twice.
    /// </summary>
    internal static VirtualDiskDiagnostic? OpenInput(string path, out VirtualDiskHandle? handle)
    {
        handle = null;
        var options = new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) };
        if (VirtualDisk.TryOpen(path, options, out handle, out VirtualDiskDiagnostic? failure)) return null;
        return new(VirtualDiskErrorReason.OperationOpenFailed, path, inner: failure, code: failure.Code);
    }

    /// <summary>
    /// Opens a convert's input read-only with the caller's open options (docs/operations.md "convert"): their storage
    /// type, flags, rules, strictness and parent restriction apply; the access mask and parameters are replaced by a
    /// read-only open (validation mode), so the input is never written. Null options: <see cref="OpenInput(string, out VirtualDiskHandle?)"/>.
    /// </summary>
    internal static VirtualDiskDiagnostic? OpenInput(string path, VirtualDiskOpenOptions? options, out VirtualDiskHandle? handle)
    {
        if (options is null) return OpenInput(path, out handle);
        var readOnly = options with { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true), ValidationMode = true };
        if (VirtualDisk.TryOpen(path, readOnly, out handle, out VirtualDiskDiagnostic? failure)) return null;
        return new(VirtualDiskErrorReason.OperationOpenFailed, path, inner: failure, code: failure.Code);
    }

    /// <summary>Opens an operation's input read/write (ATTACH_RW; a pending VHDX log is replayed into the file, docs/write.md).</summary>
    internal static VirtualDiskDiagnostic? OpenForWrite(string path, out VirtualDiskHandle? handle)
    {
        var options = new VirtualDiskOpenOptions { Access = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.GetInfo };
        if (VirtualDisk.TryOpen(path, options, out handle, out VirtualDiskDiagnostic? failure)) return null;
        return new(VirtualDiskErrorReason.OperationOpenFailed, path, inner: failure, code: failure.Code);
    }

    internal static T OrThrow<T>(VirtualDiskDiagnostic? failure, T? value) where T : class
    {
        if (failure is not null) ThrowHelper.Throw(failure);
        return value!;
    }
}

public static partial class VirtualDiskOperations
{
    /// <summary>
    /// The MBR or GPT partition table of an open image's virtual content (UEFI 2.10 §5.2, §5.3) and the smallest safe
    /// virtual size (GET_VIRTUAL_DISK_INFO_SMALLEST_SAFE_VIRTUAL_SIZE): the end of the last partition (GPT: plus the
    /// backup entry array and header). A damaged table is reported in <see cref="PartitionLayout.Problems"/>, never thrown.
    /// </summary>
    /// <param name="handle">An open image.</param>
    /// <returns>The layout.</returns>
    public static PartitionLayout ReadPartitions(VirtualDiskHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        long size = handle.VirtualSize;
        return PartitionReader.Read((offset, buffer) =>
        {
            if (offset < 0 || offset > size - buffer.Length) return false;
            try { handle.ReadCore(offset, buffer); }
            catch (VirtualDiskException) { return false; }
            return true;
        }, size, handle.LogicalSectorSize);
    }
}
