using System.Buffers.Binary;
using VirtualDiskManaged.Tests.Foundation;
using VirtualDiskManaged.Tests.Vhd;
using VirtualDiskManaged.Tests.Vhdx;
using M = VirtualDiskManaged.VirtualDiskAccessMask;
using F = VirtualDiskManaged.OpenVirtualDiskFlags;

namespace VirtualDiskManaged.Tests.WindowsParity;

/// <summary>
/// One open to replay through both the library and the real virtdisk.dll: how to make the file (with the same makers
/// and the same patches the rule-table and corruption tests use) and the OpenVirtualDisk arguments.
/// </summary>
/// <param name="Name">Unique case name (also the row of the parity table).</param>
/// <param name="Mirrors">The project test the case mirrors (class.method), so a difference points at its rule.</param>
/// <param name="Make">Creates the file in the given folder and returns the path to open (or null / a missing path).</param>
/// <param name="Type">The storage type (null: a NULL pointer).</param>
/// <param name="Access">The access mask.</param>
/// <param name="Flags">The open flags.</param>
/// <param name="Parameters">The parameters (null: a NULL pointer).</param>
public sealed record ParityCase(string Name, string Mirrors, Func<string, string?> Make, VirtualStorageType? Type, M Access,
    F Flags = F.None, OpenVirtualDiskParameters? Parameters = null)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>The catalog: argument rules, order of checks, host-file rules, detection, VHD and VHDX corruption classes.</summary>
internal static class ParityCases
{
    private const long MiB = 1 << 20;
    private static readonly M Default = Files.DefaultAccess;
    private static readonly VirtualStorageType Auto = VirtualStorageType.Auto;
    private static readonly Guid BadVendor = Guid.Parse("12345678-1234-1234-1234-123456789ABC");

    private static string Missing(string folder) => Path.Combine(folder, "missing.vhd");
    private static string Iso(string folder) => Files.Iso(folder);

    public static IEnumerable<ParityCase> All() =>
        Arguments().Concat(Order()).Concat(Host()).Concat(Iso()).Concat(Detection()).Concat(Vhd()).Concat(Vhdx());

    // ---- ArgumentRuleTests (docs/open-path.md, steps 1–7) ----
    private static IEnumerable<ParityCase> Arguments()
    {
        const string T = nameof(ArgumentRuleTests);
        yield return new("arg null type", T + ".NullStorageTypeIs87", Iso, null, Default);
        yield return new("arg null path", T + ".NullPathIs87", _ => null, Auto, Default);
        foreach (uint mask in new uint[] { 0x1, 0x8000, 0x400000, 0x80000000, 0xFFFFFFFF, 0x3F0001 })
            yield return new($"arg mask 0x{mask:X}", T + ".MaskOutsideAllIs87", Missing, Auto, (M)mask);
        foreach (uint mask in new uint[] { 0, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0xD0000, 0x320000, 0x3F0000 })
            yield return new($"arg mask 0x{mask:X} passes", T + ".MaskInsideAllPassesStep2", Missing, Auto, (M)mask);
        foreach (uint flag in new uint[] { 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x80000000 })
            yield return new($"arg flag 0x{flag:X}", T + ".DocumentedAllowsOnlyNoParentsAndBlankFile", Missing, Auto, Default, (F)flag);
        yield return new("arg flags 0xFFF", T + ".CurrentAllowsAllTwelveFlagsAtOnce", Missing, Auto, Default, (F)0xFFF);
        foreach (uint version in new uint[] { 0, 1, 2, 3, 4, 0xFFFFFFFF })
            yield return new($"arg version {version}", T + ".ParameterVersions", Missing, Auto, version == 1 ? Default : M.None, F.None,
                new OpenVirtualDiskParameters { Version = (OpenVirtualDiskVersion)version });
        foreach (uint depth in new uint[] { 0, 1000, uint.MaxValue })
            yield return new($"arg v1 depth {depth}", T + ".Version1FieldsAreNotCheckedBeforeTheFile", Missing, Auto, M.All, F.None, OpenVirtualDiskParameters.V1(depth));
        foreach (uint mask in new uint[] { 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000 })
        {
            yield return new($"arg v2 mask 0x{mask:X}", T + ".Version2WithAnyMaskIs87", Missing, Auto, (M)mask, F.None, OpenVirtualDiskParameters.V2());
            yield return new($"arg v3 mask 0x{mask:X}", T + ".Version3WithAnyMaskIs87", Missing, Auto, (M)mask, F.None, OpenVirtualDiskParameters.V3());
        }
        foreach (bool readOnly in new[] { true, false })
            foreach (bool infoOnly in new[] { true, false })
            {
                yield return new($"arg v2 ro={readOnly} info={infoOnly}", T + ".Version2And3WithNoneReachTheFile", Missing, Auto, M.None, F.None, OpenVirtualDiskParameters.V2(readOnly, infoOnly));
                yield return new($"arg v3 ro={readOnly} info={infoOnly}", T + ".Version2And3WithNoneReachTheFile", Missing, Auto, M.None, F.None, OpenVirtualDiskParameters.V3(readOnly, infoOnly));
            }
        foreach (string vendor in new[] { "EC984AEC-A0F9-47E9-901F-71415A66345B", "00000000-0000-0000-0000-000000000000", "EC984AEC-A0F9-47E9-901F-71415A66345C", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF" })
            foreach (uint device in new uint[] { 0, 2 })
                yield return new($"arg vendor {vendor[..8]}..{vendor[^4..]} device {device}", T + ".Vendor", Missing, new VirtualStorageType(device, Guid.Parse(vendor)), Default);
        foreach (uint device in new uint[] { 0, 1, 2, 3, 4, 5, 100, uint.MaxValue })
            yield return new($"arg device {device}", T + ".DeviceId", Missing, new VirtualStorageType(device, VirtualStorageType.VendorMicrosoft), M.AttachRO);
    }

    // ---- OrderOfChecksTests: two broken rules, the earlier one must win ----
    private static IEnumerable<ParityCase> Order()
    {
        const string T = nameof(OrderOfChecksTests);
        yield return new("order null type before all", T + ".NullTypeBeforeBadMask", Missing, null, (M)0xFFFFFFFF, (F)0xFFFFFFFF, new() { Version = 0 });
        yield return new("order null path before all", T + ".NullPathBeforeBadMaskFlagsVersionAndVendor", _ => null, new(99, BadVendor), (M)0xFFFFFFFF, (F)0xFFFFFFFF, new() { Version = 0 });
        yield return new("order mask before flags", T + ".BadMaskBeforeBadFlags", Missing, Auto, (M)1, (F)0x1000);
        yield return new("order mask before version", T + ".BadMaskBeforeBadVersion", Missing, Auto, (M)1, F.None, new() { Version = 0 });
        yield return new("order mask before vendor", T + ".BadMaskBeforeVendor", Missing, new(2, BadVendor), (M)1);
        yield return new("order mask before empty path", T + ".BadMaskOnAnEmptyPathIs87Not3", _ => "", Auto, (M)0xFFFFFF);
        yield return new("order flags before version", T + ".BadFlagsBeforeBadVersion", Missing, Auto, M.None, (F)0x1000, new() { Version = 0 });
        yield return new("order version before vendor", T, Missing, new(2, BadVendor), M.None, F.None, new() { Version = 0 });
        yield return new("order v2 mask before vendor", T, Missing, new(2, BadVendor), Default, F.None, OpenVirtualDiskParameters.V2());
        yield return new("order vendor before missing file", T, Missing, new(2, BadVendor), Default);
        yield return new("order iso rules before missing file", T, f => Path.Combine(f, "missing.iso"), Auto, M.AttachRW);
        yield return new("order iso device rules before missing file", T, Missing, VirtualStorageType.Iso, M.AttachRW);
    }

    // ---- ArgumentRuleTests, step 8: the host file ----
    private static IEnumerable<ParityCase> Host()
    {
        const string T = nameof(ArgumentRuleTests);
        yield return new("host empty path", T + ".EmptyPathIs3", _ => "", Auto, Default);
        yield return new("host missing file", T + ".MissingFileIs2", Missing, Auto, Default);
        yield return new("host missing folder", T + ".MissingFolderIs3", f => Path.Combine(f, "no-such-folder", "x.vhd"), Auto, Default);
        yield return new("host file used as folder", T + ".AFileUsedAsAFolderIs3", f => Path.Combine(Files.Iso(f), "x.vhd"), Auto, Default);
        yield return new("host directory", T + ".DirectoryIs5", f => { string d = Path.Combine(f, "dir.vhd"); Directory.CreateDirectory(d); return d; }, Auto, Default);
    }

    // ---- ArgumentRuleTests / IsoProviderTests: the ISO rules ----
    private static IEnumerable<ParityCase> Iso()
    {
        const string T = nameof(ArgumentRuleTests);
        foreach (uint mask in new uint[] { 0x0, 0x10000, 0x40000, 0x80000, 0xD0000, 0x90000, 0x20000, 0x100000, 0x200000, 0x320000, 0x3F0000, 0x290000 })
        {
            yield return new($"iso mask 0x{mask:X}", T + ".IsoAccess", Iso, Auto, (M)mask);
            yield return new($"iso device mask 0x{mask:X}", T + ".IsoAccess", Iso, VirtualStorageType.Iso, (M)mask);
        }
        foreach (uint flag in new uint[] { 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800 })
            yield return new($"iso flag 0x{flag:X}", T + ".IsoForbiddenFlagsAre87", Iso, Auto, Default, (F)flag);
        foreach (uint depth in new uint[] { 0, 2, 1000 })
            yield return new($"iso v1 depth {depth}", T + ".IsoAcceptsNullAndVersion1WithAnyRWDepth", Iso, Auto, Default, F.None, OpenVirtualDiskParameters.V1(depth));
        yield return new("iso v2", T + ".IsoRefusesVersion2And3", Iso, Auto, M.None, F.None, OpenVirtualDiskParameters.V2());
        yield return new("iso v3", T + ".IsoRefusesVersion2And3", Iso, Auto, M.None, F.None, OpenVirtualDiskParameters.V3());

        const string P = nameof(IsoProviderTests);
        yield return new("iso size 34816 (minimum)", P, f => Files.Iso(f, length: 34816), Auto, Default);
        yield return new("iso size 32768", P, f => Files.Iso(f, length: 32768), Auto, Default);
        yield return new("iso size 18 sectors + 1", P, f => Files.Iso(f, length: 18 * 2048 + 1), Auto, Default);
        yield return new("iso size 18 sectors - 2048 + 512", P, f => Files.Iso(f, length: 17 * 2048 + 512), Auto, Default);
        yield return new("iso empty file", P, f => Files.Iso(f, length: 0, identifier: null), Auto, Default);
        yield return new("iso no descriptor", P, f => Files.Iso(f, identifier: null), Auto, Default);
        foreach (string id in new[] { "CD001", "BEA01", "NSR02", "NSR03", "TEA01", "BOOT2", "CDW02", "CD002" })
            yield return new($"iso identifier {id}", P, f => Files.Iso(f, identifier: id), Auto, Default);
        yield return new("iso high sierra", P, f => Files.HighSierra(f), Auto, Default);
    }

    // ---- DetectionTests: extension first, then content ----
    private static IEnumerable<ParityCase> Detection()
    {
        const string T = nameof(DetectionTests);
        yield return new("detect iso named .vhd", T, f => Rename(Files.Iso(f), "i.vhd"), Auto, Default);
        yield return new("detect vhdx named .vhd", T, f => Vhdx(f, new VhdxWriter(8 * MiB), "x.vhd"), Auto, Default);
        yield return new("detect vhd named .vhdx", T, f => VhdFile(f, VhdWriter.NewDynamic(8 * MiB).Build(), "v.vhdx"), Auto, Default);
        yield return new("detect vhd named .iso", T, f => VhdFile(f, VhdWriter.NewFixed(MiB).Build(), "v.iso"), Auto, Default);
        yield return new("detect vhd named .img", T, f => VhdFile(f, VhdWriter.NewDynamic(8 * MiB).Build(), "v.img"), Auto, Default);
        yield return new("detect vhdx named .img", T, f => Vhdx(f, new VhdxWriter(8 * MiB), "x.img"), Auto, Default);
        yield return new("detect iso named .img", T, f => Rename(Files.Iso(f), "i.img"), Auto, Default);
        yield return new("detect iso without extension", T, f => Rename(Files.Iso(f), "image"), Auto, Default);
        yield return new("detect noise named .img", T, f => Files.Noise(f, "n.img"), Auto, Default);
        yield return new("detect noise named .vhd", T, f => Files.Noise(f, "n.vhd"), Auto, Default);
        yield return new("detect noise named .vhdx", T, f => Files.Noise(f, "n.vhdx"), Auto, Default);
        yield return new("detect vhdx as device VHD", T, f => Vhdx(f, new VhdxWriter(8 * MiB), "x.vhdx"), VirtualStorageType.Vhd, Default);
        yield return new("detect vhd as device VHDX", T, f => VhdFile(f, VhdWriter.NewDynamic(8 * MiB).Build(), "v.vhd"), VirtualStorageType.Vhdx, Default);
        yield return new("detect vhd as device ISO", T, f => VhdFile(f, VhdWriter.NewFixed(MiB).Build(), "v.vhd"), VirtualStorageType.Iso, M.AttachRO);
        yield return new("detect .avhd dynamic", T, f => VhdFile(f, VhdWriter.NewDynamic(8 * MiB).Build(), "v.avhd"), Auto, Default);
        yield return new("detect .avhdx", T, f => Vhdx(f, new VhdxWriter(8 * MiB), "x.avhdx"), Auto, Default);
        yield return new("detect upper-case .VHD", T, f => VhdFile(f, VhdWriter.NewFixed(MiB).Build(), "V.VHD"), Auto, Default);
    }

    // ---- VhdCorruptionTests (and good images, which must open) ----
    private static IEnumerable<ParityCase> Vhd()
    {
        const string T = nameof(VhdCorruptionTests) + ".";
        static VhdWriter SmallDynamic() => VhdWriter.NewDynamic(8 * MiB).Fill(0, 4096, 0xAB).Fill(4 * MiB, 512, 0xCD);
        ParityCase C(string name, string test, Func<VhdImage> image) => new("vhd " + name, T + test, f => VhdFile(f, image(), "d.vhd"), Auto, Default);

        yield return C("good fixed", "(good image)", () => VhdWriter.NewFixed(MiB).Fill(0, 512, 1).Build());
        yield return C("good dynamic", "(good image)", () => SmallDynamic().Build());
        yield return C("no cookie anywhere", "NoCookieAnywhereIsFooterMissing", () =>
        {
            var i = SmallDynamic().Build(); i.TrailingFooter[7] = (byte)'X'; i.FooterCopy[7] = (byte)'X'; return i;
        });
        yield return new("vhd shorter than a footer", T + "FileShorterThanAFooterIsFooterMissing",
            f => { string p = Path.Combine(f, "tiny.vhd"); File.WriteAllBytes(p, "conectix"u8.ToArray()); return p; }, Auto, Default);
        yield return C("fixed footer checksum", "FixedFooterChecksumIsChecksumMismatch", () => { var i = VhdWriter.NewFixed(MiB).Build(); i.TrailingFooter[67] ^= 0xFF; return i; });
        yield return C("both dynamic footers bad", "BothDynamicFootersBadIsChecksumMismatch", () =>
        {
            var i = SmallDynamic().Build(); i.TrailingFooter[100] ^= 1; i.FooterCopy[100] ^= 1; return i;
        });
        yield return C("bad trailing footer, copy used", "BadTrailingFooterFallsBackToTheCopy", () => { var i = SmallDynamic().Build(); i.TrailingFooter[100] ^= 1; return i; });
        yield return new("vhd missing trailing footer, copy used", T + "MissingTrailingFooterFallsBackToTheCopy", f =>
        {
            var i = SmallDynamic().Build();
            string p = VhdFile(f, i, "d.vhd");
            using (var s = File.OpenWrite(p)) s.SetLength(i.FooterOffset);
            return p;
        }, Auto, Default);
        yield return C("differing footer copies", "DifferingCopiesUseTheTrailingFooter", () => { var i = SmallDynamic().Build(); VhdWriterPatch.SetCopyOnly(i, 48, 16 * MiB); return i; });
        yield return C("footer version 2.0", "FooterVersionIsUnsupported", () => SmallDynamic().Build().SetFooterField(12, 0x00020000, 4));
        foreach (uint type in new uint[] { 0, 1, 5, 6 })
            yield return C($"disk type {type}", "DiskTypeOutsideTwoToFourIsInvalid", () => SmallDynamic().Build().SetFooterField(60, type, 4));
        foreach (ulong offset in new ulong[] { 0, 100, 0x7FFF_FFFF_FFFF_FE00, ulong.MaxValue })
            yield return C($"dynamic data offset 0x{offset:X}", "DynamicDataOffsetOutsideTheFileIsInvalid", () => SmallDynamic().Build().SetFooterField(16, offset, 8));
        yield return C("fixed data offset 512", "FixedDataOffsetMustBeAllOnes", () => VhdWriter.NewFixed(MiB).Build().SetFooterField(16, 512, 8));
        yield return C("fixed data offset 0xFFFFFFFF", "FixedSpecLiteralDataOffsetIsAWarning", () => VhdWriter.NewFixed(MiB).Build().SetFooterField(16, 0xFFFF_FFFF, 8));
        yield return C("features 0", "FeaturesWithoutReservedBitIsAWarning", () => VhdWriter.NewFixed(MiB).Build().SetFooterField(8, 0, 4));
        yield return C("size 0", "SizeZeroIsInvalidSize", () => VhdWriter.NewFixed(MiB).Build().SetFooterField(48, 0, 8));
        yield return C("size not whole sectors", "SizeNotWholeSectorsIsInvalidSize", () => SmallDynamic().Build().SetFooterField(48, 8 * MiB - 100, 8));
        yield return C("dynamic size 2041 GiB", "DynamicSizeAbove2040GiBIsTooLarge", () => SmallDynamic().Build().SetFooterField(48, 2041UL << 30, 8));
        yield return C("fixed size 2041 GiB", "FixedSizeAbove2040GiBIsTooLarge", () => VhdWriter.NewFixed(MiB).Build().SetFooterField(48, 2041UL << 30, 8));
        yield return C("fixed file shorter than size", "FixedFileShorterThanSizeIsFileTooShort", () => VhdWriter.NewFixed(MiB).Build().SetFooterField(48, 2 * MiB, 8));
        yield return C("fixed file longer than size", "FixedFileLongerThanSizeIsAWarning", () => VhdWriter.NewFixed(MiB).Build().SetFooterField(48, MiB - 4096, 8));
        yield return C("dynamic header cookie", "DynamicHeaderCookieIsSparseHeaderCorrupt", () => { var i = SmallDynamic().Build(); i.Header[7] = (byte)'X'; VhdImage.Seal(i.Header, 36); return i; });
        yield return C("dynamic header checksum", "DynamicHeaderChecksumIsSparseHeaderChecksumMismatch", () => { var i = SmallDynamic().Build(); i.Header[900] ^= 1; return i; });
        yield return C("dynamic header version", "DynamicHeaderVersionIsUnsupported", () => SmallDynamic().Build().SetHeaderField(24, 0x00010001, 4));
        foreach (uint blockSize in new uint[] { 0, 256, 3u << 20, 0x8000_0001 })
            yield return C($"block size {blockSize}", "BlockSizeNotAPowerOfTwoOfAtLeast512IsInvalid", () => SmallDynamic().Build().SetHeaderField(32, blockSize, 4));
        yield return C("too few table entries", "TooFewTableEntriesIsBatCorrupt", () => SmallDynamic().Build().SetHeaderField(28, 3, 4));
        yield return C("BAT beyond the file", "BatBeyondTheFileIsBatCorrupt", () => SmallDynamic().Build().SetHeaderField(16, 1UL << 40, 8));
        yield return C("BAT over the dynamic header", "BatOverTheDynamicHeaderIsSparseHeaderCorrupt", () => SmallDynamic().Build().SetHeaderField(16, 1024, 8));
        yield return C("BAT entry beyond the file", "BatEntryBeyondTheFileIsBatCorrupt", () => SmallDynamic().Build().SetBatEntry(2, 0x0010_0000));
        foreach (uint sector in new uint[] { 0, 1, 3 })
            yield return C($"BAT entry over metadata sector {sector}", "BatEntryOverMetadataIsBatCorrupt", () => SmallDynamic().Build().SetBatEntry(2, sector));
        yield return new("vhd truncated data block", T + "TruncatedDataBlockIsBatCorrupt", f =>
        {
            var i = SmallDynamic().Build();
            string p = VhdFile(f, i, "d.vhd");
            using (var s = File.OpenWrite(p)) s.SetLength(i.FooterOffset - MiB);
            return p;
        }, Auto, Default);
        yield return new("vhd locator data outside the file", T + "LocatorDataOutsideTheFileIsSparseHeaderCorrupt", f =>
        {
            var parent = VhdWriter.NewDynamic(8 * MiB);
            var image = VhdWriter.NewDifferencing(parent).Locator(VhdWriter.W2ru, @".\p.vhd").Build();
            image.SetHeaderField(576 + 16, 1UL << 40, 8);
            return VhdFile(f, image, "d.vhd");
        }, Auto, Default);
        yield return new("vhd differencing, parent missing", nameof(VhdChainTests), f =>
        {
            var parent = VhdWriter.NewDynamic(8 * MiB);
            return VhdFile(f, VhdWriter.NewDifferencing(parent).Locator(VhdWriter.W2ru, @".\absent.vhd").Build(), "child.vhd");
        }, Auto, Default);
        yield return new("vhd differencing, parent present", nameof(VhdChainTests), f =>
        {
            var parent = VhdWriter.NewDynamic(8 * MiB).Fill(0, 512, 3);
            VhdFile(f, parent.Build(), "p.vhd");
            return VhdFile(f, VhdWriter.NewDifferencing(parent).Locator(VhdWriter.W2ru, @".\p.vhd").Build(), "child.vhd");
        }, Auto, Default);
        yield return new("vhd differencing, parent id mismatch", nameof(VhdChainTests), f =>
        {
            var parent = VhdWriter.NewDynamic(8 * MiB);
            var child = VhdWriter.NewDifferencing(parent).Locator(VhdWriter.W2ru, @".\p.vhd");
            child.ParentUniqueId = Guid.NewGuid();
            VhdFile(f, parent.Build(), "p.vhd");
            return VhdFile(f, child.Build(), "child.vhd");
        }, Auto, Default);
        yield return new("vhd differencing, NO_PARENTS", nameof(VhdChainTests), f =>
        {
            var parent = VhdWriter.NewDynamic(8 * MiB);
            return VhdFile(f, VhdWriter.NewDifferencing(parent).Locator(VhdWriter.W2ru, @".\absent.vhd").Build(), "child.vhd");
        }, Auto, Default, F.NoParents);
    }

    // ---- VhdxCorruptionTests ----
    private static IEnumerable<ParityCase> Vhdx()
    {
        const string T = nameof(VhdxCorruptionTests) + ".";
        const int Metadata = (int)VhdxWriter.MetadataOffset;
        const int H1 = (int)VhdxWriter.Header1Offset, H2 = (int)VhdxWriter.Header2Offset;
        const int RT1 = (int)VhdxWriter.RegionTable1Offset, RT2 = (int)VhdxWriter.RegionTable2Offset;
        const int FileParameters = 0, VirtualDiskSize = 1, VirtualDiskId = 2, LogicalSector = 3, PhysicalSector = 4, ParentLocator = 5;
        static VhdxWriter Good() => new VhdxWriter(8 * MiB).Fill(0, 4096, 0x5A).Fill(3 * MiB, 4096, 0x5B);
        static VhdxWriter Child() => new(8 * MiB) { Parent = new VhdxParentSpec(Guid.NewGuid(), "parent.vhdx") };
        static int EntryAt(int item) => Metadata + 32 + 32 * item;
        static int ItemAt(byte[] image, int item) => Metadata + (int)BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(EntryAt(item) + 16));
        static int BatEntryAt(VhdxWriter w, long block) => (int)(VhdxWriter.BatOffset + w.PayloadIndex(block) * 8);
        ParityCase C(string name, string test, Func<VhdxWriter> writer, Action<byte[], VhdxWriter> patch, bool reseal = true) =>
            new("vhdx " + name, T + test, f =>
            {
                var w = writer();
                byte[] image = w.Build();
                patch(image, w);
                if (reseal) VhdxWriter.FixChecksums(image);
                return VhdxTestSupport.Save(image, f, "d.vhdx");
            }, Auto, Default);

        yield return C("good dynamic", "(good image)", Good, (_, _) => { });
        yield return C("good fixed", "(good image)", () => new VhdxWriter(8 * MiB) { Fixed = true }, (_, _) => { });
        yield return C("good 4K logical sectors", "(good image)", () => new VhdxWriter(8 * MiB, logicalSectorSize: 4096), (_, _) => { });
        yield return C("no file identifier", "NoFileIdentifier", Good, (i, _) => i[7] = (byte)'X');
        yield return C("one header bad", "OneHeaderBad_OtherUsed", Good, (i, _) => i[H2 + 100] ^= 1, reseal: false);
        yield return C("both headers bad", "BothHeadersBad", Good, (i, _) => { i[H1 + 100] ^= 1; i[H2] = (byte)'x'; }, reseal: false);
        yield return C("equal sequence, different headers", "EqualSequenceDifferentHeaders", Good, (i, _) => { i[H2 + 8] = 1; i[H2 + 16] ^= 0xFF; });
        yield return C("header version 2", "HeaderVersion2", Good, (i, _) => { i[H1 + 66] = 2; i[H2 + 66] = 2; });
        yield return C("log version 1", "LogVersion1", Good, (i, _) => { i[H1 + 64] = 1; i[H2 + 64] = 1; });
        yield return C("log offset unaligned", "LogOffsetUnaligned", Good, (i, _) => { i[H1 + 72] = 0x10; i[H2 + 72] = 0x10; });
        yield return C("region table 1 bad", "RegionTable1Bad_Table2Used", Good, (i, _) => i[RT1 + 40] ^= 1, reseal: false);
        yield return C("both region tables bad", "BothRegionTablesBad", Good, (i, _) => { i[RT1 + 40] ^= 1; i[RT2 + 9] = 0xFF; }, reseal: false);
        yield return C("region tables differ", "RegionTablesDiffer", Good, (i, _) => i[RT2 + 28 + 16] = 0);
        yield return C("region offset unaligned", "RegionOffsetUnaligned", Good, (i, _) => { i[RT1 + 16 + 16] = 0x01; i[RT2 + 16 + 16] = 0x01; });
        yield return C("unknown required region", "UnknownRequiredRegion", Good, (i, _) =>
        {
            foreach (int t in new[] { RT1, RT2 })
            {
                i[t + 8] = 3;
                var e = i.AsSpan(t + 16 + 64, 32);
                Guid.NewGuid().TryWriteBytes(e);
                BinaryPrimitives.WriteUInt64LittleEndian(e[16..], 100 * (ulong)MiB);
                BinaryPrimitives.WriteUInt32LittleEndian(e[24..], (uint)MiB);
                BinaryPrimitives.WriteUInt32LittleEndian(e[28..], 1);
            }
        });
        yield return C("metadata region missing", "MetadataRegionMissing", Good, (i, _) => { i[RT1 + 8] = 1; i[RT2 + 8] = 1; });
        yield return C("regions overlap", "RegionsOverlap", Good, (i, _) => { i[RT1 + 48 + 16 + 2] = 0x30; i[RT2 + 48 + 16 + 2] = 0x30; });
        yield return C("region overlaps log", "RegionOverlapsLog", Good, (i, _) => { i[RT1 + 48 + 16 + 2] = 0x10; i[RT2 + 48 + 16 + 2] = 0x10; });
        yield return C("metadata signature", "MetadataSignature", Good, (i, _) => i[Metadata + 7] = (byte)'X');
        yield return C("metadata entry count 2048", "MetadataEntryCountTooLarge", Good, (i, _) => BinaryPrimitives.WriteUInt16LittleEndian(i.AsSpan(Metadata + 10), 2048));
        yield return C("metadata item inside the table", "MetadataItemInsideTheTable", Good, (i, _) => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(EntryAt(VirtualDiskId) + 16), 4096));
        yield return C("metadata item outside the region", "MetadataItemOutsideTheRegion", Good, (i, _) => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(EntryAt(VirtualDiskId) + 16), (uint)MiB - 8));
        yield return C("metadata items overlap", "MetadataItemsOverlap", Good, (i, _) =>
            BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(EntryAt(VirtualDiskId) + 16), (uint)(ItemAt(i, VirtualDiskSize) - Metadata)));
        yield return C("metadata duplicate item", "MetadataDuplicateItem", Good, (i, _) => i.AsSpan(EntryAt(LogicalSector), 16).CopyTo(i.AsSpan(EntryAt(PhysicalSector))));
        yield return C("metadata unknown required item", "MetadataUnknownRequiredItem", Good, (i, _) => Guid.NewGuid().TryWriteBytes(i.AsSpan(EntryAt(VirtualDiskId))));
        yield return C("metadata item wrong length", "MetadataItemWrongLength", Good, (i, _) => i[EntryAt(VirtualDiskSize) + 20] = 4);
        yield return C("metadata required item missing", "MetadataRequiredItemMissing", Good, (i, _) =>
        {
            Guid.NewGuid().TryWriteBytes(i.AsSpan(EntryAt(FileParameters)));
            i[EntryAt(FileParameters) + 24] = 0;
        });
        foreach (uint blockSize in new uint[] { 512 * 1024, 3 * (uint)MiB, 512 * (uint)MiB })
            yield return C($"block size {blockSize}", "BlockSizeNotAllowed", Good, (i, _) => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(ItemAt(i, FileParameters)), blockSize));
        yield return C("file parameter reserved flags", "FileParameterReservedFlags", Good, (i, _) => i[ItemAt(i, FileParameters) + 4] = 4);
        foreach (var (item, value) in new[] { (LogicalSector, 1024u), (PhysicalSector, 520u) })
            yield return C($"sector size item {item} = {value}", "SectorSizeNotAllowed", Good, (i, _) => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(ItemAt(i, item)), value));
        foreach (ulong size in new ulong[] { 0, 8 * (ulong)MiB + 100, (64UL << 40) + 512 })
            yield return C($"virtual size {size}", "VirtualSizeNotAllowed", Good, (i, _) => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(ItemAt(i, VirtualDiskSize)), size));
        yield return C("4K size not a 4K multiple", "FourKSizeMustBeA4KMultiple", () => new VhdxWriter(8 * MiB, logicalSectorSize: 4096),
            (i, _) => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(ItemAt(i, VirtualDiskSize)), 8 * (ulong)MiB - 512));
        yield return C("has parent without locator", "HasParentWithoutLocator", Child, (i, _) => { i[Metadata + 10] = 5; i.AsSpan(EntryAt(ParentLocator), 32).Clear(); });
        yield return C("locator type unknown", "LocatorTypeUnknown", Child, (i, _) => i[ItemAt(i, ParentLocator)] ^= 0xFF);
        yield return C("locator without parent_linkage", "LocatorWithoutParentLinkage", Child, (i, _) =>
        {
            int at = ItemAt(i, ParentLocator);
            int keyOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(i.AsSpan(at + 20));
            i[at + keyOffset + 26] = (byte)'X';
        });
        yield return C("locator key outside the item", "LocatorKeyOutsideTheItem", Child, (i, _) => BinaryPrimitives.WriteUInt32LittleEndian(i.AsSpan(ItemAt(i, ParentLocator) + 20), 60_000));
        yield return C("BAT state 4", "BatStateReserved", Good, (i, w) => i[BatEntryAt(w, 3)] = (byte)((i[BatEntryAt(w, 3)] & ~7) | 4));
        yield return C("partially present in a dynamic disk", "PartiallyPresentInDynamicDisk", Good, (i, w) => i[BatEntryAt(w, 3)] |= 7);
        yield return C("block beyond end of file", "BlockBeyondEndOfFile", Good, (i, w) => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(BatEntryAt(w, 3)), (4096UL << 20) | 6));
        foreach (ulong offsetMb in new ulong[] { 0, 1, 2, 3 })
            yield return C($"block over metadata at {offsetMb} MiB", "BlockOverlapsMetadata", Good, (i, w) => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(BatEntryAt(w, 3)), (offsetMb << 20) | 6));
        yield return C("blocks overlap", "BlocksOverlap", Good, (i, w) => i.AsSpan(BatEntryAt(w, 0), 8).CopyTo(i.AsSpan(BatEntryAt(w, 3))));
        yield return C("BAT region too small", "BatRegionTooSmall", Good, (i, _) => BinaryPrimitives.WriteUInt64LittleEndian(i.AsSpan(ItemAt(i, VirtualDiskSize)), 1UL << 40));
        yield return C("BAT reserved bits", "BatReservedBitsAreAWarning", Good, (i, w) => i[BatEntryAt(w, 0) + 1] |= 0x01);
        yield return new("vhdx differencing, parent missing", nameof(VhdxChainTests), f => VhdxTestSupport.Save(Child(), f, "child.vhdx"), Auto, Default);
        yield return new("vhdx differencing, parent present", nameof(VhdxChainTests), f =>
        {
            var parent = new VhdxWriter(8 * MiB).Fill(0, 4096, 7);
            VhdxTestSupport.Save(parent, f, "parent.vhdx");
            return VhdxTestSupport.Save(new VhdxWriter(8 * MiB) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "parent.vhdx") }, f, "child.vhdx");
        }, Auto, Default);
        yield return new("vhdx differencing, linkage mismatch", nameof(VhdxChainTests), f =>
        {
            VhdxTestSupport.Save(new VhdxWriter(8 * MiB), f, "parent.vhdx");
            return VhdxTestSupport.Save(Child(), f, "child.vhdx");
        }, Auto, Default);
        yield return new("vhdx differencing, size mismatch", nameof(VhdxChainTests), f =>
        {
            var parent = new VhdxWriter(16 * MiB);
            VhdxTestSupport.Save(parent, f, "parent.vhdx");
            return VhdxTestSupport.Save(new VhdxWriter(8 * MiB) { Parent = new VhdxParentSpec(parent.DataWriteGuid, "parent.vhdx") }, f, "child.vhdx");
        }, Auto, Default);
    }

    private static string VhdFile(string folder, VhdImage image, string name) => image.SaveTo(Path.Combine(folder, name));

    private static string Vhdx(string folder, VhdxWriter writer, string name) => VhdxTestSupport.Save(writer, folder, name);

    private static string Rename(string path, string newName)
    {
        string target = Path.Combine(Path.GetDirectoryName(path)!, newName);
        File.Move(path, target);
        return target;
    }
}
