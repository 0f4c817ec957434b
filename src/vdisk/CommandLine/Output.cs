using System.Text;

namespace VirtualDiskManaged.Cli.CommandLine;

/// <summary>
/// Where the commands write. Every write to stdout or to an --output file that fails becomes an
/// <see cref="OutputException"/> ("cannot write stdout: no space left on device", exit status 4). A broken pipe
/// (the reader, e.g. <c>head</c>, went away) is not an error: .NET drops EPIPE on the console stream, so the
/// command ends quietly.
/// </summary>
internal static class Output
{
    private static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>
    /// Routes Console.Out through the guard, and Console.Out and Console.Error through <see cref="PrintableWriter"/> so
    /// no control character from a name or a message reaches the terminal (call once at start-up).
    /// </summary>
    public static void Install()
    {
        var writer = new StreamWriter(OpenStdout(), Utf8, 1 << 14, leaveOpen: false) { AutoFlush = true };
        Console.SetOut(TextWriter.Synchronized(new PrintableWriter(writer)));
        var error = Console.Error;
        Terminal.RawError = error;
        Console.SetError(TextWriter.Synchronized(new PrintableWriter(error)));
    }

    /// <summary>stdout as a stream whose failures are <see cref="OutputException"/>s; disposing it leaves stdout open.</summary>
    public static Stream OpenStdout()
    {
        Stream raw;
        try
        {
            raw = Console.OpenStandardOutput();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException("stdout", Reason(e, "stdout"), e);
        }
        return new GuardedStream(raw, "stdout", ownsInner: true);
    }

    /// <summary>
    /// Opens the report file for --output. A regular file is written under a temp name in its folder and renamed over
    /// the target by <see cref="ReportFile.Commit"/>, so a half-written report never stands at the path; anything
    /// else that exists (a device such as /dev/null or /dev/full, a FIFO) is written in place.
    /// </summary>
    public static ReportFile OpenReport(string path)
    {
        if (Directory.Exists(path)) throw new OutputException(path, "is a directory", null);
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputException(path, "not a valid path", e);
        }
        bool inPlace = (File.Exists(full) && !IsPlainFile(full)) || new FileInfo(full).LinkTarget is not null;
        string target = inPlace ? full : Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var fs = new FileStream(target, inPlace ? FileMode.Create : FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
            return new ReportFile(new GuardedStream(fs, path, ownsInner: true), path, inPlace ? null : target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(path, Reason(e, target), e);
        }
    }

    /// <summary>A regular file (not a device such as /dev/full, not a symbolic link, not a FIFO in /dev or /proc).</summary>
    private static bool IsPlainFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.LinkTarget is null && (info.Attributes & FileAttributes.Device) == 0
                && !path.StartsWith("/dev/", StringComparison.Ordinal) && !path.StartsWith("/proc/", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>One lower-case phrase for why a write failed ("no space left on device", "permission denied").</summary>
    public static string Reason(Exception e, string path)
    {
        if (e is UnauthorizedAccessException)
            return path == "stdout" ? "stdout is closed or not writable" : Directory.Exists(path) ? "is a directory" : "permission denied";
        if (e is DirectoryNotFoundException) return "no such directory";
        if (e is FileNotFoundException) return "no such file or directory";
        if (e is PathTooLongException) return "file name too long";
        // On Unix the HResult of an IOException from a failed system call is the errno (errno.h).
        switch (e.HResult)
        {
            case 28: return "no space left on device";           // ENOSPC
            case 27: return "file too large";                    // EFBIG
            case 122: return "disk quota exceeded";              // EDQUOT
            case 5: return "input/output error";                 // EIO
            case 30: return "read-only file system";             // EROFS
            case 9: return "stdout is closed";                   // EBADF
            case 21: return "is a directory";                    // EISDIR
            case 13: return "permission denied";                 // EACCES
        }
        string m = e.Message;
        int cut = m.IndexOf(" : '", StringComparison.Ordinal);
        if (cut > 0) m = m[..cut];
        m = m.TrimEnd('.');
        return m.Length > 0 ? char.ToLowerInvariant(m[0]) + m[1..] : e.GetType().Name;
    }
}

/// <summary>The --output file: write to <see cref="Stream"/>, then <see cref="Commit"/>; disposing without a commit removes the temp file.</summary>
internal sealed class ReportFile(Stream stream, string path, string? tempPath) : IDisposable
{
    private bool _committed;

    public Stream Stream { get; } = stream;

    /// <summary>Flushes and, for a regular file, renames the temp file over the target.</summary>
    public void Commit()
    {
        Stream.Flush();
        if (tempPath is not null && Stream is GuardedStream g) g.FlushToDisk();
        Stream.Dispose();
        if (tempPath is not null)
        {
            try
            {
                File.Move(tempPath, path, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new OutputException(path, Output.Reason(e, path), e);
            }
        }
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed) return;
        try { Stream.Dispose(); }
        catch (OutputException) { }
        if (tempPath is not null)
        {
            try { File.Delete(tempPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}

/// <summary>A write-only stream that turns I/O failures of the inner stream into <see cref="OutputException"/>s.</summary>
internal sealed class GuardedStream(Stream inner, string target, bool ownsInner) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Guard(() => inner.Write(buffer, offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            inner.Write(buffer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(target, Output.Reason(e, target), e);
        }
    }

    public override void WriteByte(byte value) => Guard(() => inner.WriteByte(value));

    public override void Flush() => Guard(inner.Flush);

    /// <summary>Flushes a file's data to the device (a report is complete before it is renamed into place).</summary>
    public void FlushToDisk() => Guard(() =>
    {
        if (inner is FileStream fs) fs.Flush(flushToDisk: true);
        else inner.Flush();
    });

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsInner) Guard(inner.Dispose);
        base.Dispose(disposing);
    }

    private void Guard(Action a)
    {
        try
        {
            a();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(target, Output.Reason(e, target), e);
        }
    }
}
