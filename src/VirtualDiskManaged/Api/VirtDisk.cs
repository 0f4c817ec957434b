using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged;

/// <summary>
/// The Win32-shaped layer, for code ported from P/Invoke: every call returns the Win32 error code (0 = success)
/// and never throws for anything a caller or a file can cause.
/// </summary>
public static partial class VirtDisk
{
    /// <summary>OpenVirtualDisk with the documented rule set (docs/open-path.md §4).</summary>
    /// <param name="virtualStorageType">Device id and vendor; null → 87.</param>
    /// <param name="path">The image's path; null → 87.</param>
    /// <param name="virtualDiskAccessMask">VIRTUAL_DISK_ACCESS_MASK.</param>
    /// <param name="flags">OPEN_VIRTUAL_DISK_FLAG.</param>
    /// <param name="parameters">OPEN_VIRTUAL_DISK_PARAMETERS, or null (version 1, RWDepth 1).</param>
    /// <param name="handle">The handle on success; null otherwise.</param>
    /// <returns>0 or a Win32 error code.</returns>
    public static uint OpenVirtualDisk(VirtualStorageType? virtualStorageType, string? path,
        VirtualDiskAccessMask virtualDiskAccessMask, OpenVirtualDiskFlags flags,
        OpenVirtualDiskParameters? parameters, out VirtualDiskHandle? handle) =>
        OpenVirtualDisk(virtualStorageType, path, virtualDiskAccessMask, flags, parameters, OpenRuleSet.Documented, out handle);

    /// <summary>OpenVirtualDisk with an explicit rule set.</summary>
    /// <param name="virtualStorageType">Device id and vendor; null → 87.</param>
    /// <param name="path">The image's path; null → 87.</param>
    /// <param name="virtualDiskAccessMask">VIRTUAL_DISK_ACCESS_MASK.</param>
    /// <param name="flags">OPEN_VIRTUAL_DISK_FLAG.</param>
    /// <param name="parameters">OPEN_VIRTUAL_DISK_PARAMETERS, or null (version 1, RWDepth 1).</param>
    /// <param name="rules">Documented or Current (docs/open-path.md §3).</param>
    /// <param name="handle">The handle on success; null otherwise.</param>
    /// <returns>0 or a Win32 error code.</returns>
    public static uint OpenVirtualDisk(VirtualStorageType? virtualStorageType, string? path,
        VirtualDiskAccessMask virtualDiskAccessMask, OpenVirtualDiskFlags flags,
        OpenVirtualDiskParameters? parameters, OpenRuleSet rules, out VirtualDiskHandle? handle)
    {
        var request = new OpenRequest
        {
            StorageType = virtualStorageType,
            Path = path,
            Access = virtualDiskAccessMask,
            Flags = flags,
            Parameters = parameters,
            Rules = rules,
        };
        var failure = OpenCore.Open(request, out handle);
        return failure?.ErrorCode ?? 0;
    }

    /// <summary>
    /// GetVirtualDiskInformation: fills <paramref name="info"/> for <paramref name="version"/>.
    /// ISO handles answer SIZE (virtual and physical size = the file's length, block size 0, sector size 2048) and
    /// VIRTUAL_STORAGE_TYPE (ISO, Microsoft). Every VHD-specific version fails on an ISO with 0xC03A001B
    /// (ERROR_VHD_INVALID_TYPE) — PROVIDER_SUBTYPE included: its only values, fixed (2), dynamic (3) and
    /// differencing (4), describe VHD/VHDX layouts, and what Windows returns for an ISO is not documented
    /// (Microsoft Learn, "GET_VIRTUAL_DISK_INFO structure"; docs/decisions.md, "GET_VIRTUAL_DISK_INFO on an ISO"), so this library refuses rather than invent a subtype.
    /// </summary>
    /// <param name="handle">An open handle.</param>
    /// <param name="version">What to return.</param>
    /// <param name="info">The result (only the members of <paramref name="version"/> are meaningful).</param>
    /// <returns>0, 5 (handle lacks GET_INFO), 87 (bad version), 50 (needs a live system) or 0xC03A001B (not for this disk type).</returns>
    public static uint GetVirtualDiskInformation(VirtualDiskHandle handle, GetVirtualDiskInfoVersion version, out VirtualDiskInformation info)
    {
        if (handle is null)
        {
            info = new VirtualDiskInformation { Version = version };
            return (uint)VirtualDiskError.InvalidParameter;
        }
        var failure = handle.GetInformation(version, out info);
        return failure?.ErrorCode ?? 0;
    }

    /// <summary>CloseHandle for a virtual disk handle.</summary>
    /// <param name="handle">The handle (null is ignored).</param>
    /// <returns>0.</returns>
    public static uint CloseHandle(VirtualDiskHandle? handle)
    {
        handle?.Dispose();
        return 0;
    }
}
