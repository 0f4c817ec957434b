using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.FileSystems;

/// <summary>
/// The bytes of a volume, read by position so that many threads can read one source without a lock.
/// Readers never trust <see cref="Length"/> for allocation: it only bounds offsets.
/// </summary>
internal abstract class VolumeSource
{
    /// <summary>The volume's length in bytes.</summary>
    public abstract long Length { get; }

    /// <summary>A name for diagnostics (the image path), or null.</summary>
    public abstract string? Name { get; }

    /// <summary>Reads at <paramref name="offset"/>; returns the count read, short only at the end.</summary>
    public abstract int ReadAt(long offset, Span<byte> buffer);

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or returns false (past the end).</summary>
    public bool TryReadExactlyAt(long offset, Span<byte> buffer)
    {
        if (offset < 0 || offset > Length || buffer.Length > Length - offset) return false;
        while (!buffer.IsEmpty)
        {
            int n = ReadAt(offset, buffer);
            if (n <= 0) return false;
            offset += n;
            buffer = buffer[n..];
        }
        return true;
    }

    public static VolumeSource FromHandle(VirtualDiskHandle handle) => new HandleSource(handle);

    public static VolumeSource FromStream(Stream stream, string? name) => stream switch
    {
        FileStream fs when !fs.IsAsync || OperatingSystem.IsWindows() => new FileHandleSource(fs.SafeFileHandle, fs.Length, name ?? fs.Name),
        _ => new LockedStreamSource(stream, name),
    };

    private sealed class HandleSource(VirtualDiskHandle handle) : VolumeSource
    {
        public override long Length => handle.VirtualSize;
        public override string? Name => handle.Path;
        public override int ReadAt(long offset, Span<byte> buffer) => handle.Read(offset, buffer);
    }

    private sealed class FileHandleSource(SafeFileHandle file, long length, string? name) : VolumeSource
    {
        public override long Length => length;
        public override string? Name => name;
        public override int ReadAt(long offset, Span<byte> buffer)
        {
            if (offset >= length) return 0;
            if (buffer.Length > length - offset) buffer = buffer[..(int)(length - offset)];
            return RandomAccess.Read(file, buffer, offset);
        }
    }

    /// <summary>Any seekable stream: position and read under one lock (streams have one position).</summary>
    private sealed class LockedStreamSource(Stream stream, string? name) : VolumeSource
    {
        private readonly Lock _gate = new();
        public override long Length => stream.Length;
        public override string? Name => name;
        public override int ReadAt(long offset, Span<byte> buffer)
        {
            lock (_gate)
            {
                if (offset >= stream.Length) return 0;
                stream.Position = offset;
                return stream.Read(buffer);
            }
        }
    }
}
