using VirtualDiskManaged.FileSystems;

namespace VirtualDiskManaged.Cli.Check;

/// <summary>
/// The file-system part of <c>vdisk check --deep</c> for ISO-family images (.iso, .udf): opens the file system the
/// library picks by default and runs its <see cref="FileSystemReader.Verify"/>; on a bridge disc (UDF and ISO 9660)
/// the ISO 9660 side is verified too. The CLI only reports what the library finds (docs/filesystems-cli.md).
/// </summary>
internal static class FileSystemDeepCheck
{
    public static List<VirtualDiskDiagnostic> Verify(VirtualDiskHandle handle, CancellationToken cancellationToken = default)
    {
        var problems = new List<VirtualDiskDiagnostic>();
        if (handle.Format != VirtualDiskFormat.Iso) return problems;
        if (!FileSystem.TryOpen(handle, new FileSystemOpenOptions(), out var reader, out var failure))
        {
            // No file system of a kind the library reads is nothing to verify; anything else is the first problem.
            if (failure!.Reason != VirtualDiskErrorReason.FileSystemNotFound) problems.Add(failure);
            return problems;
        }
        using (reader)
        {
            problems.AddRange(VerifyOne(reader!, cancellationToken));
            if (reader!.Namespace == FileSystemNamespace.Udf
                && reader.AvailableNamespaces.FirstOrDefault(n => n is not (FileSystemNamespace.Udf or FileSystemNamespace.Auto)) is var other
                && other != FileSystemNamespace.Auto)
            {
                if (FileSystem.TryOpen(handle, new FileSystemOpenOptions { Namespace = other }, out var iso, out var isoFailure))
                {
                    using (iso) problems.AddRange(VerifyOne(iso!, cancellationToken));
                }
                else if (isoFailure!.Reason != VirtualDiskErrorReason.FileSystemNotFound) problems.Add(isoFailure);
            }
        }
        // A reader without a verify for its kind yet says FileSystemNotFound: nothing of that kind was verified.
        problems.RemoveAll(p => p.Reason == VirtualDiskErrorReason.FileSystemNotFound);
        // The same structure can be reached from two namespaces: each problem once, in the order found.
        var seen = new HashSet<(VirtualDiskErrorReason, string?, long?)>();
        problems.RemoveAll(p => !seen.Add((p.Reason, p.EntryPath, p.Offset)));
        return problems;
    }

    /// <summary>One reader's verify; a damaged structure that stops it is its finding.</summary>
    private static IReadOnlyList<VirtualDiskDiagnostic> VerifyOne(FileSystemReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return reader.Verify(cancellationToken);
        }
        catch (VirtualDiskException e)
        {
            return [e.Diagnostic];
        }
    }
}
