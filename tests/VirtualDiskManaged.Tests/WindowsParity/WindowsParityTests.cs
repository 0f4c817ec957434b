using System.Globalization;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.WindowsParity;

/// <summary>
/// The Windows parity kit (docs/windows.md): every case of <see cref="ParityCases"/> is opened through the real
/// virtdisk.dll OpenVirtualDisk and through the library's <see cref="VirtDisk.OpenVirtualDisk(VirtualStorageType?, string?,
/// VirtualDiskAccessMask, OpenVirtualDiskFlags, OpenVirtualDiskParameters?, OpenRuleSet, out VirtualDiskHandle?)"/>
/// with the Current rule set (what current Windows accepts, docs/decisions.md "Two rule sets"), and the codes must
/// be equal; when both succeed, the virtual sizes must be equal too. The Documented rule set's code is recorded
/// beside them (it differs from Windows on purpose for the flags, version 3 and compressed/encrypted host files).
/// Off Windows every case is ignored: there is no virtdisk.dll to compare with.
/// When the environment variable VDM_PARITY_REPORT names a file, one tab-separated row per case is appended to it;
/// tests/WindowsParity/run-parity.ps1 turns those rows into the table of differences.
/// </summary>
[NonParallelizable]
public sealed class WindowsParityTests
{
    /// <summary>The reason every case is ignored off Windows (also stated in README.md and docs/windows.md).</summary>
    public const string NotWindowsReason =
        "Windows parity kit: compares with the real virtdisk.dll OpenVirtualDisk, which exists only on Windows; run tests/WindowsParity/run-parity.ps1 on Windows (docs/windows.md)";

    private static readonly object ReportLock = new();
    private string? _skipReason;

    /// <summary>
    /// The catalog, one NUnit case each, on Windows; elsewhere one case that is ignored with the reason, so a Linux
    /// run reports one skipped kit rather than every case (CatalogIsWellFormed still checks every case there).
    /// </summary>
    public static IEnumerable<TestCaseData> Cases() => OperatingSystem.IsWindows()
        ? ParityCases.All().Select(c => new TestCaseData(c).SetName("Parity: " + c.Name))
        : [new TestCaseData(ParityCases.All().First()).SetName("Parity: the kit (Windows only)")];

    /// <summary>Decides once whether the kit can run here.</summary>
    [OneTimeSetUp]
    public void CheckPlatform()
    {
        if (!OperatingSystem.IsWindows()) { _skipReason = NotWindowsReason; return; }
        if (!NativeVirtDisk.IsAvailable(out string why)) { _skipReason = "Windows parity kit: " + why; return; }

        // A good fixed VHD must open: if Windows refuses it with ERROR_ACCESS_DENIED the process lacks the rights
        // virtdisk needs, and every comparison would be meaningless.
        string folder = TestPaths.NewTempFolder("parity-probe");
        try
        {
            string path = Vhd.VhdWriter.NewFixed(1 << 20).Build().SaveTo(Path.Combine(folder, "probe.vhd"));
            var probe = NativeVirtDisk.Open(VirtualStorageType.Auto, path, Foundation.Files.DefaultAccess, OpenVirtualDiskFlags.None, null);
            if (probe.Code == 5)
                _skipReason = "Windows parity kit: virtdisk.dll refused a good fixed VHD with ERROR_ACCESS_DENIED; run the kit from an elevated (administrator) prompt";
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    /// <summary>Windows and the library (Current rules) give the same code for the same file and arguments.</summary>
    [TestCaseSource(nameof(Cases))]
    public void SameCodeAsVirtdisk(ParityCase c)
    {
        if (_skipReason is not null) Assert.Ignore(_skipReason);
        if (!OperatingSystem.IsWindows()) return; // unreachable: _skipReason is set off Windows (keeps the platform analyzer informed)

        string folder = TestPaths.NewTempFolder("parity");
        try
        {
            string? path = c.Make(folder);

            uint current = VirtDisk.OpenVirtualDisk(c.Type, path, c.Access, c.Flags, c.Parameters, OpenRuleSet.Current, out var handle);
            long? librarySize = handle?.VirtualSize;
            handle?.Dispose();
            uint documented = VirtDisk.OpenVirtualDisk(c.Type, path, c.Access, c.Flags, c.Parameters, OpenRuleSet.Documented, out handle);
            handle?.Dispose();

            var windows = NativeVirtDisk.Open(c.Type, path, c.Access, c.Flags, c.Parameters);

            bool sameCode = windows.Code == current;
            bool sameSize = windows.VirtualSize is null || librarySize is null || (ulong)librarySize.Value == windows.VirtualSize.Value;
            Report(c, windows, current, documented, librarySize, sameCode && sameSize);

            Assert.That(Hex(current), Is.EqualTo(Hex(windows.Code)),
                $"{c.Name} (mirrors {c.Mirrors}): virtdisk.dll says {Hex(windows.Code)}, the library (Current) {Hex(current)}, (Documented) {Hex(documented)}");
            Assert.That(sameSize, Is.True, $"{c.Name}: virtual size: virtdisk.dll {windows.VirtualSize}, the library {librarySize}");
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Runs on every platform: every case's file can be made and the library answers it with a code (never an
    /// exception), so the catalog a Windows run depends on is known to be well-formed before it reaches Windows.
    /// </summary>
    [Test]
    public void CatalogIsWellFormed()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in ParityCases.All())
        {
            Assert.That(names.Add(c.Name), Is.True, $"duplicate case name {c.Name}");
            string folder = TestPaths.NewTempFolder("parity-cat");
            try
            {
                string? path = c.Make(folder);
                uint code = VirtDisk.OpenVirtualDisk(c.Type, path, c.Access, c.Flags, c.Parameters, OpenRuleSet.Current, out var handle);
                handle?.Dispose();
                Assert.That(code == 0, Is.EqualTo(handle is not null), c.Name);
                TestContext.Out.WriteLine($"{c.Name}\t{Hex(code)}");
            }
            finally
            {
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    private static string Hex(uint code) => code < 0x10000 ? code.ToString(CultureInfo.InvariantCulture) : "0x" + code.ToString("X8", CultureInfo.InvariantCulture);

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static void Report(ParityCase c, NativeVirtDisk.Result windows, uint current, uint documented, long? librarySize, bool same)
    {
        string? file = Environment.GetEnvironmentVariable("VDM_PARITY_REPORT");
        if (string.IsNullOrEmpty(file)) return;
        string row = string.Join('\t',
            c.Name, c.Mirrors, Hex(windows.Code), Hex(current), Hex(documented),
            windows.VirtualSize?.ToString(CultureInfo.InvariantCulture) ?? "", librarySize?.ToString(CultureInfo.InvariantCulture) ?? "",
            same ? "same" : "DIFFERENT");
        lock (ReportLock) File.AppendAllText(file, row + Environment.NewLine);
    }
}
