using System.CommandLine;
using System.CommandLine.Parsing;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary>
/// The OpenVirtualDisk arguments shared by open, hash, cat and info, as System.CommandLine options. Build one set per
/// command (<see cref="AddTo"/>), then <see cref="Bind"/> the parse result.
/// </summary>
internal sealed class OpenOptions
{
    private static readonly string[] TypeNames = ["auto", "iso", "vhd", "vhdx", "vhdset"];

    public Option<uint?> Type { get; } = new("--type")
    {
        HelpName = "T",
        Description = "auto (default: UNKNOWN device), iso, vhd, vhdx, vhdset, or any device id number",
        CustomParser = ParseType,
    };

    public Option<Guid?> Vendor { get; } = new("--vendor")
    {
        HelpName = "V",
        Description = "microsoft, unknown or a GUID (default: unknown for auto, microsoft otherwise)",
        CustomParser = ParseVendor,
    };

    public Option<uint?> Access { get; } = new("--access")
    {
        HelpName = "MASK",
        Description = "VIRTUAL_DISK_ACCESS_MASK: hex (0x90000), decimal, or names joined with |\n"
            + "(NONE ATTACH_RO ATTACH_RW DETACH GET_INFO CREATE METAOPS READ ALL WRITABLE); default ATTACH_RO|GET_INFO",
        CustomParser = r => ParseMask(r, "--access", AccessNames, "VIRTUAL_DISK_ACCESS_"),
    };

    public Option<uint?> Flags { get; } = new("--flags")
    {
        HelpName = "FLAGS",
        Description = "OPEN_VIRTUAL_DISK_FLAG: number or names joined with | (NONE NO_PARENTS BLANK_FILE BOOT_DRIVE CACHED_IO "
            + "CUSTOM_DIFF_CHAIN PARENT_CACHED_IO VHDSET_FILE_ONLY IGNORE_RELATIVE_PARENT_LOCATOR NO_WRITE_HARDENING "
            + "SUPPORT_COMPRESSED_VOLUMES SUPPORT_SPARSE_FILES_ANY_FS SUPPORT_ENCRYPTED_FILES); default none",
        CustomParser = r => ParseMask(r, "--flags", FlagNames, "OPEN_VIRTUAL_DISK_FLAG_"),
    };

    public Option<uint?> Params { get; } = new("--params")
    {
        HelpName = "P",
        Description = "none (null parameters, default), 1, 2 or 3 (OPEN_VIRTUAL_DISK_PARAMETERS version)",
        CustomParser = ParseParams,
    };

    public Option<long?> RwDepth { get; } = Values.Number("--rw-depth", "N", "version 1 RWDepth (default 1)", 0, uint.MaxValue);

    public Option<bool> GetInfoOnly { get; } = Values.Switch("--get-info-only", "version 2/3 GetInfoOnly = TRUE");

    public Option<bool> ReadOnly { get; } = Values.Switch("--read-only", "version 2/3 ReadOnly = TRUE");

    public Option<string?> Rules { get; } = RulesOption();

    public Option<bool> Strict { get; } = StrictOption();

    public OpenOptions()
    {
        Type.CompletionSources.Add(TypeNames);
        Vendor.CompletionSources.Add("microsoft", "unknown");
        Params.CompletionSources.Add("none", "1", "2", "3");
        Access.CompletionSources.Add([.. AccessNames.Select(n => n.Name)]);
        Flags.CompletionSources.Add([.. FlagNames.Select(n => n.Name)]);
    }

    public IReadOnlyList<Option> All => [Type, Vendor, Access, Flags, Params, RwDepth, GetInfoOnly, ReadOnly, Rules, Strict];

    /// <summary>Adds every open option to <paramref name="command"/>, shown under "Open options".</summary>
    public void AddTo(CliCommand command) => command.AddSection("Open options", All);

    /// <summary>
    /// The open options that apply to a source that is always opened read-only (convert's input, docs/cli.md): --flags,
    /// --rules and --strict. Not --type/--vendor (convert's --type is the output's; the format is detected) nor
    /// --access/--params (the source is read-only).
    /// </summary>
    public IReadOnlyList<Option> ReadOnlySource => [Flags, Rules, Strict];

    /// <summary>Adds <see cref="ReadOnlySource"/> to <paramref name="command"/>, shown under "Source open options".</summary>
    public void AddReadOnlySourceTo(CliCommand command) => command.AddSection("Source open options", ReadOnlySource);

    /// <summary>The <see cref="ReadOnlySource"/> options as open options, or null when none was given (the library's defaults).</summary>
    public VirtualDiskOpenOptions? BindReadOnlySource(ParseResult r)
    {
        if (!ReadOnlySource.Any(r.Given)) return null;
        return new VirtualDiskOpenOptions
        {
            Flags = (OpenVirtualDiskFlags)(r.GetValue(Flags) ?? 0),
            Rules = ToRuleSet(r.GetValue(Rules)),
            Strict = r.GetValue(Strict),
        };
    }

    /// <summary>--rules, shared with check.</summary>
    public static Option<string?> RulesOption() => Values.OneOf("--rules", "R", "documented (default) or current", ["documented", "current"]);

    /// <summary>--strict, shared with check.</summary>
    public static Option<bool> StrictOption() => Values.Switch("--strict", "warnings fail the open");

    public static OpenRuleSet ToRuleSet(string? rules) => rules == "current" ? OpenRuleSet.Current : OpenRuleSet.Documented;

    /// <summary>The arguments of one open, checked for combinations that contradict each other.</summary>
    public OpenArguments Bind(ParseResult r)
    {
        uint device = r.GetValue(Type) ?? VirtualStorageDeviceId.Unknown;
        Guid vendor = r.GetValue(Vendor) ?? (device == VirtualStorageDeviceId.Unknown ? VirtualStorageType.VendorUnknown : VirtualStorageType.VendorMicrosoft);
        uint? version = r.GetValue(Params);
        long? rwDepth = r.GetValue(RwDepth);
        bool getInfoOnly = r.GetValue(GetInfoOnly), readOnly = r.GetValue(ReadOnly);
        if (rwDepth is not null && version != 1) throw new UsageException("--rw-depth applies only to --params 1");
        if ((getInfoOnly || readOnly) && version is null or 1) throw new UsageException("--get-info-only and --read-only apply only to --params 2 or 3");
        OpenVirtualDiskParameters? parameters = version switch
        {
            null => null,
            1 => OpenVirtualDiskParameters.V1((uint)(rwDepth ?? OpenVirtualDiskParameters.DefaultRWDepth)),
            2 => OpenVirtualDiskParameters.V2(readOnly, getInfoOnly),
            3 => OpenVirtualDiskParameters.V3(readOnly, getInfoOnly),
            // Any other version number is passed through (OpenVirtualDisk answers 87 for it).
            uint v => new OpenVirtualDiskParameters { Version = (OpenVirtualDiskVersion)v, RWDepth = (uint)(rwDepth ?? 1), ReadOnly = readOnly, GetInfoOnly = getInfoOnly },
        };
        return new OpenArguments
        {
            StorageType = new VirtualStorageType(device, vendor),
            Access = r.GetValue(Access) is uint m ? (VirtualDiskAccessMask)m : VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            Flags = (OpenVirtualDiskFlags)(r.GetValue(Flags) ?? 0),
            Parameters = parameters,
            Rules = ToRuleSet(r.GetValue(Rules)),
            Strict = r.GetValue(Strict),
            Explicit = new Option[] { Type, Vendor, Access, Flags, Params, RwDepth, GetInfoOnly, ReadOnly }.Any(r.Given),
        };
    }

    private static uint? ParseType(ArgumentResult r)
    {
        string text = r.Tokens[0].Value;
        switch (text.ToLowerInvariant())
        {
            case "auto" or "unknown": return VirtualStorageDeviceId.Unknown;
            case "iso": return VirtualStorageDeviceId.Iso;
            case "vhd": return VirtualStorageDeviceId.Vhd;
            case "vhdx": return VirtualStorageDeviceId.Vhdx;
            case "vhdset" or "vhds": return VirtualStorageDeviceId.VhdSet;
        }
        if (Values.TryParseNumber(text, out ulong n) && n <= uint.MaxValue) return (uint)n;
        r.AddError($"--type takes auto, iso, vhd, vhdx, vhdset or a number, not '{text}'");
        return null;
    }

    private static Guid? ParseVendor(ArgumentResult r)
    {
        string text = r.Tokens[0].Value;
        switch (text.ToLowerInvariant())
        {
            case "microsoft": return VirtualStorageType.VendorMicrosoft;
            case "unknown": return VirtualStorageType.VendorUnknown;
        }
        if (Guid.TryParse(text, out var g)) return g;
        r.AddError($"--vendor takes microsoft, unknown or a GUID, not '{text}'");
        return null;
    }

    private static uint? ParseParams(ArgumentResult r)
    {
        string text = r.Tokens[0].Value.ToLowerInvariant();
        switch (text)
        {
            case "none" or "null": return null;
            case "1" or "v1": return 1;
            case "2" or "v2": return 2;
            case "3" or "v3": return 3;
        }
        if (Values.TryParseNumber(text, out ulong n) && n <= uint.MaxValue) return (uint)n;
        r.AddError($"--params takes none, 1, 2 or 3, not '{r.Tokens[0].Value}'");
        return null;
    }

    private static readonly (string Name, uint Value)[] AccessNames =
    [
        ("NONE", (uint)VirtualDiskAccessMask.None), ("ATTACH_RO", (uint)VirtualDiskAccessMask.AttachRO),
        ("ATTACH_RW", (uint)VirtualDiskAccessMask.AttachRW), ("DETACH", (uint)VirtualDiskAccessMask.Detach),
        ("GET_INFO", (uint)VirtualDiskAccessMask.GetInfo), ("CREATE", (uint)VirtualDiskAccessMask.Create),
        ("METAOPS", (uint)VirtualDiskAccessMask.MetaOps), ("READ", (uint)VirtualDiskAccessMask.Read),
        ("ALL", (uint)VirtualDiskAccessMask.All), ("WRITABLE", (uint)VirtualDiskAccessMask.Writable),
    ];

    private static readonly (string Name, uint Value)[] FlagNames =
    [
        ("NONE", 0), ("NO_PARENTS", (uint)OpenVirtualDiskFlags.NoParents), ("BLANK_FILE", (uint)OpenVirtualDiskFlags.BlankFile),
        ("BOOT_DRIVE", (uint)OpenVirtualDiskFlags.BootDrive), ("CACHED_IO", (uint)OpenVirtualDiskFlags.CachedIO),
        ("CUSTOM_DIFF_CHAIN", (uint)OpenVirtualDiskFlags.CustomDiffChain), ("PARENT_CACHED_IO", (uint)OpenVirtualDiskFlags.ParentCachedIO),
        ("VHDSET_FILE_ONLY", (uint)OpenVirtualDiskFlags.VhdSetFileOnly),
        ("IGNORE_RELATIVE_PARENT_LOCATOR", (uint)OpenVirtualDiskFlags.IgnoreRelativeParentLocator),
        ("NO_WRITE_HARDENING", (uint)OpenVirtualDiskFlags.NoWriteHardening),
        ("SUPPORT_COMPRESSED_VOLUMES", (uint)OpenVirtualDiskFlags.SupportCompressedVolumes),
        ("SUPPORT_SPARSE_FILES_ANY_FS", (uint)OpenVirtualDiskFlags.SupportSparseFilesAnyFs),
        ("SUPPORT_ENCRYPTED_FILES", (uint)OpenVirtualDiskFlags.SupportEncryptedFiles),
    ];

    /// <summary>A number (decimal or 0x hex) or <c>|</c>/<c>,</c>/<c>+</c>-joined names, with or without the Windows prefix.</summary>
    private static uint? ParseMask(ArgumentResult r, string option, (string Name, uint Value)[] names, string prefix)
    {
        string text = r.Tokens[0].Value;
        uint result = 0;
        string[] parts = text.Split(['|', ',', '+'], StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length == 0))
        {
            r.AddError($"{option}: empty item in '{text}'");
            return null;
        }
        foreach (string part in parts)
        {
            if (Values.TryParseNumber(part, out ulong n))
            {
                if (n > uint.MaxValue)
                {
                    r.AddError($"{option}: {part} does not fit in 32 bits");
                    return null;
                }
                result |= (uint)n;
                continue;
            }
            string name = part.ToUpperInvariant().Replace('-', '_');
            if (name.StartsWith(prefix, StringComparison.Ordinal)) name = name[prefix.Length..];
            int i = Array.FindIndex(names, x => x.Name == name);
            if (i < 0)
            {
                r.AddError($"{option}: unknown name '{part}' (known: {string.Join(", ", names.Select(x => x.Name))})");
                return null;
            }
            result |= names[i].Value;
        }
        return result;
    }
}

/// <summary>The OpenVirtualDisk arguments of one command line.</summary>
internal sealed class OpenArguments
{
    public VirtualStorageType StorageType { get; init; } = VirtualStorageType.Auto;
    public VirtualDiskAccessMask Access { get; init; } = VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo;
    public OpenVirtualDiskFlags Flags { get; init; }
    public OpenVirtualDiskParameters? Parameters { get; init; }
    public OpenRuleSet Rules { get; init; } = OpenRuleSet.Documented;
    public bool Strict { get; init; }

    /// <summary>True when any argument of the open itself (type, vendor, access, flags, parameters) was given.</summary>
    public bool Explicit { get; init; }

    /// <summary>Options for <see cref="VirtualDisk.TryOpen(string?, VirtualDiskOpenOptions?, out VirtualDiskHandle?, out VirtualDiskDiagnostic?)"/>.</summary>
    public VirtualDiskOpenOptions ToOptions() => new()
    {
        StorageType = StorageType,
        Access = Access,
        Flags = Flags,
        Parameters = Parameters,
        Rules = Rules,
        Strict = Strict,
    };

    /// <summary>
    /// For reading commands (hash, cat, info): the validation options (what <c>vdisk check</c> uses) unless
    /// open arguments were given, in which case exactly those.
    /// </summary>
    public VirtualDiskOpenOptions ToReadingOptions() => Explicit
        ? ToOptions()
        : VirtualDiskOpenOptions.ForValidation with { Rules = Rules, Strict = Strict };
}
