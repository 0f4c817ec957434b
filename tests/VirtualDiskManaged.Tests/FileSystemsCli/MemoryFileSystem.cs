using VirtualDiskManaged.FileSystems;

namespace VirtualDiskManaged.Tests.FileSystemsCli;

/// <summary>
/// A file system held in memory whose names and contents a test chooses freely (including names no real
/// writer makes: "..", "a/b", NUL). It drives <c>FileSystemExtractor</c> without any image reader, so the
/// extraction rules are tested on their own; real images are tested in <see cref="IsoTestDataTests"/>.
/// </summary>
internal sealed class MemoryFileSystem : FileSystemReader
{
    public sealed class Node
    {
        public required string Name { get; init; }
        public FileSystemEntryKind Kind { get; init; }
        public byte[] Content { get; init; } = [];
        public long? RecordedLength { get; init; }
        public string? Target { get; init; }
        public DateTimeOffset? Time { get; init; }
        public int? Mode { get; init; }
        public long? ExtentOffset { get; set; }
        public bool FailOpen { get; init; }
        public List<Node> Children { get; } = [];
    }

    private readonly Node _root;
    private readonly Dictionary<FileSystemEntry, Node> _nodes = new(ReferenceEqualityComparer.Instance);
    private long _nextExtent = 1 << 20;

    public MemoryFileSystem(Node root) => _root = root;

    public static Node Dir(string name, params Node[] children)
    {
        var n = new Node { Name = name, Kind = FileSystemEntryKind.Directory };
        n.Children.AddRange(children);
        return n;
    }

    public static Node File(string name, byte[] content, DateTimeOffset? time = null, int? mode = null) =>
        new() { Name = name, Kind = FileSystemEntryKind.File, Content = content, Time = time, Mode = mode };

    public static Node Link(string name, string target) => new() { Name = name, Kind = FileSystemEntryKind.Symlink, Target = target };

    public override FileSystemNamespace Namespace => FileSystemNamespace.RockRidge;
    public override IReadOnlyList<FileSystemNamespace> AvailableNamespaces => [FileSystemNamespace.RockRidge];
    public override string VolumeLabel => "MEMORY";
    public override FileSystemEntry Root => Entry(_root, "/");

    private FileSystemEntry Entry(Node n, string path)
    {
        if (n.Kind == FileSystemEntryKind.Directory && n.ExtentOffset is null) n.ExtentOffset = _nextExtent += 2048;
        var e = new FileSystemEntry
        {
            Name = n.Name,
            RawName = n.Name,
            Path = path,
            Kind = n.Kind,
            Length = n.RecordedLength ?? n.Content.Length,
            SymlinkTarget = n.Target,
            ModificationTime = n.Time,
            Mode = n.Mode,
            Extents = n.ExtentOffset is long o ? [new FileExtent(o, 2048)] : [],
        };
        lock (_nodes) _nodes[e] = n;
        return e;
    }

    private Node NodeOf(FileSystemEntry e)
    {
        lock (_nodes) return _nodes[e];
    }

    public override IEnumerable<FileSystemEntry> EnumerateDirectory(FileSystemEntry directory)
    {
        var n = NodeOf(directory);
        foreach (var c in n.Children) yield return Entry(c, (directory.Path == "/" ? "" : directory.Path) + "/" + c.Name);
    }

    public override bool TryGetEntry(string path, out FileSystemEntry? entry, out VirtualDiskDiagnostic? failure)
    {
        failure = null;
        entry = Root;
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = EnumerateDirectory(entry).FirstOrDefault(c => c.Name == part);
            if (next is null)
            {
                entry = null;
                failure = new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemEntryNotFound, null, entryPath: path);
                return false;
            }
            entry = next;
        }
        return true;
    }

    public override Stream OpenFile(FileSystemEntry file)
    {
        var n = NodeOf(file);
        if (n.FailOpen) throw new VirtualDiskException(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemReadFailed, null, "test", 4096, entryPath: file.Path));
        return new MemoryStream(n.Content, writable: false);
    }

    public override IReadOnlyList<VirtualDiskDiagnostic> Verify(CancellationToken cancellationToken = default) => [];
}
