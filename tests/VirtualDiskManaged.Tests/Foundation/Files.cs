using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>
/// Small files crafted from the byte layouts of the public specifications and docs/open-path.md (not from our own code), and open helpers.
/// </summary>
internal static partial class Files
{
    public const int Sector = 2048;
    public const int DescriptorOffset = 32768;

    public static readonly VirtualDiskAccessMask DefaultAccess = VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo;

    /// <summary>A fresh folder for one test.</summary>
    public static string Folder() => TestPaths.NewTempFolder("found");

    /// <summary>
    /// An ISO-like file of <paramref name="length"/> bytes whose descriptor at 32,768 carries <paramref name="identifier"/>
    /// at bytes 1–5 (ECMA-119 §8.1 / ECMA-167 2/9.1), type 1, version 1; null writes no descriptor.
    /// </summary>
    public static string Iso(string folder, string name = "disk.iso", long length = 18 * Sector, string? identifier = "CD001", byte type = 1)
    {
        string path = Path.Combine(folder, name);
        var bytes = new byte[length];
        if (identifier is not null && length >= DescriptorOffset + 7)
        {
            bytes[DescriptorOffset] = type;
            Encoding.ASCII.GetBytes(identifier).CopyTo(bytes, DescriptorOffset + 1);
            bytes[DescriptorOffset + 6] = 1;
        }
        // Something recognisable in the system area, so content checks see the file's own bytes.
        for (int i = 0; i < Math.Min(length, 4096); i++) bytes[i] = (byte)(i * 7 + 3);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A High Sierra descriptor (High Sierra, the pre-ISO "CDROM" format; docs/open-path.md §5): LBN at 0, type at 8, "CDROM" at 9–13, version at 14.</summary>
    public static string HighSierra(string folder, string name = "hs.iso")
    {
        string path = Path.Combine(folder, name);
        var bytes = new byte[18 * Sector];
        bytes[DescriptorOffset] = 16; bytes[DescriptorOffset + 7] = 16;
        bytes[DescriptorOffset + 8] = 1;
        "CDROM"u8.CopyTo(bytes.AsSpan(DescriptorOffset + 9));
        bytes[DescriptorOffset + 14] = 1;
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Bytes that hold no signature at all (a repeating non-ASCII pattern).</summary>
    public static string Noise(string folder, string name, long length = 64 * 1024)
    {
        string path = Path.Combine(folder, name);
        var bytes = new byte[length];
        for (long i = 0; i < length; i++) bytes[i] = (byte)(0x80 | (i * 31 % 127));
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Enough for VHD *detection* (docs/open-path.md §6): a file whose last 512 (or 511) bytes begin with "conectix", or
    /// whose first bytes do. Not a valid VHD (no checksum, no fields).
    /// </summary>
    public static string VhdLike(string folder, string name, long length = 64 * 1024, int footer = 512, bool atStart = false)
    {
        string path = Path.Combine(folder, name);
        var bytes = new byte[length];
        "conectix"u8.CopyTo(bytes.AsSpan(atStart ? 0 : (int)(length - footer)));
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Enough for VHDX detection: "vhdxfile" at offset 0 (MS-VHDX 2.2.1), zeros elsewhere.</summary>
    public static string VhdxLike(string folder, string name, long length = 64 * 1024)
    {
        string path = Path.Combine(folder, name);
        var bytes = new byte[length];
        "vhdxfile"u8.CopyTo(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>VirtDisk.OpenVirtualDisk that disposes any handle and returns the code.</summary>
    public static uint Code(VirtualStorageType? type, string? path, VirtualDiskAccessMask access, OpenVirtualDiskFlags flags = 0,
        OpenVirtualDiskParameters? parameters = null, OpenRuleSet rules = OpenRuleSet.Documented)
    {
        uint code = VirtDisk.OpenVirtualDisk(type, path, access, flags, parameters, rules, out var handle);
        handle?.Dispose();
        if (code == 0) Assert.That(handle, Is.Not.Null, "success must return a handle");
        else Assert.That(handle, Is.Null, "failure must not return a handle");
        return code;
    }

    /// <summary>The .NET layer's failure (or null on success; the handle is disposed).</summary>
    public static VirtualDiskDiagnostic? Failure(string? path, VirtualDiskOpenOptions? options = null)
    {
        bool ok = VirtualDisk.TryOpen(path, options, out var handle, out VirtualDiskDiagnostic? failure);
        handle?.Dispose();
        Assert.That(ok, Is.EqualTo(failure is null));
        return failure;
    }

    public static VirtualDiskOpenOptions Options(VirtualDiskAccessMask? access = null, OpenVirtualDiskFlags flags = 0,
        OpenVirtualDiskParameters? parameters = null, OpenRuleSet rules = OpenRuleSet.Documented, VirtualStorageType? type = null) =>
        new()
        {
            Access = access ?? DefaultAccess,
            Flags = flags,
            Parameters = parameters,
            Rules = rules,
            StorageType = type ?? VirtualStorageType.Auto,
        };

    public static string Sha256(string path) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    /// <summary>Runs a process to completion (stdout + stderr collected); returns the exit code.</summary>
    public static int Run(string file, string arguments, out string output, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        output += stderr.Result;
        return p.ExitCode;
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "setfsuid")]
    private static partial int SetFsUid(uint uid);

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    /// <summary>
    /// Runs <paramref name="action"/> on a dedicated thread whose file-system uid is "nobody" (65534) when this process
    /// is root. Root ignores permission bits (CAP_DAC_OVERRIDE), so a chmod-000 file would open; setfsuid(2) is
    /// per-thread and, going from 0 to non-zero, drops the file-system capabilities of that thread only, so the open
    /// inside sees exactly what an unprivileged user sees, without touching other threads or other tests. Not root:
    /// runs the action as is (the permission bits already apply).
    /// </summary>
    public static T AsUnprivileged<T>(Func<T> action)
    {
        if (!IsRoot) return action();
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            SetFsUid(65534);
            try
            {
                if (SetFsUid(65534) != 65534) throw new InconclusiveException("setfsuid(65534) did not take effect");
                result = action();
            }
            catch (Exception e) { error = e; }
            finally { SetFsUid(0); }
        });
        thread.Start();
        thread.Join();
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return result;
    }
}
