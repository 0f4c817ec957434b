using System.Security.Cryptography;
using System.Text.Json;
using VirtualDiskManaged.Tests.Create;
using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Vhdx;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// Sources for the operation tests, each with its expected content from an independent origin: images qemu-img made
/// (content written by qemu-io, judged by qemu-img), the tests' spec writers (their own expected content), and images
/// this library made with a raw mirror of the same writes.
/// </summary>
internal static class OpsImages
{
    public const long MiB = 1024 * 1024;

    /// <summary>A qemu-made image (vpc or vhdx) of <paramref name="size"/> with qemu-io writes: a pattern, a zeroed block written with zeros, data near the end.</summary>
    public static string Qemu(string folder, string format, string subformat, long size, string name)
    {
        CreateTools.Require("qemu-img");
        CreateTools.Require("qemu-io");
        string path = Path.Combine(folder, name);
        Check(CreateTools.Run("qemu-img", "create", "-q", "-f", format, "-o", $"subformat={subformat}" + (format == "vpc" ? ",force_size=on" : ""), path, size.ToString()), "qemu-img create");
        Check(CreateTools.Run("qemu-io", "-f", format, "-c", "write -P 0xa5 1048576 3145728", "-c", "write -P 0 8388608 2097152",
            "-c", $"write -P 0x3c {size - 1536} 1024", "-c", "write -P 0x11 12345600 5000", path), "qemu-io");
        return path;
    }

    /// <summary>Raw content of an image as qemu-img reads it (qemu-img convert -O raw).</summary>
    public static string QemuRaw(string image, string format, string folder)
    {
        string raw = Path.Combine(folder, Path.GetFileName(image) + ".qemu.raw");
        Check(CreateTools.Run("qemu-img", "convert", "-f", format, "-O", "raw", image, raw), "qemu-img convert");
        return raw;
    }

    /// <summary>A chain made by this library (dynamic VHDX parent, differencing child) with a raw mirror of the writes.</summary>
    public static (string Child, string Parent, string Mirror) LibraryChain(string folder, VirtualDiskFormat format, long size)
    {
        string ext = format == VirtualDiskFormat.Vhd ? ".vhd" : ".vhdx";
        string parent = Path.Combine(folder, "base" + ext), child = Path.Combine(folder, "child" + ext), mirror = Path.Combine(folder, "chain.mirror.raw");
        using var m = new FileStream(mirror, FileMode.Create);
        m.SetLength(size);
        var random = new Random(7);
        using (var p = VirtualDisk.Create(parent, new VirtualDiskCreateOptions { Format = format, Size = size, BlockSize = (uint)(format == VirtualDiskFormat.Vhd ? 512 * 1024 : MiB) }))
            WriteSome(p, m, random, 6, size);
        using (var c = VirtualDisk.Create(child, new VirtualDiskCreateOptions { Format = format, Type = VirtualDiskCreateType.Differencing, ParentPath = parent }))
            WriteSome(c, m, random, 6, size);
        return (child, parent, mirror);
    }

    private static void WriteSome(VirtualDiskHandle disk, FileStream mirror, Random random, int count, long size)
    {
        for (int i = 0; i < count; i++)
        {
            var data = new byte[random.Next(1, 300_000)];
            random.NextBytes(data);
            long offset = random.NextInt64(size - data.Length) / 512 * 512;
            disk.Write(offset, data);
            mirror.Position = offset;
            mirror.Write(data);
        }
        disk.Flush();
    }

    /// <summary>A dynamic VHD from the spec writer, with its expected content written to a raw file.</summary>
    public static (string Image, string Expected) SpecVhd(string folder, long size)
    {
        var w = VhdWriter.NewDynamic(size, 512 * 1024).Fill(0, 4096, 0x5a).Fill(3 * MiB + 512, 2048, 0x6b).Fill(size - 512, 512, 0x7c);
        string image = Path.Combine(folder, "spec.vhd");
        File.WriteAllBytes(image, w.Build().Bytes);
        string expected = Path.Combine(folder, "spec.vhd.expected.raw");
        File.WriteAllBytes(expected, w.ExpectedContent());
        return (image, expected);
    }

    /// <summary>A dynamic VHDX from the spec writer (1 MiB blocks); qemu-img reads it for the expected content.</summary>
    public static string SpecVhdx(string folder, long size)
    {
        var w = new VhdxWriter(size).Fill(0, 8192, 0x21).Fill(2 * MiB + 4096, 4096, 0x32).Fill(size - 4096, 4096, 0x43);
        return VhdxTestSupport.Save(w, folder, "spec.vhdx");
    }

    public static void Check((int ExitCode, string Output) run, string what) =>
        Assert.That(run.ExitCode, Is.EqualTo(0), $"{what}: {run.Output}");

    public static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>qemu-img map --output=json as (start, length, data, zero) runs, adjacent runs of one kind merged.</summary>
    public static List<(long Start, long Length, bool Data, bool Zero)> QemuMap(string image, string format)
    {
        var (rc, output) = CreateTools.Run("qemu-img", "map", "-f", format, "--output=json", image);
        Assert.That(rc, Is.EqualTo(0), "qemu-img map: " + output);
        var runs = new List<(long, long, bool, bool)>();
        foreach (var e in JsonDocument.Parse(output).RootElement.EnumerateArray())
            runs.Add((e.GetProperty("start").GetInt64(), e.GetProperty("length").GetInt64(), e.GetProperty("data").GetBoolean(), e.GetProperty("zero").GetBoolean()));
        return MergeKinds(runs);
    }

    /// <summary>A raw file of <paramref name="size"/> bytes partitioned by sfdisk with <paramref name="script"/> (sfdisk's own layout).</summary>
    public static string PartitionedRaw(string folder, string name, long size, string script)
    {
        CreateTools.Require("sfdisk");
        string raw = Path.Combine(folder, name + ".raw");
        using (var fs = File.Create(raw)) fs.SetLength(size);
        var psi = new System.Diagnostics.ProcessStartInfo("sfdisk", ["-q", raw]) { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        using (var p = System.Diagnostics.Process.Start(psi)!)
        {
            p.StandardInput.Write(script);
            p.StandardInput.Close();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.EqualTo(0), "sfdisk: " + err);
        }
        return raw;
    }

    /// <summary>A map's runs as (start, length, data, zero), adjacent runs of one kind merged.</summary>
    public static List<(long Start, long Length, bool Data, bool Zero)> Kinds(IReadOnlyList<AllocationMapEntry> map) =>
        MergeKinds(map.Select(e => (e.Start, e.Length, e.Data, e.Zero)));

    /// <summary>The map covers 0 to <paramref name="size"/> in order, with no empty entry.</summary>
    public static void AssertContiguous(IReadOnlyList<AllocationMapEntry> map, long size)
    {
        long at = 0;
        foreach (var e in map)
        {
            Assert.That(e.Start, Is.EqualTo(at), "entries cover the disk in order");
            Assert.That(e.Length, Is.Positive);
            at = e.End;
        }
        Assert.That(at, Is.EqualTo(size));
    }

    public static List<(long Start, long Length, bool Data, bool Zero)> MergeKinds(IEnumerable<(long Start, long Length, bool Data, bool Zero)> runs)
    {
        var merged = new List<(long Start, long Length, bool Data, bool Zero)>();
        foreach (var r in runs)
        {
            if (merged.Count > 0 && merged[^1].Data == r.Data && merged[^1].Zero == r.Zero && merged[^1].Start + merged[^1].Length == r.Start)
                merged[^1] = (merged[^1].Start, merged[^1].Length + r.Length, r.Data, r.Zero);
            else merged.Add(r);
        }
        return merged;
    }
}

/// <summary>One temp folder per test, deleted afterwards (nothing left in the temp folder).</summary>
public abstract class OperationsTestBase
{
    /// <summary>This test's folder.</summary>
    protected string Folder { get; private set; } = "";

    /// <summary>Makes the folder.</summary>
    [SetUp]
    public void MakeFolder() => Folder = TestPaths.NewTempFolder("ops");

    /// <summary>Removes the folder.</summary>
    [TearDown]
    public void RemoveFolder()
    {
        try { Directory.Delete(Folder, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A store whose writes fail (VirtualDiskException WriteFailed/FlushFailed, as HostFile reports EIO) after <c>writes</c> of them.</summary>
internal sealed class FailingStore(VirtualDiskManaged.Host.IBackingStore inner, int writes) : VirtualDiskManaged.Host.IBackingStore
{
    private int _left = writes;
    public string Path => inner.Path;
    public long Length => inner.Length;
    public int ReadAt(long offset, Span<byte> buffer) => inner.ReadAt(offset, buffer);
    public void WriteAt(long offset, ReadOnlySpan<byte> data)
    {
        if (Interlocked.Decrement(ref _left) < 0) throw new VirtualDiskException(new(VirtualDiskErrorReason.WriteFailed, inner.Path, "injected EIO", offset));
        inner.WriteAt(offset, data);
    }
    public void SetLength(long length)
    {
        if (Volatile.Read(ref _left) < 0) throw new VirtualDiskException(new(VirtualDiskErrorReason.WriteFailed, inner.Path, "injected EIO", length));
        inner.SetLength(length);
    }
    public void Flush()
    {
        if (Volatile.Read(ref _left) < 0) throw new VirtualDiskException(new(VirtualDiskErrorReason.FlushFailed, inner.Path, "injected EIO"));
        inner.Flush();
    }
}
