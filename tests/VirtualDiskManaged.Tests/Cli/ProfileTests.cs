using System.Buffers.Binary;
using System.Text.Json;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>
/// vdisk check --profile: each rule with an image that breaks it (made by qemu-img / genisoimage, then patched),
/// and images that pass. Azure, Hyper-V gen2 and ISO rules: docs/cli.md (profiles).
/// </summary>
[TestFixture]
public sealed class ProfileTests
{
    private string _folder = "";

    [OneTimeSetUp]
    public void Folder() => _folder = TestPaths.NewTempFolder("cli-profile");

    private static JsonElement CheckOne(string path, string profile, out int exit, params string[] extra)
    {
        var r = CliRunner.Run(["check", path, "--profile", profile, "--format", "json", .. extra]);
        exit = r.ExitCode;
        Assert.That(r.ExitCode, Is.AnyOf(0, 1), r.ToString());
        var doc = r.Json();
        Assert.That(doc.GetProperty("options").GetProperty("profile").GetString(), Is.EqualTo(profile));
        return doc.GetProperty("results")[0];
    }

    private static List<(string Rule, string Severity)> Rules(JsonElement result) =>
        result.GetProperty("rules").EnumerateArray().Select(v => (v.GetProperty("rule").GetString()!, v.GetProperty("severity").GetString()!)).ToList();

    private static void AssertBroken(JsonElement result, int exit, string rule)
    {
        Assert.That(Rules(result), Does.Contain((rule, "error")), result.ToString());
        Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(exit, Is.EqualTo(1));
        var v = result.GetProperty("rules").EnumerateArray().First(x => x.GetProperty("rule").GetString() == rule);
        Assert.That(v.GetProperty("hint").GetString(), Is.Not.Empty);
        Assert.That(v.GetProperty("message").GetString(), Is.Not.Empty);
    }

    private static string Copy(string source, string folder, string name)
    {
        string p = Path.Combine(folder, name);
        File.Copy(source, p, overwrite: true);
        return p;
    }

    // ---- azure ----

    [Test]
    public void AzureAcceptsAFixedVhdOfWholeMiB()
    {
        string vhd = CliImages.Vhd(_folder, "azure-ok.vhd", "20M");
        var x = CheckOne(vhd, "azure", out int exit);
        Assert.That(Rules(x).Where(r => r.Severity == "error"), Is.Empty, x.ToString());
        Assert.That(x.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(exit, Is.Zero);
        // The CHS geometry warning appears exactly when C·H·S·512 differs from CurrentSize.
        var footer = CliImages.ReadFooter(vhd);
        bool mismatch = CliImages.FooterChsCapacity(footer) != CliImages.FooterCurrentSize(footer);
        Assert.That(Rules(x).Contains(("azure.geometry-mismatch", "warning")), Is.EqualTo(mismatch));
    }

    [Test]
    public void AzureRefusesADynamicVhd()
    {
        var x = CheckOne(CliImages.Vhd(_folder, "azure-dyn.vhd", "20M", isFixed: false), "azure", out int exit);
        AssertBroken(x, exit, "azure.fixed-vhd-required");
    }

    [Test]
    public void AzureRefusesAVhdx()
    {
        var x = CheckOne(CliImages.Vhdx(_folder, "azure.vhdx", "20M"), "azure", out int exit);
        AssertBroken(x, exit, "azure.fixed-vhd-required");
    }

    [Test]
    public void AzureRefusesAnIso()
    {
        var x = CheckOne(CliImages.Iso(_folder, "azure.iso"), "azure", out int exit);
        AssertBroken(x, exit, "azure.fixed-vhd-required");
    }

    [Test]
    public void AzureRefusesASizeThatIsNotWholeMiB()
    {
        // 20.5 MiB, kept exact by force_size.
        var x = CheckOne(CliImages.Vhd(_folder, "azure-half.vhd", "21495808"), "azure", out int exit);
        AssertBroken(x, exit, "azure.size-mib-multiple");
        Assert.That(Rules(x), Does.Not.Contain(("azure.file-length", "error")), "the file is still size + 512");
    }

    [Test]
    public void AzureRefusesADiskBelow20MiB()
    {
        var x = CheckOne(CliImages.Vhd(_folder, "azure-small.vhd", "10M"), "azure", out int exit);
        AssertBroken(x, exit, "azure.size-range");
        Assert.That(Rules(x).Where(r => r.Severity == "error").Select(r => r.Rule), Is.EqualTo(new[] { "azure.size-range" }));
    }

    [Test]
    public void AzureRefusesADiskAbove32TiB()
    {
        // A sparse 33 TiB VHDX (a few MiB on disk): the upload would be 33 TiB + 512, above Azure's 32 TiB + 512.
        var x = CheckOne(CliImages.Vhdx(_folder, "azure-huge.vhdx", "33T"), "azure", out int exit);
        AssertBroken(x, exit, "azure.size-range");
        AssertBroken(x, exit, "azure.fixed-vhd-required");
        Assert.That(x.GetProperty("virtualSize").GetInt64(), Is.EqualTo(33L << 40));
    }

    [Test]
    public void AzureRefusesAFileLongerThanSizePlusFooter()
    {
        // A 24 MiB fixed disk whose footer (checksum recomputed) says 22 MiB: 2 MiB of data beyond the size.
        string vhd = CliImages.Vhd(_folder, "azure-long.vhd", "24M");
        var footer = CliImages.ReadFooter(vhd);
        BinaryPrimitives.WriteUInt64BigEndian(footer.AsSpan(40), 22UL << 20); // original size
        BinaryPrimitives.WriteUInt64BigEndian(footer.AsSpan(48), 22UL << 20); // current size
        CliImages.WriteFooter(vhd, footer);
        var x = CheckOne(vhd, "azure", out int exit);
        AssertBroken(x, exit, "azure.file-length");
        Assert.That(x.GetProperty("virtualSize").GetInt64(), Is.EqualTo(22L << 20), "size from CurrentSize");
    }

    [Test]
    public void AzureRefusesABadFooterChecksum()
    {
        string vhd = CliImages.Vhd(_folder, "azure-cksum.vhd", "20M");
        var footer = CliImages.ReadFooter(vhd);
        footer[67] ^= 0xFF; // the checksum's low byte (footer offset 64..67)
        CliImages.WriteFooter(vhd, footer, fixChecksum: false);
        var x = CheckOne(vhd, "azure", out int exit);
        // docs/open-path.md §8: a fixed disk has no footer copy, so the open fails with 0xC03A0002.
        Assert.That(x.GetProperty("code").GetUInt32(), Is.EqualTo(0xC03A0002u));
        AssertBroken(x, exit, "azure.footer-checksum");
    }

    [Test]
    public void AzureRefusesAMissingConectixCookie()
    {
        string vhd = CliImages.Vhd(_folder, "azure-cookie.vhd", "20M");
        var footer = CliImages.ReadFooter(vhd);
        "connectx"u8.CopyTo(footer);
        CliImages.WriteFooter(vhd, footer);
        var x = CheckOne(vhd, "azure", out int exit);
        Assert.That(x.GetProperty("code").GetUInt32(), Is.EqualTo(0xC03A0001u));
        AssertBroken(x, exit, "azure.footer-cookie");
    }

    [Test]
    public void AzureWarnsWhenGeometryDisagrees()
    {
        // 20 MiB with CHS 100/4/17 (3,481,600 bytes), checksum recomputed: a warning, not a failure.
        string vhd = CliImages.Vhd(_folder, "azure-chs.vhd", "20M");
        var footer = CliImages.ReadFooter(vhd);
        BinaryPrimitives.WriteUInt16BigEndian(footer.AsSpan(56), 100);
        footer[58] = 4;
        footer[59] = 17;
        CliImages.WriteFooter(vhd, footer);
        var x = CheckOne(vhd, "azure", out int exit);
        Assert.That(Rules(x), Does.Contain(("azure.geometry-mismatch", "warning")), x.ToString());
        Assert.That(Rules(x).Where(r => r.Severity == "error"), Is.Empty);
        Assert.That(exit, Is.Zero);
        Assert.That(x.GetProperty("virtualSize").GetInt64(), Is.EqualTo(20L << 20), "size from CurrentSize, not CHS");
    }

    // ---- hyperv-gen2 ----

    [Test]
    public void HyperVGen2AcceptsAQemuVhdx()
    {
        var x = CheckOne(CliImages.Vhdx(_folder, "gen2.vhdx", "32M"), "hyperv-gen2", out int exit);
        Assert.That(Rules(x).Where(r => r.Severity == "error"), Is.Empty, x.ToString());
        Assert.That(exit, Is.Zero);
    }

    [Test]
    public void HyperVGen2RefusesAVhd()
    {
        var x = CheckOne(CliImages.Vhd(_folder, "gen2.vhd", "20M"), "hyperv-gen2", out int exit);
        AssertBroken(x, exit, "hyperv-gen2.vhdx-required");
    }

    [Test]
    public void HyperVGen2RefusesAnIso()
    {
        var x = CheckOne(CliImages.Iso(_folder, "gen2.iso"), "hyperv-gen2", out int exit);
        AssertBroken(x, exit, "hyperv-gen2.vhdx-required");
    }

    [Test]
    public void HyperVGen2RefusesADirtyLog()
    {
        // The corpus' vhdx-log-pending was made by qemu-io with the writes after the log entry dropped (a power cut).
        string? corpus = CliImages.Corpus;
        if (corpus is null) Assert.Ignore("the shared corpus (../shared/corpus or VDM_SHARED_CORPUS) is not present");
        AssertDirtyLogBreaksHyperVGen2(Path.Combine(corpus!, "images/invalid/vhdx/vhdx-log-pending.vhdx.gz"));
    }

    [Test]
    public void HyperVGen2RefusesTheTestdataDirtyLog() =>
        AssertDirtyLogBreaksHyperVGen2(Path.Combine(TestPaths.TestData, "vhdx-log", "pending-bat.vhdx.gz"));

    private static void AssertDirtyLogBreaksHyperVGen2(string image)
    {
        var x = CheckOne(image, "hyperv-gen2", out int exit);
        Assert.That(x.GetProperty("code").GetUInt32(), Is.Zero, "the log is replayed in memory: the open succeeds");
        AssertBroken(x, exit, "hyperv-gen2.dirty-log");
        Assert.That(x.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("reason").GetString()), Does.Contain("VhdxLogReplayed"));
    }

    // ---- iso ----

    [Test]
    public void IsoProfileAcceptsABootableIso()
    {
        var x = CheckOne(CliImages.Iso(_folder, "boot.iso", elTorito: true), "iso", out int exit);
        // BIOS-only and without an implanted MD5: warnings of the installer-media rules, not failures.
        Assert.That(Rules(x), Is.EqualTo(new[] { ("iso.uefi-boot-missing", "warning"), ("iso.md5-missing", "warning") }), x.ToString());
        Assert.That(x.GetProperty("elTorito").GetBoolean(), Is.True);
        Assert.That(exit, Is.Zero);
    }

    [Test]
    public void IsoProfileWarnsWithoutElTorito()
    {
        var x = CheckOne(CliImages.Iso(_folder, "data.iso"), "iso", out int exit);
        Assert.That(Rules(x), Is.EqualTo(new[] { ("iso.el-torito-missing", "warning"), ("iso.md5-missing", "warning") }));
        Assert.That(x.GetProperty("elTorito").GetBoolean(), Is.False);
        Assert.That(x.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(exit, Is.Zero);
    }

    [Test]
    public void IsoProfileRefusesAVhd()
    {
        var x = CheckOne(CliImages.Vhd(_folder, "iso-profile.vhd", "20M"), "iso", out int exit);
        AssertBroken(x, exit, "iso.iso-required");
    }

    [Test]
    public void ProfileRulesAppearInJUnitAndText()
    {
        string iso = CliImages.Iso(_folder, "junit.iso");
        var junit = CliRunner.Run("check", iso, "--profile", "azure", "--format", "junit");
        Assert.That(junit.ExitCode, Is.EqualTo(1));
        var xml = new System.Xml.XmlDocument();
        xml.LoadXml(junit.Stdout);
        var failure = (System.Xml.XmlElement)xml.SelectSingleNode("//testcase/failure")!;
        Assert.That(failure.GetAttribute("type"), Is.EqualTo("ProfileRule"));
        Assert.That(failure.GetAttribute("message"), Does.Contain("azure.fixed-vhd-required"));
        var text = CliRunner.Run("check", iso, "--profile", "azure");
        Assert.That(text.Stdout, Does.Contain(": breaks azure.fixed-vhd-required"));
        Assert.That(text.Stdout, Does.Contain("rule azure.fixed-vhd-required:"));
        Assert.That(text.Stdout, Does.Contain("Fix: "));
    }

    [Test]
    public void StrictTurnsWarningsIntoFailures()
    {
        // A 20 MiB fixed disk whose footer says 18 MiB: the file is longer than size + footer, a warning unless strict.
        string vhd = CliImages.Vhd(_folder, "strict.vhd", "20M");
        var footer = CliImages.ReadFooter(vhd);
        BinaryPrimitives.WriteUInt64BigEndian(footer.AsSpan(48), 18UL << 20);
        CliImages.WriteFooter(vhd, footer);
        var loose = CliRunner.Run("check", vhd, "--format", "json").Json().GetProperty("results")[0];
        var warnings = loose.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("reason").GetString()).ToList();
        Assert.That(loose.GetProperty("code").GetUInt32(), Is.Zero, loose.ToString());
        Assert.That(warnings, Is.Not.Empty, "a fixed file longer than size + footer is a warning (contract §9)");
        var strict = CliRunner.Run("check", vhd, "--format", "json", "--strict");
        Assert.That(strict.ExitCode, Is.EqualTo(1), strict.ToString());
        var s = strict.Json().GetProperty("results")[0];
        Assert.That(s.GetProperty("code").GetUInt32(), Is.Not.Zero);
        Assert.That(warnings, Does.Contain(s.GetProperty("reason").GetString()));
        Assert.That(strict.Json().GetProperty("options").GetProperty("strict").GetBoolean(), Is.True);
    }
}
