namespace VirtualDiskManaged.Create;

/// <summary>What a new differencing disk takes from its parent (read from the parent's open handle, then closed).</summary>
internal sealed record ParentInfo(string Path, uint DeviceId, VirtualDiskProviderSubtype Subtype, long VirtualSize, uint BlockSize,
    int LogicalSectorSize, int PhysicalSectorSize, Guid Identifier, Guid? VirtualDiskId)
{
    /// <summary>
    /// The parent's path relative to the child's folder, with Windows separators and a leading ".\" when it does not
    /// climb (the form Windows writes in W2ru locators and relative_path, e.g. <c>.\parent.vhdx</c>, <c>..\base\p.vhd</c>).
    /// </summary>
    public string RelativePathFrom(string childPath)
    {
        string folder = System.IO.Path.GetDirectoryName(childPath) ?? ".";
        string relative = System.IO.Path.GetRelativePath(folder, Path).Replace('/', '\\');
        if (System.IO.Path.IsPathRooted(relative)) return relative; // another drive: no relative form exists
        return relative.StartsWith("..", StringComparison.Ordinal) ? relative : ".\\" + relative;
    }

    /// <summary>The parent's absolute path as this host spells it (a drive-letter path on Windows, a POSIX path elsewhere).</summary>
    public string AbsolutePath => Path;
}
