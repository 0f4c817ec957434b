using System.Net;
using System.Net.Sockets;

namespace VirtualDiskManaged.Host;

/// <summary>What the host says about a backing file (docs/open-path.md §7).</summary>
internal readonly record struct HostFileTraits(bool Compressed, bool Encrypted, bool OnLoopbackShare);

/// <summary>
/// docs/open-path.md §7: compressed and encrypted backing files and paths on loopback network shares.
/// Linux: the inode flags (FS_COMPR_FL, FS_ENCRYPT_FL) and the mount table; Windows: file attributes and the UNC host.
/// </summary>
internal static class HostChecks
{
    /// <summary>Test seam: replaces the real probe (tests cannot make compressed files on every file system).</summary>
    internal static Func<HostFile, HostFileTraits>? ProbeOverride { get; set; }

    public static VirtualDiskDiagnostic? Check(HostFile file, OpenVirtualDiskFlags flags, OpenRuleSet rules)
    {
        var traits = ProbeOverride?.Invoke(file) ?? Probe(file);
        if (traits.OnLoopbackShare) return new(VirtualDiskErrorReason.LoopbackShare, file.Path);
        if (traits.Compressed)
        {
            if (rules == OpenRuleSet.Documented) return new(VirtualDiskErrorReason.HostFileCompressed, file.Path);
            if ((flags & OpenVirtualDiskFlags.SupportCompressedVolumes) == 0)
                return new(VirtualDiskErrorReason.HostFileCompressedLimitation, file.Path);
        }
        if (traits.Encrypted)
        {
            if (rules == OpenRuleSet.Documented) return new(VirtualDiskErrorReason.HostFileEncrypted, file.Path);
            if ((flags & OpenVirtualDiskFlags.SupportEncryptedFiles) == 0)
                return new(VirtualDiskErrorReason.HostFileEncryptedLimitation, file.Path);
        }
        return null;
    }

    public static HostFileTraits Probe(HostFile file)
    {
        if (OperatingSystem.IsWindows())
        {
            FileAttributes attributes;
            try { attributes = File.GetAttributes(file.Path); }
            catch (IOException) { attributes = 0; }
            catch (UnauthorizedAccessException) { attributes = 0; }
            return new((attributes & FileAttributes.Compressed) != 0, (attributes & FileAttributes.Encrypted) != 0,
                IsLoopbackUncPath(file.Path));
        }
        if (OperatingSystem.IsLinux())
        {
            // statx at open already said whether the inode is compressed or encrypted, where the file system reports it.
            int flags = file.Statx is { AttributesKnown: true } sx
                ? (sx.Compressed ? UnixNative.FS_COMPR_FL : 0) | (sx.Encrypted ? UnixNative.FS_ENCRYPT_FL : 0)
                : UnixNative.GetInodeFlags((int)file.Handle.DangerousGetHandle());
            bool loopback = false;
            // Only a file on an anonymous device can be on a network mount: skip reading and parsing the mount table otherwise.
            if (UnixNative.MayBeNetworkDevice(file.Identity.Device))
            {
                try
                {
                    string mountInfo = File.ReadAllText("/proc/self/mountinfo");
                    loopback = IsOnLoopbackNetworkMount(mountInfo, file.Path, file.Identity.Device);
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            return new((flags & UnixNative.FS_COMPR_FL) != 0, (flags & UnixNative.FS_ENCRYPT_FL) != 0, loopback);
        }
        return default;
    }

    /// <summary>
    /// Windows: is the path a UNC path (\\host\share\..., \\?\UNC\host\share\...) whose host is this machine
    /// (localhost, 127.x.x.x, ::1, the machine name)?
    /// </summary>
    internal static bool IsLoopbackUncPath(string path)
    {
        string? host = null;
        if (path.StartsWith(@"\\?\UNC\", StringComparison.OrdinalIgnoreCase)) host = path[8..];
        else if (path.StartsWith(@"\\", StringComparison.Ordinal) && !path.StartsWith(@"\\?\", StringComparison.Ordinal)
                 && !path.StartsWith(@"\\.\", StringComparison.Ordinal)) host = path[2..];
        if (host is null) return false;
        int end = host.IndexOf('\\');
        if (end >= 0) host = host[..end];
        return IsLoopbackHost(host);
    }

    /// <summary>True for localhost, loopback addresses (also in the ipv6-literal.net form), and this machine's name.</summary>
    internal static bool IsLoopbackHost(string host)
    {
        if (host.Length == 0) return false;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
            host.StartsWith("localhost.", StringComparison.OrdinalIgnoreCase)) return true;
        string h = host.Trim('[', ']');
        // Windows spells IPv6 in UNC names as 0--1.ipv6-literal.net.
        if (h.EndsWith(".ipv6-literal.net", StringComparison.OrdinalIgnoreCase))
            h = h[..^".ipv6-literal.net".Length].Replace('-', ':');
        if (IPAddress.TryParse(h, out var address)) return IPAddress.IsLoopback(address);
        return host.Equals(Environment.MachineName, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Linux: finds the mount that holds the file in /proc/self/mountinfo text and reports whether it is a
    /// cifs/smb3/nfs mount served from a loopback address (the source's host, or the <c>addr=</c> mount option).
    /// The mount is the one whose device (field 3, major:minor) is <paramref name="device"/> (the file's st_dev:
    /// immune to symbolic links and bind mounts); without a device match, the longest mount point that is a
    /// prefix of <paramref name="fullPath"/>.
    /// </summary>
    internal static bool IsOnLoopbackNetworkMount(string mountInfo, string fullPath, ulong? device = null)
    {
        string? bestMount = null;
        MountLine? best = null;
        bool deviceMatched = false;
        foreach (var rawLine in mountInfo.Split('\n'))
        {
            if (!TryParseMountLine(rawLine, out var m)) continue;
            if (device is { } dev && m.Device == FormatDevice(dev))
            {
                // Every mount of one superblock has the same source; any of them decides.
                if (!deviceMatched) { deviceMatched = true; best = null; }
                if (best is null || IsLoopbackNetwork(m)) best = m;
                continue;
            }
            if (deviceMatched || !IsUnder(fullPath, m.MountPoint)) continue;
            if (bestMount is null || m.MountPoint.Length >= bestMount.Length)
            {
                bestMount = m.MountPoint;
                best = m;
            }
        }
        return best is { } b && IsLoopbackNetwork(b);
    }

    private readonly record struct MountLine(string Device, string MountPoint, string FsType, string Source, string SuperOptions);

    private static bool TryParseMountLine(string rawLine, out MountLine line)
    {
        // mountinfo: id parent major:minor root mountpoint options [optional...] - fstype source superoptions
        line = default;
        var text = rawLine.Trim();
        if (text.Length == 0) return false;
        var fields = text.Split(' ');
        if (fields.Length < 9) return false;
        int dash = Array.IndexOf(fields, "-", 6);
        if (dash < 0 || dash + 2 >= fields.Length) return false;
        line = new MountLine(fields[2], Unescape(fields[4]), fields[dash + 1], Unescape(fields[dash + 2]),
            dash + 3 < fields.Length ? fields[dash + 3] : "");
        return true;
    }

    private static bool IsLoopbackNetwork(MountLine m)
    {
        bool network = m.FsType is "cifs" or "smb3" or "smbfs" || m.FsType.StartsWith("nfs", StringComparison.Ordinal);
        if (!network) return false;
        if (IsLoopbackHost(SourceHost(m.Source))) return true;
        // cifs and nfs record the server address they connected to as addr=... (a host name may resolve to loopback).
        foreach (var option in m.SuperOptions.Split(','))
        {
            if (option.StartsWith("addr=", StringComparison.Ordinal) && IsLoopbackHost(option[5..])) return true;
        }
        return false;
    }

    /// <summary>Linux dev_t → "major:minor" as mountinfo writes it (glibc's gnu_dev_major/minor encoding).</summary>
    internal static string FormatDevice(ulong dev)
    {
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{UnixNative.DeviceMajor(dev)}:{UnixNative.DeviceMinor(dev)}");
    }

    private static string SourceHost(string source)
    {
        // cifs: //host/share ; nfs: host:/export or [::1]:/export
        if (source.StartsWith("//", StringComparison.Ordinal))
        {
            var rest = source[2..];
            int slash = rest.IndexOf('/');
            return slash >= 0 ? rest[..slash] : rest;
        }
        if (source.StartsWith('['))
        {
            int close = source.IndexOf(']');
            return close > 0 ? source[1..close] : source;
        }
        int colon = source.IndexOf(':');
        return colon > 0 ? source[..colon] : source;
    }

    private static bool IsUnder(string path, string mountPoint)
    {
        if (mountPoint == "/") return path.StartsWith('/');
        return path.StartsWith(mountPoint, StringComparison.Ordinal) &&
               (path.Length == mountPoint.Length || path[mountPoint.Length] == '/');
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 4 <= s.Length && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3]))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
