namespace VirtualDiskManaged.Cli;

/// <summary>The OpenVirtualDisk arguments shared by open, hash, cat and info, parsed from the command line.</summary>
internal sealed class OpenArguments
{
    public static readonly string[] ValueOptions = ["type", "vendor", "access", "flags", "params", "rw-depth", "rules"];
    public static readonly string[] SwitchOptions = ["get-info-only", "read-only", "strict"];

    public VirtualStorageType StorageType { get; private init; } = VirtualStorageType.Auto;
    public VirtualDiskAccessMask Access { get; private init; } = VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo;
    public OpenVirtualDiskFlags Flags { get; private init; }
    public OpenVirtualDiskParameters? Parameters { get; private init; }
    public OpenRuleSet Rules { get; private init; } = OpenRuleSet.Documented;
    public bool Strict { get; private init; }

    /// <summary>True when any argument of the open itself (type, vendor, access, flags, parameters) was given.</summary>
    public bool Explicit { get; private init; }

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

    public static OpenArguments From(ParsedArgs a)
    {
        string type = a.Value("type") ?? "auto";
        uint device = ParseType(type);
        Guid vendor = a.Value("vendor") is { } v ? ParseVendor(v)
            : device == VirtualStorageDeviceId.Unknown ? VirtualStorageType.VendorUnknown : VirtualStorageType.VendorMicrosoft;
        string paramsText = (a.Value("params") ?? "none").ToLowerInvariant();
        OpenVirtualDiskParameters? parameters;
        bool getInfoOnly = a.Has("get-info-only"), readOnly = a.Has("read-only");
        long? rwDepth = a.Int64("rw-depth", 0, uint.MaxValue);
        switch (paramsText)
        {
            case "none" or "null":
                parameters = null;
                break;
            case "1" or "v1":
                parameters = OpenVirtualDiskParameters.V1((uint)(rwDepth ?? OpenVirtualDiskParameters.DefaultRWDepth));
                break;
            case "2" or "v2":
                parameters = OpenVirtualDiskParameters.V2(readOnly, getInfoOnly);
                break;
            case "3" or "v3":
                parameters = OpenVirtualDiskParameters.V3(readOnly, getInfoOnly);
                break;
            default:
                if (ParsedArgs.TryParseNumber(paramsText, out ulong n) && n <= uint.MaxValue)
                {
                    // Any other version number is passed through (OpenVirtualDisk answers 87 for it).
                    parameters = new OpenVirtualDiskParameters { Version = (OpenVirtualDiskVersion)(uint)n, RWDepth = (uint)(rwDepth ?? 1), ReadOnly = readOnly, GetInfoOnly = getInfoOnly };
                    break;
                }
                throw new UsageException($"--params takes none, 1, 2 or 3, not '{paramsText}'");
        }
        if (rwDepth is not null && paramsText is not ("1" or "v1"))
            throw new UsageException("--rw-depth applies only to --params 1");
        if ((getInfoOnly || readOnly) && paramsText is "none" or "null" or "1" or "v1")
            throw new UsageException("--get-info-only and --read-only apply only to --params 2 or 3");

        return new OpenArguments
        {
            StorageType = new VirtualStorageType(device, vendor),
            Access = a.Value("access") is { } m ? (VirtualDiskAccessMask)ParseMask(m, "--access", AccessNames, "VIRTUAL_DISK_ACCESS_") : VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.GetInfo,
            Flags = a.Value("flags") is { } f ? (OpenVirtualDiskFlags)ParseMask(f, "--flags", FlagNames, "OPEN_VIRTUAL_DISK_FLAG_") : OpenVirtualDiskFlags.None,
            Parameters = parameters,
            Rules = ParseRules(a.Value("rules")),
            Strict = a.Has("strict"),
            Explicit = a.Given("type") || a.Given("vendor") || a.Given("access") || a.Given("flags") || a.Given("params")
                || a.Given("rw-depth") || a.Given("get-info-only") || a.Given("read-only"),
        };
    }

    public static OpenRuleSet ParseRules(string? text) => (text ?? "documented").ToLowerInvariant() switch
    {
        "documented" => OpenRuleSet.Documented,
        "current" => OpenRuleSet.Current,
        _ => throw new UsageException($"--rules takes documented or current, not '{text}'"),
    };

    private static uint ParseType(string text)
    {
        switch (text.ToLowerInvariant())
        {
            case "auto" or "unknown": return VirtualStorageDeviceId.Unknown;
            case "iso": return VirtualStorageDeviceId.Iso;
            case "vhd": return VirtualStorageDeviceId.Vhd;
            case "vhdx": return VirtualStorageDeviceId.Vhdx;
            case "vhdset" or "vhds": return VirtualStorageDeviceId.VhdSet;
        }
        if (ParsedArgs.TryParseNumber(text, out ulong n) && n <= uint.MaxValue) return (uint)n;
        throw new UsageException($"--type takes auto, iso, vhd, vhdx, vhdset or a number, not '{text}'");
    }

    private static Guid ParseVendor(string text) => text.ToLowerInvariant() switch
    {
        "microsoft" => VirtualStorageType.VendorMicrosoft,
        "unknown" => VirtualStorageType.VendorUnknown,
        _ => Guid.TryParse(text, out var g) ? g : throw new UsageException($"--vendor takes microsoft, unknown or a GUID, not '{text}'"),
    };

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
    internal static uint ParseMask(string text, string option, (string Name, uint Value)[] names, string prefix)
    {
        uint result = 0;
        string[] parts = text.Split(['|', ',', '+'], StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length == 0)) throw new UsageException($"{option}: empty item in '{text}'");
        foreach (string part in parts)
        {
            if (ParsedArgs.TryParseNumber(part, out ulong n))
            {
                if (n > uint.MaxValue) throw new UsageException($"{option}: {part} does not fit in 32 bits");
                result |= (uint)n;
                continue;
            }
            string name = part.ToUpperInvariant().Replace('-', '_');
            if (name.StartsWith(prefix, StringComparison.Ordinal)) name = name[prefix.Length..];
            int i = Array.FindIndex(names, x => x.Name == name);
            if (i < 0) throw new UsageException($"{option}: unknown name '{part}' (known: {string.Join(", ", names.Select(x => x.Name))})");
            result |= names[i].Value;
        }
        return result;
    }
}
