using System.IO.Enumeration;
using FileSystemEntryKind = VirtualDiskManaged.FileSystems.FileSystemEntryKind;
using PosixFileType = VirtualDiskManaged.FileSystems.PosixFileType;
using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.IsoBuild;

/// <summary>
/// Builds an ISO 9660 image (levels 1–3) with optional Joliet and Rock Ridge trees and El Torito BIOS and UEFI
/// boot entries. Add entries, then <see cref="Build(string, IProgress{IsoBuildProgress}?, CancellationToken)"/>:
/// the output is streamed (memory grows with the number of entries, never with file sizes), the same inputs and
/// time stamp give byte-identical images, and the file appears at its path only when complete (docs/mkiso.md).
/// Not thread-safe while adding entries.
/// </summary>
public sealed class IsoImageBuilder
{
    private readonly BuildNode _root;
    private readonly IsoBuildOptions _options;
    private readonly DateTimeOffset _time;
    private readonly Dictionary<(ulong, ulong), BuildNode> _hostLinks = [];

    /// <summary>Creates a builder for an empty tree.</summary>
    public IsoImageBuilder(IsoBuildOptions? options = null)
    {
        _options = options ?? new IsoBuildOptions();
        if (_options.InterchangeLevel is < 1 or > 3) Fail(VirtualDiskErrorReason.IsoBuildOptionInvalid, null, "The interchange level must be 1, 2 or 3");
        if (_options.VolumeId.Length > 32 || _options.VolumeId.Any(c => c is < ' ' or > '~')) Fail(VirtualDiskErrorReason.IsoBuildOptionInvalid, null, "The volume identifier must be at most 32 printable ASCII characters");
        if (_options.BiosLoadSectors is < 1 or > 65535) Fail(VirtualDiskErrorReason.IsoBuildOptionInvalid, null, "The BIOS load size must be 1 to 65535 sectors");
        _time = _options.Timestamp ?? SourceDateEpoch() ?? DateTimeOffset.UtcNow;
        _time = DateTimeOffset.FromUnixTimeSeconds(_time.ToUnixTimeSeconds());
        _root = NewDirectory("", null);
    }

    /// <summary>The time stamp every volume and directory date carries, and the upper bound of file times.</summary>
    public DateTimeOffset Timestamp => _time;

    /// <summary>Reads <c>SOURCE_DATE_EPOCH</c> (seconds since 1970, UTC) as reproducible-builds.org defines it; null when unset.</summary>
    public static DateTimeOffset? SourceDateEpoch()
    {
        string? value = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!long.TryParse(value.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long seconds)
            || seconds > 253402300799)
            Fail(VirtualDiskErrorReason.IsoBuildOptionInvalid, null, $"SOURCE_DATE_EPOCH is not a count of seconds: '{value}'");
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    /// <summary>Adds a directory (and any missing parents) at an absolute image path such as <c>/boot/grub</c>.</summary>
    public void AddDirectory(string imagePath, DateTimeOffset? modificationTime = null, int mode = 0x1ED)
    {
        var (parent, name) = Parent(imagePath, create: true);
        AddDirectoryNode(parent, name, modificationTime, mode, imagePath);
    }

    private BuildNode AddDirectoryNode(BuildNode parent, string name, DateTimeOffset? modificationTime, int mode, string? imagePath)
    {
        if (parent.Dir!.TryGet(name, out var existing))
        {
            if (!existing.IsDirectory) Fail(VirtualDiskErrorReason.IsoBuildDuplicatePath, imagePath ?? BuildNode.PathOf(parent, name), "A file of that name exists");
            return existing;
        }
        var node = NewDirectory(name, parent);
        node.Seconds = Clamp(modificationTime ?? _time);
        node.Mode = (short)(mode & 0xFFF);
        parent.Dir.Add(node);
        return node;
    }

    /// <summary>Adds a file whose bytes are read from <paramref name="sourcePath"/> when the image is written.</summary>
    public void AddFile(string imagePath, string sourcePath)
    {
        var info = new FileInfo(sourcePath);
        if (!info.Exists) Fail(VirtualDiskErrorReason.IsoBuildSourceMissing, imagePath, $"Source: {sourcePath}");
        var (parent, name) = Parent(imagePath, create: true);
        AddHostFile(parent, name, info, info.DirectoryName, imagePath);
    }

    /// <summary>
    /// A host file: its folder string is shared by every file of that folder and its name is the node's own, so a
    /// file costs no path string of its own; host hard links (st_nlink &gt; 1) become image hard links.
    /// </summary>
    private void AddHostFile(BuildNode parent, string name, FileInfo info, string? folder, string? imagePath)
    {
        int mode = OperatingSystem.IsWindows() ? 0x1A4 : (int)info.UnixFileMode & 0xFFF;
        object source = folder is not null && info.Name == name ? folder : new HostPath(info.FullName);
        ulong device = 0, inode = 0, links = 0;
        if (!OperatingSystem.IsWindows() && UnixNative.TryStatLinks(info.FullName, out uint st, out device, out inode, out links, out ulong rdev)
            && AddedAsSpecial(parent, name, (int)st, rdev, info.LastWriteTimeUtc, imagePath)) return;
        AddHostFile(parent, name, source, info.Length, info.LastWriteTimeUtc, mode, links > 1, device, inode, imagePath);
    }

    /// <summary>A host device node, FIFO or socket becomes a special-file node (never opened: reading a FIFO would block).</summary>
    private bool AddedAsSpecial(BuildNode parent, string name, int stMode, ulong rdev, DateTimeOffset lastWriteUtc, string? imagePath)
    {
        int type = stMode & PosixFileType.Mask;
        if (!PosixFileType.IsSpecial(type)) return false;
        AddSpecialNode(parent, name, new SpecialFile(type, UnixNative.DeviceMajor(rdev), UnixNative.DeviceMinor(rdev)), lastWriteUtc, stMode, imagePath);
        return true;
    }

    /// <summary>
    /// Adds a device node, FIFO or socket (<paramref name="kind"/> one of <see cref="FileSystemEntryKind.CharacterDevice"/>,
    /// <see cref="FileSystemEntryKind.BlockDevice"/>, <see cref="FileSystemEntryKind.Fifo"/>,
    /// <see cref="FileSystemEntryKind.Socket"/>). Rock Ridge records its type (PX) and a device's number (PN); the
    /// ISO 9660 tree holds an empty file of that name; Joliet leaves it out. Host special files found by
    /// <see cref="AddTree"/> or given to <see cref="AddFile(string, string)"/> are added this way, never opened.
    /// </summary>
    public void AddSpecialFile(string imagePath, FileSystemEntryKind kind, uint major = 0, uint minor = 0, DateTimeOffset? modificationTime = null, int mode = 0x1A4)
    {
        int type = PosixFileType.SpecialTypeBits(kind);
        if (type == 0) throw new ArgumentOutOfRangeException(nameof(kind), kind, "A device node, FIFO or socket");
        if (type is PosixFileType.Fifo or PosixFileType.Socket && (major | minor) != 0)
            throw new ArgumentException("Only device nodes have a device number", nameof(major));
        var (parent, name) = Parent(imagePath, create: true);
        AddSpecialNode(parent, name, new SpecialFile(type, major, minor), modificationTime ?? _time, mode, imagePath);
    }

    private void AddSpecialNode(BuildNode parent, string name, SpecialFile special, DateTimeOffset time, int mode, string? imagePath)
    {
        if (parent.Dir!.TryGet(name, out _)) Fail(VirtualDiskErrorReason.IsoBuildDuplicatePath, imagePath ?? BuildNode.PathOf(parent, name));
        parent.Dir.Add(new BuildNode(name, BuildNodeKind.Special, special) { Seconds = Clamp(time), Mode = (short)(mode & 0xFFF) });
    }

    private void AddHostFile(BuildNode parent, string name, object source, long length, DateTimeOffset lastWriteUtc, int mode, bool linked, ulong device, ulong inode, string? imagePath)
    {
        if (linked)
        {
            if (_hostLinks.TryGetValue((device, inode), out var owner)) source = owner;
            else
            {
                owner = AddFileNode(parent, name, source, length, lastWriteUtc, mode, imagePath);
                _hostLinks[(device, inode)] = owner;
                return;
            }
        }
        AddFileNode(parent, name, source, length, lastWriteUtc, mode, imagePath);
    }

    /// <summary>Adds a file of <paramref name="length"/> bytes read from the stream <paramref name="open"/> returns when the image is written.</summary>
    public void AddFile(string imagePath, Func<Stream> open, long length, DateTimeOffset? modificationTime = null, int mode = 0x1A4)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var (parent, name) = Parent(imagePath, create: true);
        AddFileNode(parent, name, open, length, modificationTime ?? _time, mode, imagePath);
    }

    /// <summary>Adds a file holding <paramref name="content"/>.</summary>
    public void AddFile(string imagePath, ReadOnlyMemory<byte> content, DateTimeOffset? modificationTime = null, int mode = 0x1A4)
    {
        var copy = content.ToArray();
        AddFile(imagePath, () => new MemoryStream(copy, writable: false), copy.Length, modificationTime, mode);
    }

    /// <summary>Adds a symbolic link (recorded in the Rock Ridge tree only; Joliet and ISO 9660 have none).</summary>
    public void AddSymlink(string imagePath, string target, DateTimeOffset? modificationTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        var (parent, name) = Parent(imagePath, create: true);
        AddSymlinkNode(parent, name, target, modificationTime, imagePath);
    }

    private void AddSymlinkNode(BuildNode parent, string name, string target, DateTimeOffset? modificationTime, string? imagePath)
    {
        if (parent.Dir!.TryGet(name, out _)) Fail(VirtualDiskErrorReason.IsoBuildDuplicatePath, imagePath ?? BuildNode.PathOf(parent, name));
        parent.Dir.Add(new BuildNode(name, BuildNodeKind.Symlink, target) { Seconds = Clamp(modificationTime ?? _time), Mode = 0x1FF });
    }

    /// <summary>Adds a second name for an already added file: both names share one extent (a hard link).</summary>
    public void AddHardLink(string imagePath, string existingImagePath)
    {
        var existing = Find(existingImagePath);
        if (existing is null || existing.Kind != BuildNodeKind.File) Fail(VirtualDiskErrorReason.IsoBuildSourceMissing, existingImagePath, "No file at that image path");
        var (parent, name) = Parent(imagePath, create: true);
        AddFileNode(parent, name, existing.Data, existing.Data.Length, existing.ModificationTime, existing.Mode, imagePath);
    }

    /// <summary>
    /// Adds the contents of a host folder below <paramref name="imagePath"/>: files, folders and symbolic links
    /// (links are recorded, never followed); host hard links stay hard links; device nodes, FIFOs and sockets are
    /// recorded as such (<see cref="AddSpecialFile"/>), never opened. The walk holds one folder's entries
    /// at a time and adds each straight to its image directory (docs/mkiso.md "Memory").
    /// </summary>
    public void AddTree(string sourceDirectory, string imagePath = "/")
    {
        var root = new DirectoryInfo(sourceDirectory);
        if (!root.Exists) Fail(VirtualDiskErrorReason.IsoBuildSourceMissing, imagePath, $"Source folder: {sourceDirectory}");
        BuildNode top = _root;
        if (imagePath != "/")
        {
            var (parent, name) = Parent(imagePath, create: true);
            top = AddDirectoryNode(parent, name, root.LastWriteTimeUtc, DirectoryMode(root), imagePath);
        }
        var pending = new Stack<(string Folder, BuildNode Node, int Depth)>();
        pending.Push((root.FullName, top, 0));
        var garbage = new IsoGarbageBound();
        var items = new List<WalkItem>();
        var everything = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false, ReturnSpecialDirectories = false };
        while (pending.Count > 0)
        {
            var (folder, node, depth) = pending.Pop();
            if (depth >= 4096) Fail(VirtualDiskErrorReason.IsoBuildOptionInvalid, node.DirectoryPath, "The source tree is deeper than 4096 levels");
            items.Clear();
            // Regular files yield their name, length and time only (no FileInfo per file); folders and links keep
            // their FileSystemInfo (few), so they are read exactly as before.
            try
            {
                items.AddRange(new FileSystemEnumerable<WalkItem>(folder, static (ref FileSystemEntry e) =>
                    e.IsDirectory || (e.Attributes & FileAttributes.ReparsePoint) != 0
                        ? new WalkItem(e.FileName.ToString(), e.ToFileSystemInfo(), 0, default)
                        : new WalkItem(e.FileName.ToString(), null, e.Length, e.LastWriteTimeUtc), everything));
            }
            catch (Exception e) when (IsHostError(e)) { FailSource(folder, e); }
            items.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (var item in items)
            {
                garbage.Check();
                string name = item.Name;
                ValidateName(name, null, node);
                try
                {
                    if (item.Info is null) AddWalkedFile(node, name, folder, item);
                    else if (item.Info.LinkTarget is string link) AddSymlinkNode(node, name, link, item.Info.LastWriteTimeUtc, null);
                    else if (item.Info is DirectoryInfo sub)
                    {
                        var child = AddDirectoryNode(node, name, sub.LastWriteTimeUtc, DirectoryMode(sub), null);
                        pending.Push((sub.FullName, child, depth + 1));
                    }
                    else if (item.Info is FileInfo file) AddHostFile(node, name, file, folder, null);
                }
                catch (Exception e) when (IsHostError(e)) { FailSource(Path.Join(folder, name), e); }
            }
            node.Dir!.Trim();
        }
    }

    /// <summary>One entry of a host folder as the walk sees it: a regular file's name, length and time, or a folder's or link's info.</summary>
    private readonly record struct WalkItem(string Name, FileSystemInfo? Info, long Length, DateTimeOffset LastWriteUtc);

    /// <summary>A regular file found by the walk: one stat(2) gives its mode and hard-link identity.</summary>
    private void AddWalkedFile(BuildNode parent, string name, string folder, in WalkItem item)
    {
        if (OperatingSystem.IsWindows())
        {
            AddHostFile(parent, name, folder, item.Length, item.LastWriteUtc, 0x1A4, false, 0, 0, null);
            return;
        }
        string path = Path.Join(folder, name);
        if (!UnixNative.TryStatLinks(path, out uint mode, out ulong device, out ulong inode, out ulong links, out ulong rdev))
        {
            var info = new FileInfo(path);
            if (!info.Exists) FailSource(path, new FileNotFoundException("The file the folder listed cannot be found by its name", path));
            AddHostFile(parent, name, info, folder, null);
            return;
        }
        if (AddedAsSpecial(parent, name, (int)mode, rdev, item.LastWriteUtc, null)) return;
        AddHostFile(parent, name, folder, item.Length, item.LastWriteUtc, (int)mode & 0xFFF, links > 1, device, inode, null);
    }

    /// <summary>Whether an entry exists at an absolute image path.</summary>
    public bool Contains(string imagePath) => Find(imagePath) is not null;

    /// <summary>
    /// Writes the image to <paramref name="outputPath"/> and returns its size in bytes. A regular file (new or replaced)
    /// is written under a temporary name in the same folder, flushed and renamed, so a half-written image never stands
    /// at the path; a symbolic link gets the image at what it names (the link stays). A device, FIFO or socket that
    /// exists there (a USB stick's block device, /dev/stdout on a pipe) is written in place, every block including the
    /// zeros (runs of zeros become holes only in a regular file written at its end). A path that names one of the
    /// image's own source files is refused (<see cref="VirtualDiskErrorReason.IsoBuildOutputIsSource"/>).
    /// </summary>
    public long Build(string outputPath, IProgress<IsoBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string full = Path.GetFullPath(outputPath);
        if (File.Exists(full) && !IsRegularFile(full))
        {
            // Opened by the path given: /proc/self/fd/N and /dev/stdout are links the kernel resolves, not paths to follow.
            using var device = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 256 * 1024, FileOptions.None);
            long written = Build(device, progress, cancellationToken);
            device.Flush();
            return written;
        }
        if (new FileInfo(full).LinkTarget is not null && File.ResolveLinkTarget(full, returnFinalTarget: true) is { } final) full = Path.GetFullPath(final.FullName);
        string folder = Path.GetDirectoryName(full) ?? ".";
        if (File.Exists(full) && IsSource(folder, Path.GetFileName(full))) Fail(VirtualDiskErrorReason.IsoBuildOutputIsSource, null, $"Output: {full}");
        string temp = Path.Combine(folder, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var writer = new IsoImageWriter(_root, _options, _time);
        try
        {
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 256 * 1024, FileOptions.None))
            {
                writer.Write(output, progress, cancellationToken);
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            return writer.ComputedSize;
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Whether an existing path is a regular file (not a device, FIFO or socket), following links.</summary>
    private static bool IsRegularFile(string path)
    {
        if (OperatingSystem.IsWindows()) return (File.GetAttributes(path) & FileAttributes.Device) == 0;
        return !UnixNative.TryStat(path, out uint mode, out _, out _) || (mode & UnixNative.S_IFMT) == UnixNative.S_IFREG;
    }

    /// <summary>Whether a host file of the tree is <paramref name="folder"/>/<paramref name="name"/> (by path; one pass over the tree, no allocation per file).</summary>
    private bool IsSource(string folder, string name)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var pending = new Stack<BuildNode>();
        pending.Push(_root);
        while (pending.Count > 0)
            foreach (var c in pending.Pop().Children)
            {
                if (c.IsDirectory) pending.Push(c);
                else if (c.Kind == BuildNodeKind.File && c.Data.IsHostFile(folder, name, comparison)) return true;
            }
        return false;
    }

    /// <summary>Writes the image to a stream (sequentially; it need not be seekable) and returns its size in bytes.</summary>
    public long Build(Stream output, IProgress<IsoBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new IsoImageWriter(_root, _options, _time);
        writer.Write(output, progress, cancellationToken);
        return writer.ComputedSize;
    }

    /// <summary>The image's size in bytes, as <see cref="Build(Stream, IProgress{IsoBuildProgress}?, CancellationToken)"/> would write it.</summary>
    public long ComputeSize() => new IsoImageWriter(_root, _options, _time).ComputeSize();

    private static int DirectoryMode(DirectoryInfo d) => OperatingSystem.IsWindows() ? 0x1ED : (int)d.UnixFileMode & 0xFFF;

    private long Clamp(DateTimeOffset t) => Math.Min(t.ToUnixTimeSeconds(), _time.ToUnixTimeSeconds());

    private BuildNode AddFileNode(BuildNode parent, string name, object source, long length, DateTimeOffset time, int mode, string? imagePath)
    {
        if (length > IsoImageWriter.MaxFileLength(_options.InterchangeLevel))
            Fail(VirtualDiskErrorReason.IsoBuildFileTooLarge, imagePath ?? BuildNode.PathOf(parent, name), $"{length} bytes at interchange level {_options.InterchangeLevel}");
        if (parent.Dir!.TryGet(name, out _)) Fail(VirtualDiskErrorReason.IsoBuildDuplicatePath, imagePath ?? BuildNode.PathOf(parent, name));
        var node = new BuildNode(name, BuildNodeKind.File, source) { Length = length, Seconds = Clamp(time), Mode = (short)(mode & 0xFFF) };
        node.Data.LinkCount++;
        parent.Dir.Add(node);
        return node;
    }

    private BuildNode NewDirectory(string name, BuildNode? parent) =>
        new(name, BuildNodeKind.Directory, new DirectoryPart(parent)) { Seconds = _time.ToUnixTimeSeconds(), Mode = 0x1ED };

    private BuildNode? Find(string imagePath)
    {
        var node = _root;
        foreach (var part in Components(imagePath))
            if (node.Dir is null || !node.Dir.TryGet(part, out node)) return null;
        return node;
    }

    private (BuildNode Parent, string Name) Parent(string imagePath, bool create)
    {
        var parts = Components(imagePath);
        if (parts.Length == 0) Fail(VirtualDiskErrorReason.IsoBuildPathInvalid, imagePath, "The root cannot be added");
        var node = _root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (!node.Dir!.TryGet(parts[i], out var next))
            {
                if (!create) Fail(VirtualDiskErrorReason.IsoBuildPathInvalid, imagePath);
                next = NewDirectory(parts[i], node);
                node.Dir.Add(next);
            }
            if (!next.IsDirectory) Fail(VirtualDiskErrorReason.IsoBuildPathInvalid, imagePath, $"'{parts[i]}' is not a directory");
            node = next;
        }
        return (node, parts[^1]);
    }

    /// <summary>The components of an image path; refuses empty, ".", "..", NUL and names over 255 UTF-8 bytes.</summary>
    private static string[] Components(string imagePath)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        var parts = imagePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var p in parts) ValidateName(p, imagePath, null);
        return parts;
    }

    /// <summary>Refuses a name component that is ".", "..", holds NUL or is over 255 UTF-8 bytes (the Rock Ridge NM limit of most readers).</summary>
    private static void ValidateName(string p, string? imagePath, BuildNode? parent)
    {
        if (p is "." or ".." || p.Contains('\0') || System.Text.Encoding.UTF8.GetByteCount(p) > 255)
            Fail(VirtualDiskErrorReason.IsoBuildPathInvalid, imagePath ?? BuildNode.PathOf(parent!, p), $"Component '{p.Replace("\0", "\\0")}'");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void Fail(VirtualDiskErrorReason reason, string? imagePath, string? detail = null) =>
        ThrowHelper.Throw(new VirtualDiskDiagnostic(reason, null, detail, entryPath: imagePath));

    /// <summary>An error of the host file system (not one of this library's diagnostics, which derive from IOException too).</summary>
    internal static bool IsHostError(Exception e) => e is (IOException and not VirtualDiskException) or UnauthorizedAccessException;

    /// <summary>
    /// A host source that cannot be opened or read: <see cref="VirtualDiskErrorReason.IsoBuildSourceUnreadable"/> with
    /// the host path, and ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND or ERROR_ACCESS_DENIED when that is the cause.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void FailSource(string? sourcePath, Exception e)
    {
        VirtualDiskError code = e switch
        {
            FileNotFoundException => VirtualDiskError.FileNotFound,
            DirectoryNotFoundException => VirtualDiskError.PathNotFound,
            UnauthorizedAccessException => VirtualDiskError.AccessDenied,
            _ => VirtualDiskError.IoDevice,
        };
        ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.IsoBuildSourceUnreadable, sourcePath, e.Message + NotUtf8Hint(sourcePath), code: code));
    }

    /// <summary>
    /// .NET decodes a host name that is not valid UTF-8 with U+FFFD for each bad byte and then cannot open the file by
    /// that name; say so when that is the likely cause.
    /// </summary>
    private static string NotUtf8Hint(string? path) =>
        path is not null && path.Contains('\uFFFD') && !File.Exists(path) && !Directory.Exists(path)
            ? " (the host name is not valid UTF-8, which .NET cannot open by name: rename it)" : "";
}
