namespace VirtualDiskManaged.OpenPath;

/// <summary>docs/open-path.md §3–§5: the argument checks that run before any file is touched, in the order of docs/open-path.md §4.</summary>
internal static class ArgumentRules
{
    private const OpenVirtualDiskFlags DocumentedFlags = OpenVirtualDiskFlags.NoParents | OpenVirtualDiskFlags.BlankFile;
    private const OpenVirtualDiskFlags CurrentFlags = (OpenVirtualDiskFlags)0xFFF;
    private const OpenVirtualDiskFlags IsoForbiddenFlags = OpenVirtualDiskFlags.NoParents | OpenVirtualDiskFlags.BlankFile | OpenVirtualDiskFlags.BootDrive;
    private const VirtualDiskAccessMask IsoForbiddenAccess = VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.Create | VirtualDiskAccessMask.MetaOps;

    /// <summary>Steps 1–6.</summary>
    public static VirtualDiskErrorReason CheckArguments(OpenRequest r)
    {
        // 1. Null pointers.
        if (r.StorageType is null) return VirtualDiskErrorReason.NullStorageType;
        if (r.Path is null) return VirtualDiskErrorReason.NullPath;
        // 2. Access mask inside VIRTUAL_DISK_ACCESS_ALL.
        if ((r.Access & ~VirtualDiskAccessMask.All) != 0) return VirtualDiskErrorReason.AccessMaskInvalid;
        // 3. Flags allowed by the rule set.
        var allowed = r.Rules == OpenRuleSet.Current ? CurrentFlags : DocumentedFlags;
        if ((r.Flags & ~allowed) != 0) return VirtualDiskErrorReason.FlagsNotAllowed;
        // 4. Parameter version (0 never; 3 only under Current).
        if (r.Parameters is { } p)
        {
            bool ok = p.Version switch
            {
                OpenVirtualDiskVersion.Version1 or OpenVirtualDiskVersion.Version2 => true,
                OpenVirtualDiskVersion.Version3 => r.Rules == OpenRuleSet.Current,
                _ => false,
            };
            if (!ok) return VirtualDiskErrorReason.ParametersVersionNotAllowed;
            // 5. Version 2/3 need mask NONE.
            if (p.Version != OpenVirtualDiskVersion.Version1 && r.Access != VirtualDiskAccessMask.None)
                return VirtualDiskErrorReason.AccessMaskMustBeNoneForVersion;
        }
        // 6. Vendor and device id.
        var type = r.StorageType.Value;
        if (type.VendorId != VirtualStorageType.VendorMicrosoft && type.VendorId != VirtualStorageType.VendorUnknown)
            return VirtualDiskErrorReason.VendorNotSupported;
        if (type.DeviceId > VirtualStorageDeviceId.VhdSet) return VirtualDiskErrorReason.DeviceIdNotSupported;
        if (type.DeviceId == VirtualStorageDeviceId.VhdSet) return VirtualDiskErrorReason.VhdSetNotSupported;
        return VirtualDiskErrorReason.None;
    }

    /// <summary>Step 7 / 10: the ISO parameter rules (docs/open-path.md §5).</summary>
    public static VirtualDiskErrorReason CheckIso(OpenRequest r)
    {
        if (r.Parameters is { Version: not OpenVirtualDiskVersion.Version1 }) return VirtualDiskErrorReason.IsoParametersVersionNotAllowed;
        if ((r.Access & IsoForbiddenAccess) != 0) return VirtualDiskErrorReason.IsoAccessNotAllowed;
        if ((r.Flags & IsoForbiddenFlags) != 0) return VirtualDiskErrorReason.IsoFlagsNotAllowed;
        return VirtualDiskErrorReason.None;
    }
}
