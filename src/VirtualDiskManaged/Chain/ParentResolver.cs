using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged.Chain;

/// <summary>
/// docs/open-path.md §10: finds, opens and verifies every parent of a differencing chain. Parents are untrusted paths:
/// only regular files are opened, a file may appear once per chain, the depth is capped, and every path tried
/// is reported when none fits.
/// </summary>
internal static class ParentResolver
{
    public const int MaxDepth = 256;

    /// <summary>Resolves the parents of <paramref name="child"/>; on failure every parent opened so far is closed again.</summary>
    public static VirtualDiskDiagnostic? Resolve(DiskLayer child, OpenRequest request, List<VirtualDiskDiagnostic> warnings)
    {
        var seen = new HashSet<FileIdentity> { child.File.Identity };
        var opened = new List<DiskLayer>();
        var current = child;
        int level = 1; // the child is level 1 (RWDepth counts from it)
        string rootFolder = System.IO.Path.GetDirectoryName(child.File.Path) ?? "/";
        // The tree's real location (every symbolic link resolved): a parent's real path is judged against it.
        string realRoot = request.RestrictParentsToChildFolder ? RealPath(rootFolder) ?? rootFolder : rootFolder;
        while (current.ParentLink is { } link)
        {
            level++;
            if (level > MaxDepth + 1)
                return Fail(opened, new(VirtualDiskErrorReason.ChainTooDeep, current.File.Path, $"More than {MaxDepth} parents"));

            var failure = OpenParent(current, link, request, level, seen, rootFolder, realRoot, warnings, out var parent);
            if (failure is not null)
            {
                // Beyond the first parent, a failure is an error further up the chain (the cause kept inside).
                if (level > 2 && failure.Reason is not (VirtualDiskErrorReason.ChainCycle or VirtualDiskErrorReason.ChainTooDeep or VirtualDiskErrorReason.ErrorInParent))
                    failure = new(VirtualDiskErrorReason.ErrorInParent, current.File.Path, inner: failure); // the file is FilePath; the message does not repeat it
                return Fail(opened, failure);
            }
            opened.Add(parent!);
            current.Parent = parent;
            seen.Add(parent!.File.Identity);
            current = parent;
        }
        return null;
    }

    private static VirtualDiskDiagnostic Fail(List<DiskLayer> opened, VirtualDiskDiagnostic failure)
    {
        foreach (var layer in opened) layer.Dispose();
        return failure;
    }

    private static VirtualDiskDiagnostic? OpenParent(DiskLayer child, ParentLink link, OpenRequest request, int level,
        HashSet<FileIdentity> seen, string rootFolder, string realRoot, List<VirtualDiskDiagnostic> warnings, out DiskLayer? parent)
    {
        parent = null;
        string childPath = child.File.Path;
        var tried = new List<string>();
        VirtualDiskDiagnostic? firstMismatch = null;
        bool skippedOutside = false;
        foreach (var candidate in Candidates(child, link, request))
        {
            if (tried.Contains(candidate)) continue;
            tried.Add(candidate);
            if (request.RestrictParentsToChildFolder && !IsInside(candidate, rootFolder)) { skippedOutside = true; continue; }

            var hostFailure = HostFile.TryOpen(candidate, exclusive: request.MayWrite && level <= request.RWDepth, out var file, asParent: true);
            if (hostFailure is not null)
            {
                switch (hostFailure.Reason)
                {
                    case VirtualDiskErrorReason.FileNotFound or VirtualDiskErrorReason.PathNotFound or VirtualDiskErrorReason.EmptyPath:
                        continue;
                    case VirtualDiskErrorReason.PathIsDirectory or VirtualDiskErrorReason.NotARegularFile:
                        return new(VirtualDiskErrorReason.ParentNotARegularFile, candidate, $"Locator of {childPath}");
                    case VirtualDiskErrorReason.PermissionDenied or VirtualDiskErrorReason.SharingViolationOtherProcess or VirtualDiskErrorReason.SharingViolation:
                        return new(VirtualDiskErrorReason.ParentAccessDenied, candidate, hostFailure.Detail);
                    default:
                        return new(VirtualDiskErrorReason.ErrorInParent, candidate, inner: hostFailure);
                }
            }

            if (request.RestrictParentsToChildFolder && (RealPath(file!.Path) is not { } real || !IsInside(real, realRoot)))
            {
                file.Dispose();
                skippedOutside = true;
                continue;
            }
            if (seen.Contains(file!.Identity))
            {
                file.Dispose();
                return new(VirtualDiskErrorReason.ChainCycle, candidate, $"Named as the parent of {childPath}");
            }

            var hostCheck = HostChecks.Check(file, request.Flags, request.Rules);
            if (hostCheck is not null)
            {
                file.Dispose();
                return new(VirtualDiskErrorReason.ErrorInParent, candidate, inner: hostCheck);
            }

            var context = new OpenContext { File = file, Request = request };
            VirtualDiskDiagnostic? parseFailure;
            DiskLayer? layer;
            try
            {
                parseFailure = Providers.Open(link.ParentDeviceId, context, out layer);
            }
            catch (VirtualDiskException e)
            {
                parseFailure = e.Diagnostic;
                layer = null;
            }
            if (parseFailure is not null)
            {
                file.Dispose();
                if (ProviderSelector.IsNotThisFormat(parseFailure.Reason))
                {
                    // The locator leads to a file of another format: not this child's parent.
                    firstMismatch ??= new(VirtualDiskErrorReason.ParentFormatMismatch, candidate, parseFailure.Message);
                    continue;
                }
                return new(VirtualDiskErrorReason.ErrorInParent, candidate, inner: parseFailure.WithFile(candidate));
            }

            var (reason, detail) = link.Verify(layer!);
            if (reason is VirtualDiskErrorReason.ParentIdMismatch or VirtualDiskErrorReason.ParentFormatMismatch)
            {
                layer!.Dispose();
                firstMismatch ??= new(reason, candidate, detail);
                continue;
            }
            if (layer!.VirtualSize != child.VirtualSize)
            {
                layer.Dispose();
                return new(VirtualDiskErrorReason.ParentSizeMismatch, candidate,
                    $"Parent {layer.VirtualSize} bytes, child {child.VirtualSize} bytes ({childPath})");
            }
            if (reason == VirtualDiskErrorReason.ParentTimestampMismatch)
            {
                warnings.Add(new(reason, candidate, detail));
            }
            else if (reason != VirtualDiskErrorReason.None)
            {
                layer.Dispose();
                return new(reason, candidate, detail);
            }

            warnings.AddRange(context.Warnings);
            // Grandparents are resolved by the caller's loop; a failure there is an error in a parent.
            if (layer.ParentLink is not null && request.OmitParents) layer.ParentsOmitted = true;
            parent = layer;
            return null;
        }

        if (firstMismatch is not null) return firstMismatch;
        return new(skippedOutside ? VirtualDiskErrorReason.ParentOutsideAllowedTree : VirtualDiskErrorReason.ParentNotFound,
            childPath, pathsTried: tried); // FilePath is the child whose locators were tried; Message lists the paths
    }

    /// <summary>Candidate full paths, in locator order, with Windows separators converted and relative paths taken from the child's folder.</summary>
    internal static IEnumerable<string> Candidates(DiskLayer child, ParentLink link, OpenRequest request)
    {
        string folder = System.IO.Path.GetDirectoryName(child.File.Path) ?? ".";
        bool ignoreRelative = (request.Flags & OpenVirtualDiskFlags.IgnoreRelativeParentLocator) != 0;
        foreach (var locator in link.Locators)
        {
            if (locator.IsRelative && ignoreRelative && locator.Kind != "ParentName") continue;
            if (locator.WindowsOnly && !OperatingSystem.IsWindows()) continue;
            string? candidate = ToCandidate(locator, folder);
            if (candidate is not null) yield return candidate;
        }
    }

    internal static string? ToCandidate(ParentLocator locator, string childFolder)
    {
        string stored = locator.Path.TrimEnd('\0').Trim();
        if (stored.Length == 0) return null;
        if (locator.Kind == "ParentName")
        {
            // The parent's name may hold a whole Windows path: only its file-name part is tried, beside the child.
            int cut = stored.LastIndexOfAny(['\\', '/']);
            string name = cut >= 0 ? stored[(cut + 1)..] : stored;
            return name.Length == 0 ? null : Combine(childFolder, name);
        }
        if (stored.StartsWith(@"\\?\", StringComparison.Ordinal) && !stored.StartsWith(@"\\?\UNC\", StringComparison.OrdinalIgnoreCase))
            stored = stored[4..];
        bool windowsAbsolute = stored.Length >= 3 && char.IsAsciiLetter(stored[0]) && stored[1] == ':' && (stored[2] == '\\' || stored[2] == '/');
        bool uncOrVolume = stored.StartsWith(@"\\", StringComparison.Ordinal) || stored.StartsWith("Volume{", StringComparison.OrdinalIgnoreCase);
        if (OperatingSystem.IsWindows())
        {
            if (locator.IsRelative && !windowsAbsolute && !uncOrVolume) return Combine(childFolder, stored);
            return SafeFullPath(stored);
        }
        // Off Windows, drive-letter, UNC and volume paths cannot be resolved.
        if (windowsAbsolute || uncOrVolume) return null;
        string posix = stored.Replace('\\', '/');
        if (posix.StartsWith('/')) return locator.IsRelative ? Combine(childFolder, posix.TrimStart('/')) : SafeFullPath(posix);
        return Combine(childFolder, posix);
    }

    private static string? Combine(string folder, string relative)
    {
        relative = OperatingSystem.IsWindows() ? relative.Replace('/', '\\') : relative.Replace('\\', '/');
        return SafeFullPath(System.IO.Path.Combine(folder, relative));
    }

    private static string? SafeFullPath(string path)
    {
        try { return System.IO.Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
    }

    private static bool IsInside(string path, string folder)
    {
        string f = System.IO.Path.TrimEndingDirectorySeparator(folder) + System.IO.Path.DirectorySeparatorChar;
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return path.StartsWith(f, comparison);
    }

    /// <summary>
    /// The path with every symbolic link resolved, component by component (like realpath(3)): a link anywhere on the
    /// path — the file itself or any folder above it — may lead out of the tree. Null for a link loop (more than 40 hops).
    /// </summary>
    internal static string? RealPath(string path)
    {
        string full;
        try { full = System.IO.Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        string root = System.IO.Path.GetPathRoot(full) ?? "/";
        char[] separators = [System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar];
        var pending = new Stack<string>(full[root.Length..].Split(separators, StringSplitOptions.RemoveEmptyEntries).Reverse());
        string current = root;
        int hops = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".") continue;
            if (part == "..") { current = System.IO.Path.GetDirectoryName(current) ?? root; continue; }
            string next = System.IO.Path.Combine(current, part);
            string? target;
            try { target = new FileInfo(next).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { target = null; }
            if (target is null) { current = next; continue; }
            if (++hops > 40) return null;
            if (System.IO.Path.IsPathRooted(target))
            {
                current = System.IO.Path.GetPathRoot(target) ?? root;
                target = target[current.Length..];
            }
            foreach (string t in target.Split(separators, StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(t);
        }
        return current;
    }
}
