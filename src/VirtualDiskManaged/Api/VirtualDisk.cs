using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged;

/// <summary>The .NET layer: open an image and get a handle, or a <see cref="VirtualDiskException"/> saying precisely why not.</summary>
public static partial class VirtualDisk
{
    /// <summary>Opens an image. Throws <see cref="VirtualDiskException"/> (with the Win32 code and reason) when it cannot.</summary>
    /// <param name="path">The image's path.</param>
    /// <param name="options">Options; null for the defaults (detect the format, ATTACH_RO | GET_INFO, documented rules).</param>
    /// <returns>The open handle; dispose it to close every file of its chain.</returns>
    public static VirtualDiskHandle Open(string path, VirtualDiskOpenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!TryOpen(path, options, out var handle, out VirtualDiskDiagnostic? failure)) ThrowHelper.Throw(failure);
        return handle;
    }

    /// <summary>Tries to open an image; on failure <paramref name="error"/> holds the Win32 code.</summary>
    /// <param name="path">The image's path.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <param name="handle">The open handle on success.</param>
    /// <param name="error">The Win32 code on failure; <see cref="VirtualDiskError.Success"/> on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryOpen(string? path, VirtualDiskOpenOptions? options, [NotNullWhen(true)] out VirtualDiskHandle? handle, out VirtualDiskError error)
    {
        bool ok = TryOpen(path, options, out handle, out VirtualDiskDiagnostic? failure);
        error = failure?.Code ?? VirtualDiskError.Success;
        return ok;
    }

    /// <summary>Tries to open an image with the default options; on failure <paramref name="failure"/> holds the code, reason, file and message.</summary>
    /// <param name="path">The image's path.</param>
    /// <param name="handle">The open handle on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryOpen(string? path, [NotNullWhen(true)] out VirtualDiskHandle? handle, [NotNullWhen(false)] out VirtualDiskDiagnostic? failure) =>
        TryOpen(path, null, out handle, out failure);

    /// <summary>Tries to open an image; on failure <paramref name="failure"/> holds the code, reason, file and message.</summary>
    /// <remarks>
    /// With <c>out var</c> for the last argument this overload is chosen (it outranks the <see cref="VirtualDiskError"/>
    /// one); a caller that writes <c>out VirtualDiskError error</c> gets the code-only overload.
    /// </remarks>
    /// <param name="path">The image's path.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <param name="handle">The open handle on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    [OverloadResolutionPriority(1)]
    public static bool TryOpen(string? path, VirtualDiskOpenOptions? options, [NotNullWhen(true)] out VirtualDiskHandle? handle,
        [NotNullWhen(false)] out VirtualDiskDiagnostic? failure)
    {
        options ??= new VirtualDiskOpenOptions();
        var request = new OpenRequest
        {
            StorageType = options.StorageType,
            Path = path,
            Access = options.Access,
            Flags = options.Flags,
            Parameters = options.Parameters,
            Rules = options.Rules,
            Strict = options.Strict,
            RestrictParentsToChildFolder = options.RestrictParentsToChildFolder,
            ParticipateInSharingRules = options.ParticipateInSharingRules,
            ValidationMode = options.ValidationMode,
        };
        failure = OpenCore.Open(request, out handle);
        return failure is null;
    }
}
