using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.OpenPath;

/// <summary>The arguments of one open, as the core sees them.</summary>
internal sealed record OpenRequest
{
    public VirtualStorageType? StorageType { get; init; }
    public string? Path { get; init; }
    public VirtualDiskAccessMask Access { get; init; }
    public OpenVirtualDiskFlags Flags { get; init; }
    public OpenVirtualDiskParameters? Parameters { get; init; }
    public OpenRuleSet Rules { get; init; }
    public bool Strict { get; init; }
    public bool RestrictParentsToChildFolder { get; init; }
    public bool ParticipateInSharingRules { get; init; } = true;
    public bool ValidationMode { get; init; }

    /// <summary>The effective version: null parameters mean version 1.</summary>
    public OpenVirtualDiskVersion Version => Parameters?.Version ?? OpenVirtualDiskVersion.Version1;

    /// <summary>Version 1 RWDepth (default 1).</summary>
    public uint RWDepth => Version == OpenVirtualDiskVersion.Version1 ? Parameters?.RWDepth ?? OpenVirtualDiskParameters.DefaultRWDepth : 0;

    /// <summary>Whether this open could write (it takes its files exclusively): ATTACH_RW/CREATE/METAOPS, or V2/V3 ReadOnly = false.</summary>
    public bool MayWrite => Version == OpenVirtualDiskVersion.Version1
        ? (Access & VirtualDiskAccessMask.Writable) != 0
        : Parameters is { ReadOnly: false, GetInfoOnly: false };

    /// <summary>Whether the handle may write (docs/write.md): version 1 with ATTACH_RW, or version 2/3 with ReadOnly = false.</summary>
    public bool CanWrite => Version == OpenVirtualDiskVersion.Version1
        ? (Access & VirtualDiskAccessMask.AttachRW) != 0
        : Parameters is { ReadOnly: false, GetInfoOnly: false };

    public bool OmitParents => (Flags & (OpenVirtualDiskFlags.NoParents | OpenVirtualDiskFlags.CustomDiffChain)) != 0;

    /// <summary>Validation mode: once the format is known, VHD/VHDX use V2 read-only and ISO the READ mask.</summary>
    public OpenRequest ForValidation(uint deviceId) => !ValidationMode ? this : deviceId == VirtualStorageDeviceId.Iso
        ? this with { Access = VirtualDiskAccessMask.Read, Parameters = null, Flags = Flags & ~(OpenVirtualDiskFlags.NoParents | OpenVirtualDiskFlags.BlankFile | OpenVirtualDiskFlags.BootDrive) }
        : this with { Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true) };
}

/// <summary>What a format provider gets: the opened file, the request, and where to put warnings.</summary>
internal sealed class OpenContext
{
    public required HostFile File { get; init; }
    public required OpenRequest Request { get; init; }
    public List<VirtualDiskDiagnostic> Warnings { get; } = [];

    /// <summary>The file is the top of a handle that may write: a pending VHDX log is replayed into it (docs/write.md).</summary>
    public bool Writable { get; init; }

    /// <summary>Adds a warning about this context's file.</summary>
    public void Warn(VirtualDiskErrorReason reason, string? detail = null, long? offset = null) =>
        Warnings.Add(new VirtualDiskDiagnostic(reason, File.Path, detail, offset));
}
