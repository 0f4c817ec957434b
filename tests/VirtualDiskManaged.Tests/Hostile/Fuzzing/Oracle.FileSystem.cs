using VirtualDiskManaged.FileSystems;
using VirtualDiskManaged.FileSystems.Iso9660;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// The ISO file-system walk (format "isofs"): open the file system, walk every namespace's whole tree (each
/// directory in its own try, so one damaged directory does not hide the rest), read every file (bounded: the
/// first and last 64 KiB and one random range), follow every symlink's target text, read every El Torito boot
/// image, the system area and the implanted MD5 record, then run the deep check. Allowed: success or a
/// <see cref="VirtualDiskException"/> with a contract code and a defined reason.
/// </summary>
internal sealed partial class Oracle
{
    /// <summary>Entries visited per namespace and files read per mutant (the walk's own caps).</summary>
    public const int MaxWalkEntries = 20_000, MaxFilesRead = 2_000;

    private static readonly (string Name, Combo Run)[] FileSystemCombos =
    [
        ("ISO file system: every namespace walked, files and boot images read", static (Oracle o, string p, string s, ref Prng r) => o.WalkFileSystem(p, ref r)),
        ("ISO file system: deep check", static (Oracle o, string p, string s, ref Prng r) => o.VerifyFileSystem(p)),
    ];

    private static FileStream OpenImage(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);

    private void WalkFileSystem(string path, ref Prng rng)
    {
        using var file = OpenImage(path);
        if (!FileSystem.TryOpen(file, null, out var fs, out var failure))
        {
            Judge(failure!);
            return;
        }
        using (fs)
        {
            Successes++;
            int filesRead = 0;
            foreach (var ns in fs!.AvailableNamespaces)
            {
                if (!FileSystem.TryOpen(file, new FileSystemOpenOptions { Namespace = ns }, out var view, out var nsFailure))
                {
                    Judge(nsFailure!);
                    continue;
                }
                using (view) Walk(view!, ref filesRead, ref rng);
            }
            if (fs is Iso9660FileSystem iso)
            {
                _ = iso.Hybrid.IsIsohybrid;
                _ = iso.ImplantedMd5?.RecordedMd5;
                foreach (var e in iso.BootCatalog?.Entries ?? [])
                {
                    try
                    {
                        using var s = iso.OpenBootImage(e);
                        ReadStreamBounded(s, ref rng);
                    }
                    catch (VirtualDiskException ex) { Judge(ex.Diagnostic); }
                }
            }
        }
    }

    private void Walk(FileSystemReader fs, ref int filesRead, ref Prng rng)
    {
        var pending = new Stack<FileSystemEntry>();
        pending.Push(fs.Root);
        int seen = 0;
        while (pending.Count > 0 && seen < MaxWalkEntries)
        {
            var dir = pending.Pop();
            try
            {
                foreach (var entry in fs.EnumerateDirectory(dir))
                {
                    if (++seen >= MaxWalkEntries) break;
                    _ = entry.Path.Length + entry.Name.Length + (entry.SymlinkTarget?.Length ?? 0);
                    if (entry.IsDirectory) { pending.Push(entry); continue; }
                    if (entry.Kind != FileSystemEntryKind.File || filesRead >= MaxFilesRead) continue;
                    filesRead++;
                    try
                    {
                        using var s = fs.OpenFile(entry);
                        if (s.Length != entry.Length) throw new InvalidOperationException($"{entry.Path}: stream length {s.Length}, entry length {entry.Length}");
                        ReadStreamBounded(s, ref rng);
                    }
                    catch (VirtualDiskException ex) { Judge(ex.Diagnostic); }
                }
            }
            catch (VirtualDiskException ex) { Judge(ex.Diagnostic); }
        }
        // Path lookups of what was listed agree with the listing (a sample: the root's entries).
        try
        {
            // Names that cannot be path components (empty, ".", "..", with "/" or NUL) are the deep check's findings, not lookups.
            foreach (var entry in fs.EnumerateDirectory(fs.Root).Where(e => e.Name.Length > 0 && e.Name is not "." and not ".." && e.Name.IndexOfAny(['/', '\0']) < 0).Take(8))
                if (fs.TryGetEntry(entry.Path, out var again, out _) && again!.Path != entry.Path)
                    throw new InvalidOperationException($"Lookup of {entry.Path} found {again.Path}");
        }
        catch (VirtualDiskException ex) { Judge(ex.Diagnostic); }
    }

    private void ReadStreamBounded(Stream s, ref Prng rng)
    {
        long length = s.Length;
        var buf = _buffer.AsSpan(0, SmallRead);
        int n = s.Read(buf);
        if (n != Math.Min(SmallRead, length)) throw new InvalidOperationException($"Read of the first bytes returned {n} of {Math.Min(SmallRead, length)}");
        if (length > SmallRead)
        {
            s.Position = length - SmallRead;
            s.ReadExactly(buf);
            s.Position = rng.NextLong(length);
            _ = s.Read(buf);
        }
        s.Position = length;
        if (s.Read(buf[..1]) != 0) throw new InvalidOperationException("Read at the end returned data");
    }

    private void VerifyFileSystem(string path)
    {
        using var file = OpenImage(path);
        if (!FileSystem.TryOpen(file, null, out var fs, out var failure))
        {
            Judge(failure!);
            return;
        }
        using (fs)
        {
            foreach (var d in fs!.Verify())
                if (!IsContractCode(d.ErrorCode) || !Enum.IsDefined(d.Reason) || d.Reason == VirtualDiskErrorReason.None)
                    throw new InvalidOperationException($"Finding without a contract code or reason: {d}");
        }
    }

    private void Judge(VirtualDiskDiagnostic d)
    {
        if (!IsContractCode(d.ErrorCode) || !Enum.IsDefined(d.Reason) || d.Reason == VirtualDiskErrorReason.None)
            throw new InvalidOperationException($"Failure without a contract code or reason: {d.Reason} 0x{d.ErrorCode:X8} {d.Message}");
        Failures++;
    }
}
