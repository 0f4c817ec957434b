using VirtualDiskManaged.Create;

namespace VirtualDiskManaged;

public static partial class VirtDisk
{
    /// <summary>
    /// CreateVirtualDisk: makes a new VHD or VHDX (fixed, dynamic or differencing; empty or filled from a source) and
    /// returns its handle, opened read/write. The parameter rules run in the order docs/create.md lists, before any
    /// file is touched; the image is written under a temporary name in the target's folder, flushed and renamed, so
    /// nothing half-made ever stands at <paramref name="path"/>. The security descriptor, provider-specific flags and
    /// OVERLAPPED arguments of the Win32 function have no counterpart (the call is synchronous).
    /// </summary>
    /// <param name="storageType">VHD or VHDX (device id 0: from the extension); null → 87.</param>
    /// <param name="path">The new image's path; null → 87; an existing file → 80 (ERROR_FILE_EXISTS).</param>
    /// <param name="mask">VIRTUAL_DISK_ACCESS_MASK for the returned handle (version 2: must be NONE).</param>
    /// <param name="flags">CREATE_VIRTUAL_DISK_FLAG.</param>
    /// <param name="parameters">CREATE_VIRTUAL_DISK_PARAMETERS version 1 or 2; null → 87.</param>
    /// <param name="handle">The new disk's handle on success; null otherwise.</param>
    /// <returns>0 or a Win32 error code (each failure also has a reason: use <see cref="VirtualDisk.TryCreate(string?, VirtualDiskCreateOptions?, out VirtualDiskHandle?, out VirtualDiskDiagnostic?)"/> to see it).</returns>
    public static uint CreateVirtualDisk(VirtualStorageType? storageType, string? path, VirtualDiskAccessMask mask,
        CreateVirtualDiskFlags flags, CreateVirtualDiskParameters? parameters, out VirtualDiskHandle? handle)
    {
        var failure = CreateVirtualDisk(storageType, path, mask, flags, parameters, out handle, out _);
        return failure;
    }

    /// <summary>As <see cref="CreateVirtualDisk(VirtualStorageType?, string?, VirtualDiskAccessMask, CreateVirtualDiskFlags, CreateVirtualDiskParameters?, out VirtualDiskHandle?)"/>, also giving the failure's reason and message.</summary>
    /// <param name="storageType">VHD or VHDX (device id 0: from the extension).</param>
    /// <param name="path">The new image's path.</param>
    /// <param name="mask">Access mask (version 2: NONE).</param>
    /// <param name="flags">CREATE_VIRTUAL_DISK_FLAG.</param>
    /// <param name="parameters">Version 1 or 2 parameters.</param>
    /// <param name="handle">The handle on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>0 or a Win32 error code.</returns>
    public static uint CreateVirtualDisk(VirtualStorageType? storageType, string? path, VirtualDiskAccessMask mask,
        CreateVirtualDiskFlags flags, CreateVirtualDiskParameters? parameters, out VirtualDiskHandle? handle, out VirtualDiskDiagnostic? failure)
    {
        var request = CreateRequest.FromParameters(storageType, path, mask, flags, parameters);
        failure = CreateCore.Create(request, out handle);
        return failure?.ErrorCode ?? 0;
    }
}
