using Microsoft.Win32.SafeHandles;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// A folder (on tmpfs when /dev/shm exists) holding pristine copies of a seed group's images (so differencing
/// seeds find their parents) in which one file at a time is patched into a mutant and restored afterwards. Only the
/// touched byte range is written, so a mutant costs a few small writes whatever the image size.
/// </summary>
internal sealed class FuzzWorkspace : IDisposable
{
    private SafeFileHandle? _writer;
    private MutantBuffer? _current;

    public FuzzWorkspace(string label)
    {
        string root = Directory.Exists("/dev/shm") && IsWritable("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        Folder = Path.Combine(root, $"vdm-fuzz-{Environment.ProcessId}-{label}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>The path of the file being mutated.</summary>
    public string MutantPath { get; private set; } = "";

    /// <summary>A symbolic link to the mutant with a neutral extension (so "auto" opens detect by content).</summary>
    public string SniffPath { get; private set; } = "";

    private static bool IsWritable(string dir)
    {
        try
        {
            string probe = Path.Combine(dir, "vdm-probe-" + Guid.NewGuid().ToString("N"));
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Writes a pristine file into the workspace (a sibling or a future seed).</summary>
    public string Put(string name, byte[] bytes)
    {
        string p = Path.Combine(Folder, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    /// <summary>Selects the file to mutate (it must have been <see cref="Put"/>), keeping a writer handle open on it.</summary>
    public void Select(string name, MutantBuffer buffer)
    {
        _writer?.Dispose();
        MutantPath = Path.Combine(Folder, name);
        _writer = File.OpenHandle(MutantPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        _current = buffer;
        SniffPath = Path.Combine(Folder, "sniff-" + Path.GetFileNameWithoutExtension(name) + ".bin");
        if (File.Exists(SniffPath) || new FileInfo(SniffPath).LinkTarget is not null) File.Delete(SniffPath);
        File.CreateSymbolicLink(SniffPath, MutantPath);
    }

    /// <summary>Writes the mutant's touched range and length to the file.</summary>
    public void Commit()
    {
        var m = _current!;
        if (m.Length != m.Original.Length) RandomAccess.SetLength(_writer!, m.Length);
        int lo = m.DirtyLo, hi = Math.Min(m.DirtyHi, m.Length);
        if (hi > lo) RandomAccess.Write(_writer!, m.Data.AsSpan(lo, hi - lo), lo);
    }

    /// <summary>Restores the seed's bytes on disk and in memory.</summary>
    public void Revert()
    {
        var m = _current!;
        if (m.Length != m.Original.Length) RandomAccess.SetLength(_writer!, m.Original.Length);
        int lo = Math.Min(m.DirtyLo, m.Length);
        int hi = m.Length < m.Original.Length ? m.Original.Length : Math.Min(m.DirtyHi, m.Original.Length);
        if (hi > lo) RandomAccess.Write(_writer!, m.Original.AsSpan(lo, hi - lo), lo);
        m.Reset();
    }

    public void Dispose()
    {
        _writer?.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
