using System.Diagnostics.CodeAnalysis;
using VirtualDiskManaged.Create;

namespace VirtualDiskManaged;

public static partial class VirtualDisk
{
    /// <summary>
    /// Creates a new VHD or VHDX and returns its handle, opened read/write (as CreateVirtualDisk returns one). Throws
    /// <see cref="VirtualDiskException"/> with the Win32 code and reason when it cannot; nothing is left at
    /// <paramref name="path"/> then. See docs/create.md.
    /// </summary>
    /// <param name="path">The new image's path (must not exist).</param>
    /// <param name="options">Format, type, size, parent or source, block and sector sizes.</param>
    /// <returns>The new image's open handle.</returns>
    public static VirtualDiskHandle Create(string path, VirtualDiskCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        if (!TryCreate(path, options, out var handle, out VirtualDiskDiagnostic? failure)) ThrowHelper.Throw(failure);
        return handle;
    }

    /// <summary>Tries to create an image; on failure <paramref name="error"/> holds the Win32 code.</summary>
    /// <param name="path">The new image's path.</param>
    /// <param name="options">Options; null is refused (ERROR_INVALID_PARAMETER).</param>
    /// <param name="handle">The open handle on success.</param>
    /// <param name="error">The Win32 code on failure; <see cref="VirtualDiskError.Success"/> on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryCreate(string? path, VirtualDiskCreateOptions? options, [NotNullWhen(true)] out VirtualDiskHandle? handle, out VirtualDiskError error)
    {
        bool ok = TryCreate(path, options, out handle, out VirtualDiskDiagnostic? failure);
        error = failure?.Code ?? VirtualDiskError.Success;
        return ok;
    }

    /// <summary>Tries to create an image; on failure <paramref name="failure"/> holds the code, reason, file and message.</summary>
    /// <param name="path">The new image's path.</param>
    /// <param name="options">Options; null is refused (ERROR_INVALID_PARAMETER).</param>
    /// <param name="handle">The open handle on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryCreate(string? path, VirtualDiskCreateOptions? options, [NotNullWhen(true)] out VirtualDiskHandle? handle,
        [NotNullWhen(false)] out VirtualDiskDiagnostic? failure)
    {
        handle = null;
        failure = Validate(path, options);
        if (failure is not null) return false;
        var o = options!;
        var flags = CreateVirtualDiskFlags.None;
        if (o.Type == VirtualDiskCreateType.Fixed) flags |= CreateVirtualDiskFlags.FullPhysicalAllocation;
        if (o.Sparse) flags |= CreateVirtualDiskFlags.SparseFile;
        var request = new CreateRequest
        {
            StorageType = new VirtualStorageType((uint)o.Format, VirtualStorageType.VendorMicrosoft),
            Path = path,
            Access = VirtualDiskAccessMask.None,
            Flags = flags,
            Version = CreateVirtualDiskVersion.Version2,
            UniqueId = o.UniqueId,
            MaximumSize = (ulong)o.Size,
            BlockSize = o.BlockSize,
            SectorSize = (uint)o.LogicalSectorSize,
            PhysicalSectorSize = (uint)o.PhysicalSectorSize,
            ParentPath = o.ParentPath,
            SourcePath = o.SourcePath,
            SourceRaw = o.SourceFormat == VirtualDiskSourceFormat.Raw,
            SourceOpenOptions = o.SourceOpenOptions,
            Progress = o.Progress,
            CancellationToken = o.CancellationToken,
        };
        failure = CreateCore.Create(request, out handle);
        return failure is null;
    }

    /// <summary>The .NET layer's own checks: what the options can say that CREATE_VIRTUAL_DISK_PARAMETERS cannot.</summary>
    private static VirtualDiskDiagnostic? Validate(string? path, VirtualDiskCreateOptions? o)
    {
        if (path is null) return new(VirtualDiskErrorReason.CreateNullPath, null);
        if (o is null) return new(VirtualDiskErrorReason.CreateNullParameters, path);
        if (o.Format is not (VirtualDiskFormat.Vhd or VirtualDiskFormat.Vhdx)) return new(VirtualDiskErrorReason.CreateFormatInvalid, path, $"Format {o.Format}");
        if (o.Size < 0) return new(VirtualDiskErrorReason.CreateSizeTooSmall, path, $"Size {o.Size}");
        if (o.LogicalSectorSize < 0) return new(VirtualDiskErrorReason.CreateSectorSizeInvalid, path, $"LogicalSectorSize {o.LogicalSectorSize}");
        if (o.PhysicalSectorSize < 0) return new(VirtualDiskErrorReason.CreatePhysicalSectorSizeInvalid, path, $"PhysicalSectorSize {o.PhysicalSectorSize}");
        if (o.Type == VirtualDiskCreateType.Differencing && o.ParentPath is null) return new(VirtualDiskErrorReason.CreateTypeNeedsParent, path);
        if (o.Type != VirtualDiskCreateType.Differencing && o.ParentPath is not null) return new(VirtualDiskErrorReason.CreateParentNeedsDifferencing, path, $"Type {o.Type}");
        return null;
    }
}
