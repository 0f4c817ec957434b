using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.WindowsParity;

/// <summary>
/// P/Invoke of the real virtdisk.dll CreateVirtualDisk, written from the Microsoft Learn reference ("CreateVirtualDisk
/// function", "CREATE_VIRTUAL_DISK_PARAMETERS structure"). Layout on 64-bit Windows: <c>Version</c> (4-byte enum) at 0,
/// the union 8-aligned at 8 (it holds ULONGLONG and pointers): UniqueId 8, MaximumSize 24, BlockSizeInBytes 32,
/// SectorSizeInBytes 36; version 1 ParentPath 40, SourcePath 48; version 2 PhysicalSectorSizeInBytes 40, ParentPath 48,
/// SourcePath 56, OpenFlags 64, ParentVirtualStorageType 68 (20 bytes), SourceVirtualStorageType 88, ResiliencyGuid 108.
/// The structure is sized for its largest arm (version 4), 184 bytes.
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe partial class NativeCreateVirtualDisk
{
    [StructLayout(LayoutKind.Explicit, Size = 184)]
    public struct CreateParametersNative
    {
        [FieldOffset(0)] public uint Version;
        [FieldOffset(8)] public Guid UniqueId;
        [FieldOffset(24)] public ulong MaximumSize;
        [FieldOffset(32)] public uint BlockSizeInBytes;
        [FieldOffset(36)] public uint SectorSizeInBytes;
        [FieldOffset(40)] public nint V1ParentPath;
        [FieldOffset(48)] public nint V1SourcePath;
        [FieldOffset(40)] public uint PhysicalSectorSizeInBytes;
        [FieldOffset(48)] public nint V2ParentPath;
        [FieldOffset(56)] public nint V2SourcePath;
        [FieldOffset(64)] public uint OpenFlags;
        [FieldOffset(68)] public NativeVirtDisk.VirtualStorageTypeNative ParentVirtualStorageType;
        [FieldOffset(88)] public NativeVirtDisk.VirtualStorageTypeNative SourceVirtualStorageType;
        [FieldOffset(108)] public Guid ResiliencyGuid;
    }

    /// <summary><c>DWORD CreateVirtualDisk(PVIRTUAL_STORAGE_TYPE, PCWSTR Path, VIRTUAL_DISK_ACCESS_MASK, PSECURITY_DESCRIPTOR,
    /// CREATE_VIRTUAL_DISK_FLAG, ULONG ProviderSpecificFlags, PCREATE_VIRTUAL_DISK_PARAMETERS, LPOVERLAPPED, PHANDLE);</c></summary>
    [LibraryImport("virtdisk.dll", EntryPoint = "CreateVirtualDisk", StringMarshalling = StringMarshalling.Utf16)]
    private static partial uint CreateVirtualDiskNative(NativeVirtDisk.VirtualStorageTypeNative* type, string? path, uint mask,
        nint securityDescriptor, uint flags, uint providerSpecificFlags, CreateParametersNative* parameters, nint overlapped, out nint handle);

    [LibraryImport("kernel32.dll", EntryPoint = "CloseHandle", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CloseHandle(nint handle);

    /// <summary>Calls CreateVirtualDisk with the library's argument shapes and closes the handle; returns the code.</summary>
    public static uint Create(VirtualStorageType? type, string? path, VirtualDiskAccessMask mask, CreateVirtualDiskFlags flags, CreateVirtualDiskParameters? p)
    {
        NativeVirtDisk.VirtualStorageTypeNative nativeType = default;
        if (type is { } t) { nativeType.DeviceId = t.DeviceId; nativeType.VendorId = t.VendorId; }
        CreateParametersNative n = default;
        nint parent = 0, source = 0;
        try
        {
            if (p is not null)
            {
                parent = p.ParentPath is null ? 0 : Marshal.StringToHGlobalUni(p.ParentPath);
                source = p.SourcePath is null ? 0 : Marshal.StringToHGlobalUni(p.SourcePath);
                n.Version = (uint)p.Version;
                n.UniqueId = p.UniqueId;
                n.MaximumSize = p.MaximumSize;
                n.BlockSizeInBytes = p.BlockSizeInBytes;
                n.SectorSizeInBytes = p.SectorSizeInBytes;
                if (p.Version == CreateVirtualDiskVersion.Version1)
                {
                    n.V1ParentPath = parent;
                    n.V1SourcePath = source;
                }
                else
                {
                    n.PhysicalSectorSizeInBytes = p.PhysicalSectorSizeInBytes;
                    n.V2ParentPath = parent;
                    n.V2SourcePath = source;
                    n.OpenFlags = (uint)p.OpenFlags;
                    n.ParentVirtualStorageType = new() { DeviceId = p.ParentVirtualStorageType.DeviceId, VendorId = p.ParentVirtualStorageType.VendorId };
                    n.SourceVirtualStorageType = new() { DeviceId = p.SourceVirtualStorageType.DeviceId, VendorId = p.SourceVirtualStorageType.VendorId };
                    n.ResiliencyGuid = p.ResiliencyGuid;
                }
            }
            uint code = CreateVirtualDiskNative(type is null ? null : &nativeType, path, (uint)mask, 0, (uint)flags, 0,
                p is null ? null : &n, 0, out nint handle);
            if (code == 0 && handle != 0 && handle != -1) CloseHandle(handle);
            return code;
        }
        finally
        {
            if (parent != 0) Marshal.FreeHGlobal(parent);
            if (source != 0) Marshal.FreeHGlobal(source);
        }
    }
}

/// <summary>
/// The create half of the Windows parity kit (docs/create.md, docs/windows.md): each case is run through the real
/// CreateVirtualDisk and through <see cref="VirtDisk.CreateVirtualDisk(VirtualStorageType?, string?, VirtualDiskAccessMask,
/// CreateVirtualDiskFlags, CreateVirtualDiskParameters?, out VirtualDiskHandle?)"/> in two fresh folders and the codes
/// must be equal; where both succeed, each side's file must open on the other side with the same virtual size. Many
/// create codes are this library's choice where Microsoft documents only 87 — this fixture is how a Windows run
/// settles them. Off Windows every case is ignored; on Windows it runs when VDM_CREATE_PARITY=1.
/// </summary>
[NonParallelizable]
public sealed class CreateParityTests
{
    private const ulong MiB = 1 << 20;

    /// <summary>One create: its arguments, the file name, and what to prepare in the folder first.</summary>
    public sealed record CreateCase(string Name, VirtualStorageType? Type, string? File, VirtualDiskAccessMask Mask, CreateVirtualDiskFlags Flags,
        Func<string, CreateVirtualDiskParameters?> Parameters);

    private static CreateVirtualDiskParameters V2(ulong size = 64 * MiB) => new() { MaximumSize = size };

    private static string Parent(string folder, string name)
    {
        string p = Path.Combine(folder, name);
        VirtualDisk.Create(p, new() { Format = name.EndsWith(".vhd", StringComparison.Ordinal) ? VirtualDiskFormat.Vhd : VirtualDiskFormat.Vhdx, Size = (long)(16 * MiB) }).Dispose();
        return p;
    }

    public static IEnumerable<CreateCase> All()
    {
        var vhd = VirtualStorageType.Vhd;
        var vhdx = VirtualStorageType.Vhdx;
        yield return new("vhdx-dynamic", vhdx, "a.vhdx", 0, 0, _ => V2());
        yield return new("vhdx-fixed", vhdx, "a.vhdx", 0, CreateVirtualDiskFlags.FullPhysicalAllocation, _ => V2());
        yield return new("vhdx-4k", vhdx, "a.vhdx", 0, 0, _ => V2() with { SectorSizeInBytes = 4096 });
        yield return new("vhd-dynamic", vhd, "a.vhd", 0, 0, _ => V2());
        yield return new("vhd-fixed", vhd, "a.vhd", 0, CreateVirtualDiskFlags.FullPhysicalAllocation, _ => V2());
        yield return new("vhd-v1-all-mask", vhd, "a.vhd", VirtualDiskAccessMask.All, 0, _ => V2() with { Version = CreateVirtualDiskVersion.Version1 });
        yield return new("vhdx-differencing", vhdx, "c.vhdx", 0, 0, f => new() { ParentPath = Parent(f, "p.vhdx") });
        yield return new("vhd-differencing", vhd, "c.vhd", 0, 0, f => new() { ParentPath = Parent(f, "p.vhd") });
        yield return new("auto-by-extension", VirtualStorageType.Auto, "a.vhdx", 0, 0, _ => V2());
        yield return new("null-type", null, "a.vhdx", 0, 0, _ => V2());
        yield return new("null-params", vhdx, "a.vhdx", 0, 0, _ => null);
        yield return new("version0", vhdx, "a.vhdx", 0, 0, _ => V2() with { Version = 0 });
        yield return new("version3", vhdx, "a.vhdx", 0, 0, _ => V2() with { Version = CreateVirtualDiskVersion.Version3 });
        yield return new("v2-mask-create", vhdx, "a.vhdx", VirtualDiskAccessMask.Create, 0, _ => V2());
        yield return new("flag-0x800", vhdx, "a.vhdx", 0, (CreateVirtualDiskFlags)0x800, _ => V2());
        yield return new("flag-pmem", vhdx, "a.vhdx", 0, CreateVirtualDiskFlags.PmemCompatible, _ => V2());
        yield return new("iso", VirtualStorageType.Iso, "a.iso", 0, 0, _ => V2());
        yield return new("vhdset", VirtualStorageType.VhdSet, "a.vhds", 0, 0, _ => V2());
        yield return new("unknown-extension", VirtualStorageType.Auto, "a.img", 0, 0, _ => V2());
        yield return new("sparse-without-fixed", vhdx, "a.vhdx", 0, CreateVirtualDiskFlags.SparseFile, _ => V2());
        yield return new("size-with-parent", vhdx, "c.vhdx", 0, 0, f => new() { ParentPath = Parent(f, "p.vhdx"), MaximumSize = 16 * MiB });
        yield return new("size-zero", vhdx, "a.vhdx", 0, 0, _ => V2(0));
        yield return new("size-odd", vhd, "a.vhd", 0, 0, _ => V2(64 * MiB + 100));
        yield return new("size-2MiB", vhdx, "a.vhdx", 0, 0, _ => V2(2 * MiB));
        yield return new("vhd-above-2040GiB", vhd, "a.vhd", 0, 0, _ => V2((2040UL << 30) + 512));
        yield return new("vhdx-above-64TiB", vhdx, "a.vhdx", 0, 0, _ => V2((64UL << 40) + 512));
        yield return new("vhdx-block-3MiB", vhdx, "a.vhdx", 0, 0, _ => V2() with { BlockSizeInBytes = 3 << 20 });
        yield return new("vhd-block-1MiB", vhd, "a.vhd", 0, 0, _ => V2() with { BlockSizeInBytes = 1 << 20 });
        yield return new("fixed-vhd-block", vhd, "a.vhd", 0, CreateVirtualDiskFlags.FullPhysicalAllocation, _ => V2() with { BlockSizeInBytes = 2 << 20 });
        yield return new("vhd-sector-4096", vhd, "a.vhd", 0, 0, _ => V2() with { SectorSizeInBytes = 4096 });
        yield return new("vhdx-physical-8192", vhdx, "a.vhdx", 0, 0, _ => V2() with { PhysicalSectorSizeInBytes = 8192 });
        yield return new("resiliency-guid", vhdx, "a.vhdx", 0, 0, _ => V2() with { ResiliencyGuid = Guid.NewGuid() });
        yield return new("parent-missing", vhdx, "c.vhdx", 0, 0, f => new() { ParentPath = Path.Combine(f, "none.vhdx") });
        yield return new("parent-other-format", vhdx, "c.vhdx", 0, 0, f => new() { ParentPath = Parent(f, "p.vhd") });
        yield return new("parent-and-source", vhdx, "c.vhdx", 0, 0, f => new() { ParentPath = Parent(f, "p.vhdx"), SourcePath = Path.Combine(f, "p.vhdx") });
        yield return new("source-image", vhdx, "c.vhdx", 0, 0, f => new() { SourcePath = Parent(f, "s.vhd") });
        yield return new("target-exists", vhdx, "p.vhdx", 0, 0, f => { Parent(f, "p.vhdx"); return V2(); });
        yield return new("folder-missing", vhdx, Path.Combine("no", "a.vhdx"), 0, 0, _ => V2());
    }

    /// <summary>The catalog on Windows; elsewhere one ignored placeholder (as the open half of the kit does).</summary>
    public static IEnumerable<TestCaseData> Cases() => OperatingSystem.IsWindows()
        ? All().Select(c => new TestCaseData(c).SetName("CreateParity: " + c.Name))
        : [new TestCaseData(All().First()).SetName("CreateParity: the kit (Windows only)")];

    [TestCaseSource(nameof(Cases))]
    public void SameCodeAsVirtdisk(CreateCase c)
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Ignore(WindowsParityTests.NotWindowsReason);
            return; // unreachable (Ignore throws); keeps the platform analyzer informed
        }
        if (!NativeVirtDisk.IsAvailable(out string why)) Assert.Ignore("Windows parity kit: " + why);
        // Opt-in until a first Windows run has settled the codes Microsoft does not document (CI fails on a difference).
        if (Environment.GetEnvironmentVariable("VDM_CREATE_PARITY") != "1")
            Assert.Ignore("create parity is opt-in: set VDM_CREATE_PARITY=1 (docs/create.md, \"Settling the codes on Windows\")");
        if (!Environment.Is64BitProcess) Assert.Ignore("the native CREATE_VIRTUAL_DISK_PARAMETERS layout here is the 64-bit one");
        string windowsFolder = TestPaths.NewTempFolder("cparity-w"), libraryFolder = TestPaths.NewTempFolder("cparity-l");
        try
        {
            string? wPath = c.File is null ? null : Path.Combine(windowsFolder, c.File);
            string? lPath = c.File is null ? null : Path.Combine(libraryFolder, c.File);
            uint windows = NativeCreateVirtualDisk.Create(c.Type, wPath, c.Mask, c.Flags, c.Parameters(windowsFolder));
            uint library = VirtDisk.CreateVirtualDisk(c.Type, lPath, c.Mask, c.Flags, c.Parameters(libraryFolder), out var handle, out var failure);
            handle?.Dispose();
            if (windows == 0 && library == 0)
            {
                // Each side's file opens on the other side with the same size.
                var fromLibrary = NativeVirtDisk.Open(VirtualStorageType.Auto, lPath, VirtualDiskAccessMask.All, OpenVirtualDiskFlags.None, null);
                Assert.That(fromLibrary.Code, Is.EqualTo(0u), $"{c.Name}: virtdisk.dll cannot open the library's file");
                using var fromWindows = VirtualDisk.Open(wPath!);
                Assert.That(fromLibrary.VirtualSize, Is.EqualTo((ulong)fromWindows.VirtualSize), $"{c.Name}: sizes");
            }
            Assert.That(Hex(library), Is.EqualTo(Hex(windows)), $"{c.Name}: virtdisk.dll {Hex(windows)}, the library {Hex(library)} ({failure?.Reason})");
        }
        finally
        {
            foreach (var f in new[] { windowsFolder, libraryFolder })
                try { Directory.Delete(f, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Runs everywhere: every case gets a code from the library (never an exception) and leaves no temp file.</summary>
    [Test]
    public void CatalogIsWellFormed()
    {
        foreach (var c in All())
        {
            string folder = TestPaths.NewTempFolder("cparity-cat");
            try
            {
                string? path = c.File is null ? null : Path.Combine(folder, c.File);
                uint code = VirtDisk.CreateVirtualDisk(c.Type, path, c.Mask, c.Flags, c.Parameters(folder), out var handle, out _);
                handle?.Dispose();
                Assert.That(code == 0, Is.EqualTo(handle is not null), c.Name);
                Assert.That(Directory.GetFiles(folder, "*.vdm-tmp"), Is.Empty, c.Name);
                TestContext.Out.WriteLine($"{c.Name}\t{Hex(code)}");
            }
            finally
            {
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    private static string Hex(uint code) => code < 0x10000 ? code.ToString(CultureInfo.InvariantCulture) : "0x" + code.ToString("X8", CultureInfo.InvariantCulture);
}
