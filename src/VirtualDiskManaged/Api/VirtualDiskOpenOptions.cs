namespace VirtualDiskManaged;

/// <summary>Options of <see cref="VirtualDisk.Open"/>. The defaults mirror a plain OpenVirtualDisk call.</summary>
public sealed record VirtualDiskOpenOptions
{
    /// <summary>Storage type; default: unknown device and vendor (detect).</summary>
    public VirtualStorageType StorageType { get; init; } = VirtualStorageType.Auto;

    /// <summary>Access mask; default ATTACH_RO | GET_INFO.</summary>
    public VirtualDiskAccessMask Access { get; init; } = VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo;

    /// <summary>Open flags; default none.</summary>
    public OpenVirtualDiskFlags Flags { get; init; }

    /// <summary>Parameters; null means version 1 with RWDepth 1.</summary>
    public OpenVirtualDiskParameters? Parameters { get; init; }

    /// <summary>Which reading of the rules applies; default <see cref="OpenRuleSet.Documented"/>.</summary>
    public OpenRuleSet Rules { get; init; } = OpenRuleSet.Documented;

    /// <summary>Turn warnings into failures (each warning's reason has a code for that).</summary>
    public bool Strict { get; init; }

    /// <summary>Only accept parents inside the child's folder tree (refuse locators that lead elsewhere).</summary>
    public bool RestrictParentsToChildFolder { get; init; }

    /// <summary>Take part in the in-process handle-conflict rules (docs/open-path.md §11). Validators turn this off.</summary>
    public bool ParticipateInSharingRules { get; init; } = true;

    /// <summary>
    /// Validation mode (what <c>vdisk check</c> uses): once the format is known, VHD/VHDX open with version 2
    /// read-only parameters and ISO with the READ mask, whatever <see cref="Access"/> and <see cref="Parameters"/> say,
    /// and the open never conflicts with other handles of this process.
    /// </summary>
    public bool ValidationMode { get; init; }

    /// <summary>Options for validation (see <see cref="ValidationMode"/>).</summary>
    public static VirtualDiskOpenOptions ForValidation => new() { ValidationMode = true, ParticipateInSharingRules = false };
}
