using VirtualDiskManaged.Chain;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.OpenPath;

/// <summary>
/// The one open path behind both API layers: docs/open-path.md §4, steps 1–13 in order, first failure wins.
/// Returns a diagnostic instead of throwing for anything a caller or a file can cause.
/// </summary>
internal static class OpenCore
{
    public static VirtualDiskDiagnostic? Open(OpenRequest request, out VirtualDiskHandle? handle)
    {
        handle = null;
        // Steps 1–6: arguments, before the file is touched.
        var reason = ArgumentRules.CheckArguments(request);
        if (reason != VirtualDiskErrorReason.None) return new(reason, request.Path);

        string path = request.Path!;
        uint deviceId = request.StorageType!.Value.DeviceId;
        // Step 7: a provider named by the device id or the extension; ISO parameter rules now.
        uint provider = ProviderSelector.FromTypeOrExtension(deviceId, path);
        bool chosenByExtension = deviceId == VirtualStorageDeviceId.Unknown && provider != VirtualStorageDeviceId.Unknown;
        if (provider != VirtualStorageDeviceId.Unknown)
        {
            request = request.ForValidation(provider);
            if (provider == VirtualStorageDeviceId.Iso)
            {
                reason = ArgumentRules.CheckIso(request);
                if (reason != VirtualDiskErrorReason.None) return new(reason, path);
            }
        }

        // Steps 8–9: the host file and the host checks. A validation open never takes a file exclusively.
        var failure = HostFile.TryOpen(path, exclusive: request.MayWrite, out var file, writable: request.MayWrite);
        if (failure is not null) return failure;
        DiskLayer? layer = null;
        VirtualDiskHandle? created = null;
        try
        {
            failure = HostChecks.Check(file!, request.Flags, request.Rules);
            if (failure is not null) return failure;

            // Step 10: content detection for other extensions.
            if (provider == VirtualStorageDeviceId.Unknown)
            {
                provider = ProviderSelector.Sniff(file!);
                if (provider == VirtualStorageDeviceId.Unknown)
                    return new(VirtualDiskErrorReason.FormatNotRecognized, file!.Path, "No vhdxfile, conectix or ISO/UDF signature");
                request = request.ForValidation(provider);
                if (provider == VirtualStorageDeviceId.Iso)
                {
                    reason = ArgumentRules.CheckIso(request);
                    if (reason != VirtualDiskErrorReason.None) return new(reason, file!.Path);
                }
            }

            // Step 11: parse and validate.
            bool writable = request.CanWrite && provider != VirtualStorageDeviceId.Iso;
            var context = new OpenContext { File = file!, Request = request, Writable = writable };
            failure = Providers.Open(provider, context, out layer);
            if (failure is not null)
            {
                if (chosenByExtension && ProviderSelector.IsNotThisFormat(failure.Reason))
                {
                    uint actual = ProviderSelector.Sniff(file!);
                    if (actual != VirtualStorageDeviceId.Unknown && actual != provider)
                        failure = new(ProviderSelector.ContentReason(actual), file!.Path, failure.Message, code: failure.Code);
                }
                return failure;
            }
            var warnings = context.Warnings;

            // Step 12: the parent chain.
            if (layer!.ParentLink is not null)
            {
                if (request.OmitParents) layer.ParentsOmitted = true;
                else
                {
                    failure = ParentResolver.Resolve(layer, request, warnings);
                    if (failure is not null) return failure;
                }
            }

            if (request.Strict && warnings.Count > 0) return warnings[0];

            // Step 13: conflicts with other handles of this process.
            HandleTable.Registration? registration = null;
            if (request.ParticipateInSharingRules && !HandleTable.TryRegister(file!.Identity, SharingClass.Of(request), out registration))
                return new(VirtualDiskErrorReason.SharingViolation, file.Path);

            LayerWriter? writer = null;
            if (writable)
            {
                failure = LayerWriters.TryCreate(layer, file!, out writer);
                if (failure is not null)
                {
                    registration?.Dispose();
                    return failure;
                }
            }
            created = new VirtualDiskHandle(layer, request, warnings, registration, writer);
            handle = created;
            return null;
        }
        catch (VirtualDiskException e)
        {
            return e.Diagnostic;
        }
        finally
        {
            if (created is null)
            {
                if (layer is not null) DisposeChain(layer);
                else file!.Dispose();
            }
        }
    }

    internal static void DisposeChain(DiskLayer layer)
    {
        for (DiskLayer? l = layer; l is not null; l = l.Parent) l.Dispose();
    }
}
