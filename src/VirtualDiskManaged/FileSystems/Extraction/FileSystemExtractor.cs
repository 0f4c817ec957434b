using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.FileSystems.Extraction;

/// <summary>
/// Writes the entries of a <see cref="FileSystemReader"/> (any namespace: ISO 9660, Joliet, Rock Ridge, UDF) to a
/// folder on the host: files, directories, symbolic links as links where the host allows, modification times kept.
/// Nothing in the image can make it write outside the target folder: every name is checked to be exactly one path
/// component, every folder written into is a real directory (never a symbolic link) checked with lstat before
/// use, and files are created exclusively under a temp name and renamed into place, so a link planted by an
/// earlier entry is never followed and no half-written file ever stands at a final name (docs/filesystems-cli.md).
/// </summary>
public static class FileSystemExtractor
{
    /// <summary>
    /// Extracts <see cref="FileSystemExtractionOptions.Paths"/> (default: the whole tree) into
    /// <paramref name="targetDirectory"/> (created when missing). Problems with single entries do not stop the
    /// run: they are listed in <see cref="FileSystemExtractionResult.Failures"/>. Throws
    /// <see cref="OperationCanceledException"/> when cancelled (temp files are removed; entries already renamed
    /// into place stay), and <see cref="VirtualDiskException"/> only when the target folder itself cannot be made.
    /// </summary>
    public static FileSystemExtractionResult Extract(FileSystemReader reader, string targetDirectory,
        FileSystemExtractionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        var run = new ExtractionRun(reader, targetDirectory, options ?? new(), cancellationToken);
        return run.Execute();
    }

    private sealed class ExtractionRun
    {
        private const int CopyBufferSize = 1 << 20;
        private const int QueueCapacity = 512;

        /// <summary>Files from this length on are copied by the parallel writers; smaller ones on the walking thread.</summary>
        private const long ParallelFileLength = 1L << 20;

        private byte[]? _walkerBuffer;

        private readonly FileSystemReader _reader;
        private readonly string _root;
        private readonly FileSystemExtractionOptions _options;
        private readonly CancellationToken _ct;
        private readonly bool _windows = OperatingSystem.IsWindows();
        private readonly ConcurrentBag<VirtualDiskDiagnostic> _failures = [];
        private readonly ConcurrentBag<VirtualDiskDiagnostic> _warnings = [];
        private readonly Lock _progressGate = new();
        private readonly ConcurrentQueue<Exception> _crashes = new();

        // Walker thread only.
        private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
        private readonly HashSet<long> _directoryExtents = [];
        private readonly List<(string HostPath, string EntryPath, DateTime Time)> _directoryTimes = [];

        private long _files, _dirs, _links, _bytes, _entries;
        private BlockingCollection<(FileSystemEntry Entry, string HostPath)>? _queue;

        public ExtractionRun(FileSystemReader reader, string target, FileSystemExtractionOptions options, CancellationToken ct)
        {
            _reader = reader;
            _root = Path.GetFullPath(target);
            _options = options;
            _ct = ct;
        }

        public FileSystemExtractionResult Execute()
        {
            try
            {
                Directory.CreateDirectory(_root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionWriteFailed, _root, e.Message));
            }
            _directories.Add(_root);

            int workers = Math.Clamp(_options.MaxParallelism, 1, 64);
            Task[] tasks = [];
            if (workers > 1)
            {
                _queue = new BlockingCollection<(FileSystemEntry, string)>(QueueCapacity);
                tasks = new Task[workers];
                for (int i = 0; i < workers; i++) tasks[i] = Task.Factory.StartNew(Worker, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            try
            {
                foreach (string start in Starts()) ExtractStart(start);
            }
            finally
            {
                _queue?.CompleteAdding();
                try { Task.WaitAll(tasks); }
                catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException)) { }
                _queue?.Dispose();
            }
            if (!_crashes.IsEmpty) throw new AggregateException("A file writer failed unexpectedly.", _crashes);
            _ct.ThrowIfCancellationRequested();
            SetDirectoryTimes();
            static VirtualDiskDiagnostic[] Sorted(IEnumerable<VirtualDiskDiagnostic> ds) =>
                [.. ds.OrderBy(d => d.EntryPath ?? "", StringComparer.Ordinal).ThenBy(d => (int)d.Reason)];
            return new FileSystemExtractionResult(_files, _dirs, _links, _bytes, Sorted(_failures), Sorted(_warnings));
        }

        /// <summary>The start paths, without those below another start (each entry is extracted once).</summary>
        private List<string> Starts()
        {
            var paths = _options.Paths is { Count: > 0 } p ? p : ["/"];
            var normal = new List<string>();
            foreach (string raw in paths)
            {
                string s = raw.Length == 0 || raw[0] != '/' ? "/" + raw : raw;
                while (s.Length > 1 && s[^1] == '/') s = s[..^1];
                normal.Add(s);
            }
            normal.Sort(StringComparer.Ordinal);
            var result = new List<string>();
            foreach (string s in normal)
            {
                bool covered = result.Any(r => r == s || r == "/" || s.StartsWith(r + "/", StringComparison.Ordinal));
                if (!covered) result.Add(s);
            }
            return result;
        }

        private void ExtractStart(string start)
        {
            _ct.ThrowIfCancellationRequested();
            if (!_reader.TryGetEntry(start, out var entry, out var failure))
            {
                Fail(failure!.EntryPath is null
                    ? new VirtualDiskDiagnostic(failure.Reason, failure.FilePath, failure.Detail, failure.Offset, code: failure.Code, entryPath: start)
                    : failure);
                return;
            }
            if (start == "/")
            {
                if (_options.PreserveTimes && entry!.ModificationTime is { } t) _directoryTimes.Add((_root, "/", t.UtcDateTime));
                Walk(entry!, _root, 0);
                return;
            }
            // Folders above the start: each component checked like any entry name, created without times.
            string[] parts = start.Split('/', StringSplitOptions.RemoveEmptyEntries);
            string host = _root;
            string entryPath = "";
            for (int i = 0; i < parts.Length - 1; i++)
            {
                entryPath += "/" + parts[i];
                if (!CheckName(parts[i], entryPath)) return;
                host = Path.Combine(host, parts[i]);
                if (!EnsureDirectory(host, entryPath, null)) return;
            }
            if (!CheckName(entry!.Name, entry.Path)) return;
            Handle(entry, Path.Combine(host, entry.Name), 0);
        }

        /// <summary>Depth first with one pending stack; a directory's entries are handled before descending.</summary>
        private void Walk(FileSystemEntry top, string topHost, int topDepth)
        {
            var pending = new Stack<(FileSystemEntry Dir, string Host, int Depth)>();
            pending.Push((top, topHost, topDepth));
            while (pending.Count > 0)
            {
                var (dir, host, depth) = pending.Pop();
                if (dir.Extents.Count > 0 && !dir.Extents[0].IsSparse && !_directoryExtents.Add(dir.Extents[0].Offset))
                {
                    Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionDirectoryRepeated, null, null, dir.RecordOffset, entryPath: dir.Path));
                    continue;
                }
                var subdirectories = new List<(FileSystemEntry, string)>();
                try
                {
                    foreach (var child in _reader.EnumerateDirectory(dir))
                    {
                        _ct.ThrowIfCancellationRequested();
                        if (!CheckName(child.Name, child.Path)) continue;
                        string childHost = Path.Combine(host, child.Name);
                        if (child.IsDirectory)
                        {
                            if (depth + 1 >= FileSystemReader.MaxDepth)
                            {
                                Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.FileSystemTreeTooDeep, null,
                                    $"Cap: {FileSystemReader.MaxDepth} levels", child.RecordOffset, entryPath: child.Path));
                                continue;
                            }
                            if (EnsureDirectory(childHost, child.Path, child)) subdirectories.Add((child, childHost));
                        }
                        else Handle(child, childHost, depth + 1);
                    }
                }
                catch (VirtualDiskException e)
                {
                    // A damaged directory: what was read of it is extracted, the rest is reported once.
                    var d = e.Diagnostic;
                    Fail(new VirtualDiskDiagnostic(d.Reason, d.FilePath, d.Detail, d.Offset, code: d.Code, entryPath: d.EntryPath ?? dir.Path));
                }
                for (int i = subdirectories.Count - 1; i >= 0; i--) pending.Push((subdirectories[i].Item1, subdirectories[i].Item2, depth + 1));
            }
        }

        private void Handle(FileSystemEntry entry, string host, int depth)
        {
            switch (entry.Kind)
            {
                case FileSystemEntryKind.Directory:
                    if (EnsureDirectory(host, entry.Path, entry)) Walk(entry, host, depth);
                    break;
                case FileSystemEntryKind.File:
                    // Small files are written here, in walk order: creating many files in one directory from several
                    // threads contends for the directory and cost twice the system time (docs/filesystems-cli.md);
                    // large files go to the writers, where copying dominates.
                    if (_queue is null || entry.Length < ParallelFileLength) WriteFile(entry, host, _walkerBuffer ??= new byte[CopyBufferSize], returnBuffer: false);
                    else _queue.Add((entry, host), _ct);
                    break;
                case FileSystemEntryKind.Symlink:
                    CreateLink(entry, host);
                    break;
                default:
                    Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionSpecialFileSkipped, null, entry.Kind.ToString(), entry.RecordOffset, entryPath: entry.Path));
                    break;
            }
        }

        private bool CheckName(string name, string entryPath)
        {
            string? problem = ExtractionNames.Problem(name, _windows);
            if (problem is null) return true;
            Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionUnsafeName, null,
                $"{problem}: {ExtractionNames.Quote(name)}", entryPath: entryPath));
            return false;
        }

        /// <summary>What stands at a host path, read with lstat (a symbolic link is reported as a link, never followed).</summary>
        private enum HostKind { None, Directory, File, Link, Other }

        private static HostKind Lstat(string path)
        {
            var attributes = new FileInfo(path).Attributes;
            if ((int)attributes == -1) return HostKind.None;
            if ((attributes & FileAttributes.ReparsePoint) != 0) return HostKind.Link;
            if ((attributes & FileAttributes.Directory) != 0) return HostKind.Directory;
            return File.Exists(path) ? HostKind.File : HostKind.Other;
        }

        /// <summary>
        /// Makes <paramref name="host"/> a real directory (its parent is one already): created when missing; a real
        /// directory already there is used; a link, file or anything else is reported and its subtree skipped.
        /// </summary>
        private bool EnsureDirectory(string host, string entryPath, FileSystemEntry? entry)
        {
            if (_directories.Contains(host)) return true;
            try
            {
                var kind = Lstat(host);
                if (kind == HostKind.None)
                {
                    // The parent is a verified real directory, so this creates exactly one level.
                    Directory.CreateDirectory(host);
                    kind = Lstat(host);
                }
                if (kind != HostKind.Directory)
                {
                    Fail(new VirtualDiskDiagnostic(kind == HostKind.Link ? VirtualDiskErrorReason.ExtractionPathThroughLink : VirtualDiskErrorReason.ExtractionTargetExists,
                        null, $"A {kind.ToString().ToLowerInvariant()} stands at {host}", entry?.RecordOffset, entryPath: entryPath));
                    return false;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionWriteFailed, null, $"{host}: {e.Message}", entry?.RecordOffset, entryPath: entryPath));
                return false;
            }
            _directories.Add(host);
            Interlocked.Increment(ref _dirs);
            if (_options.PreserveTimes && entry?.ModificationTime is { } t) _directoryTimes.Add((host, entryPath, t.UtcDateTime));
            Done(entryPath);
            return true;
        }

        private void CreateLink(FileSystemEntry entry, string host)
        {
            string target = entry.SymlinkTarget ?? "";
            if (!_options.CreateSymbolicLinks || target.Length == 0 || target.Contains('\0'))
            {
                Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionSymlinkNotCreated, null,
                    !_options.CreateSymbolicLinks ? "Symbolic links are not extracted (option)" : $"Target {ExtractionNames.Quote(target)} is not valid",
                    entry.RecordOffset, entryPath: entry.Path));
                return;
            }
            try
            {
                var kind = Lstat(host);
                if (kind != HostKind.None)
                {
                    if (!_options.Overwrite || kind is HostKind.Directory or HostKind.Other)
                    {
                        Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionTargetExists, null,
                            $"A {kind.ToString().ToLowerInvariant()} stands at {host}", entry.RecordOffset, entryPath: entry.Path));
                        return;
                    }
                    File.Delete(host); // removes a link itself, never its target
                }
                // The link is made, never followed: later entries below this name fail the real-directory check.
                File.CreateSymbolicLink(host, target);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or PlatformNotSupportedException)
            {
                bool exists = Lstat(host) != HostKind.None;
                Fail(new VirtualDiskDiagnostic(exists ? VirtualDiskErrorReason.ExtractionTargetExists : VirtualDiskErrorReason.ExtractionSymlinkNotCreated,
                    null, $"{host}: {e.Message}", entry.RecordOffset, entryPath: entry.Path));
                return;
            }
            Interlocked.Increment(ref _links);
            Done(entry.Path);
        }

        private void Worker()
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
            try
            {
                foreach (var (entry, host) in _queue!.GetConsumingEnumerable())
                {
                    if (_ct.IsCancellationRequested || !_crashes.IsEmpty) continue; // drain so the walker never blocks
                    try
                    {
                        WriteFile(entry, host, buffer, returnBuffer: false);
                    }
                    catch (OperationCanceledException) when (_ct.IsCancellationRequested)
                    {
                    }
                    catch (Exception e)
                    {
                        // Not an image or host problem (those are failures): a bug. Kept, and rethrown by the caller's thread.
                        _crashes.Enqueue(e);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Content to a temp file created exclusively beside the final name, time set on the handle, then renamed.</summary>
        private void WriteFile(FileSystemEntry entry, string host, byte[] buffer, bool returnBuffer)
        {
            string folder = Path.GetDirectoryName(host)!;
            string temp = Path.Combine(folder, ".vdisk-" + Guid.NewGuid().ToString("N")[..12] + ".part");
            bool tempMade = false;
            try
            {
                // Whatever stands at the final name is found by the rename below (without Overwrite it fails), not by a
                // check before it: one system call less per file, and no window between check and use.
                Stream content;
                try
                {
                    content = _reader.OpenFile(entry);
                }
                catch (VirtualDiskException e)
                {
                    FailRead(entry, e.Diagnostic);
                    return;
                }
                using (content)
                {
                    var streamOptions = new FileStreamOptions
                    {
                        Mode = FileMode.CreateNew, // O_CREAT|O_EXCL: never opens through a link planted at the temp name
                        Access = FileAccess.Write,
                        Share = FileShare.ReadWrite, // a fresh, exclusively created temp file: no advisory lock needed
                        BufferSize = 0,
                        PreallocationSize = entry.Length is >= 1L << 20 and <= 1L << 30 ? entry.Length : 0,
                    };
                    if (!OperatingSystem.IsWindows() && _options.PreservePermissions && entry.Mode is int mode)
                        streamOptions.UnixCreateMode = (UnixFileMode)(mode & 0x1FF) | UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    using var file = new FileStream(temp, streamOptions);
                    tempMade = true;
                    SafeFileHandle handle = file.SafeFileHandle;
                    long total = 0;
                    long limit = entry.Length;
                    while (true)
                    {
                        _ct.ThrowIfCancellationRequested();
                        // Never read more than one byte past the recorded length: a longer stream is a mismatch, not a disk filler.
                        int want = (int)Math.Min(buffer.Length, Math.Max(1, limit - total + 1));
                        int n;
                        try
                        {
                            n = content.Read(buffer, 0, want);
                        }
                        catch (VirtualDiskException e)
                        {
                            FailRead(entry, e.Diagnostic);
                            return;
                        }
                        if (n <= 0) break;
                        if (total + n > limit)
                        {
                            Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionLengthMismatch, null,
                                $"More than the recorded {limit} bytes", entry.RecordOffset, entryPath: entry.Path));
                            return;
                        }
                        RandomAccess.Write(handle, buffer.AsSpan(0, n), total);
                        total += n;
                        Interlocked.Add(ref _bytes, n);
                    }
                    if (total != limit)
                    {
                        Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionLengthMismatch, null,
                            string.Create(CultureInfo.InvariantCulture, $"{total} of the recorded {limit} bytes"), entry.RecordOffset, entryPath: entry.Path));
                        return;
                    }
                    if (_options.PreserveTimes && entry.ModificationTime is { } t)
                    {
                        try
                        {
                            File.SetLastWriteTimeUtc(handle, t.UtcDateTime);
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
                        {
                            _warnings.Add(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionTimeNotSet, null, e.Message, entry.RecordOffset, entryPath: entry.Path));
                        }
                    }
                }
                try
                {
                    // rename(2) replaces a link at the final name itself (with Overwrite); without it the move fails if anything is there.
                    File.Move(temp, host, _options.Overwrite);
                    tempMade = false;
                }
                catch (IOException) when (Lstat(host) != HostKind.None)
                {
                    Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionTargetExists, null,
                        $"A {Lstat(host).ToString().ToLowerInvariant()} stands at {host}", entry.RecordOffset, entryPath: entry.Path));
                    return;
                }
                Interlocked.Increment(ref _files);
                Done(entry.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionWriteFailed, null, $"{host}: {e.Message}", entry.RecordOffset, entryPath: entry.Path));
            }
            finally
            {
                if (tempMade)
                {
                    try { File.Delete(temp); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                }
                if (returnBuffer) ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private void FailRead(FileSystemEntry entry, VirtualDiskDiagnostic d) =>
            Fail(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionReadFailed, null, null, d.Offset ?? entry.RecordOffset, inner: d, entryPath: entry.Path));

        /// <summary>Deepest first, after every file is in place (writing into a folder changes its time).</summary>
        private void SetDirectoryTimes()
        {
            for (int i = _directoryTimes.Count - 1; i >= 0; i--)
            {
                var (host, entryPath, time) = _directoryTimes[i];
                try
                {
                    if (Lstat(host) == HostKind.Directory) Directory.SetLastWriteTimeUtc(host, time);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
                {
                    _warnings.Add(new VirtualDiskDiagnostic(VirtualDiskErrorReason.ExtractionTimeNotSet, null, e.Message, entryPath: entryPath));
                }
            }
        }

        private void Fail(VirtualDiskDiagnostic d)
        {
            _failures.Add(d);
            Done(d.EntryPath ?? "");
        }

        private void Done(string entryPath)
        {
            long n = Interlocked.Increment(ref _entries);
            if (_options.Progress is not { } progress) return;
            lock (_progressGate) progress.Report(new FileSystemExtractionProgress(n, Interlocked.Read(ref _bytes), entryPath));
        }
    }
}
