using System.Security.Cryptography;
using System.Text;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>What checkisomd5 would print for an image.</summary>
public enum IsoMd5Verdict
{
    /// <summary>No implantisomd5 record (checkisomd5: "NA" / not found).</summary>
    NotFound,

    /// <summary>The MD5 and every checked fragment sum match (checkisomd5: PASS).</summary>
    Passed,

    /// <summary>A fragment sum or the MD5 does not match (checkisomd5: FAIL).</summary>
    Failed,
}

/// <summary>The outcome of <see cref="IsoImplantedMd5.Verify"/>.</summary>
/// <param name="Verdict">checkisomd5's verdict.</param>
/// <param name="ComputedMd5">The MD5 computed the way checkisomd5 does (lowercase hex), or null when not computed.</param>
/// <param name="FailedFragment">The 1-based fragment whose sum did not match (checkisomd5 stops there), or null.</param>
public sealed record IsoMd5Result(IsoMd5Verdict Verdict, string? ComputedMd5, long? FailedFragment);

/// <summary>
/// The record implantisomd5 (isomd5sum) writes into the primary descriptor's 512-byte Application Use field
/// (ECMA-119 §8.4.32): "ISO MD5SUM = …;SKIPSECTORS = …;RHLISOSTATUS=…;FRAGMENT SUMS = …;FRAGMENT COUNT = …;".
/// Parsed and verified exactly as checkisomd5 (isomd5sum utilities.c parsepvd / libcheckisomd5.c checkmd5sum)
/// does, so that the verdict is the same: keys in any order, defaults 15 skip sectors and 20 fragments, the
/// image hashed from byte 0 to (Volume Space Size (big-endian copy) − skip) × 2048 in 32 KiB reads with the
/// Application Use field read as spaces, and each fragment's first hex digit of its first bytes compared.
/// </summary>
public sealed class IsoImplantedMd5
{
    private const int AppDataLength = IsoVolumeSpaceDescriptor.ApplicationUseLength;
    private const int HashChars = 32, FragmentSumChars = 60, ChunkBytes = 16 * 2048, SectorSize = 2048;
    private const long DefaultSkipSectors = 15, DefaultFragmentCount = 20;

    private IsoImplantedMd5() { }

    /// <summary>The 32 characters after "ISO MD5SUM = " as recorded.</summary>
    public string RecordedMd5 { get; private init; } = "";

    /// <summary>SKIPSECTORS (sectors at the end left out of the sum; 15 when absent).</summary>
    public long SkipSectors { get; private init; }

    /// <summary>RHLISOSTATUS (0 when absent).</summary>
    public long Supported { get; private init; }

    /// <summary>The 60 characters after "FRAGMENT SUMS = ", or null when absent.</summary>
    public string? FragmentSums { get; private init; }

    /// <summary>FRAGMENT COUNT (20 when absent).</summary>
    public long FragmentCount { get; private init; }

    /// <summary>The byte offset of the Application Use field in the image (primary descriptor + 883).</summary>
    public long ApplicationUseOffset { get; private init; }

    /// <summary>The bytes hashed: (big-endian Volume Space Size − skip sectors) × 2048.</summary>
    public long HashedLength { get; private init; }

    /// <summary>Parses the record as checkisomd5 does; null when it would say "not found".</summary>
    internal static IsoImplantedMd5? Parse(IsoPrimaryVolumeDescriptor pvd)
    {
        // utilities.c parsepvd: the field is copied with its last byte forced to NUL.
        var b = new byte[AppDataLength];
        pvd.ApplicationUse.Span.CopyTo(b);
        b[AppDataLength - 1] = 0;
        string? md5 = null, sums = null;
        long skip = DefaultSkipSectors, supported = 0, count = DefaultFragmentCount;
        bool haveMd5 = false, haveSkip = false, haveSupported = false, haveSums = false, haveCount = false;
        for (int index = 0; index < AppDataLength;)
        {
            int len;
            if ((len = StartsWith(b, index, "ISO MD5SUM = ")) > 0)
            {
                index += len;
                if (index + HashChars >= AppDataLength) return null;
                md5 = CString(b, index, HashChars);
                index += HashChars;
                haveMd5 = true;
                while (index < AppDataLength && b[index] != ';') index++;
            }
            else if ((len = MatchesNumber(b, index, "SKIPSECTORS = ", ref skip)) > 0)
            {
                index = len;
                if (index >= AppDataLength) return null;
                haveSkip = true;
            }
            else if ((len = MatchesNumber(b, index, "RHLISOSTATUS=", ref supported)) > 0)
            {
                index = len;
                haveSupported = true;
            }
            else if ((len = StartsWith(b, index, "FRAGMENT SUMS = ")) > 0)
            {
                index += len;
                if (index + FragmentSumChars >= AppDataLength) return null;
                sums = Encoding.Latin1.GetString(b, index, FragmentSumChars);
                haveSums = true;
                index += FragmentSumChars;
                while (index < AppDataLength && b[index] != ';') index++;
            }
            else if ((len = MatchesNumber(b, index, "FRAGMENT COUNT = ", ref count)) > 0)
            {
                index = len;
                haveCount = true;
            }
            index++;
            if (haveMd5 && haveSkip && haveSupported && haveSums && haveCount) break;
        }
        if (!haveMd5 || !haveSkip) return null;
        // isosize: the big-endian copy at offset 84, times 2048.
        long isoSize = (long)pvd.VolumeSpaceSizeBigEndian * SectorSize;
        return new IsoImplantedMd5
        {
            RecordedMd5 = md5!,
            SkipSectors = skip,
            Supported = supported,
            FragmentSums = haveSums ? sums : null,
            FragmentCount = count,
            ApplicationUseOffset = pvd.Offset + IsoVolumeSpaceDescriptor.ApplicationUseOffset,
            HashedLength = unchecked(isoSize - skip * SectorSize),
        };
    }

    /// <summary>Hashes the image and compares, exactly as checkisomd5 does (its first failing fragment stops it).</summary>
    internal IsoMd5Result Verify(VolumeSource source, CancellationToken ct)
    {
        long total = HashedLength;
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = new byte[ChunkBytes];
        Span<byte> digest = stackalloc byte[16];
        ulong previous = 0;
        ulong count = unchecked((ulong)FragmentCount);
        string sums = (FragmentSums ?? "").PadRight(FragmentSumChars + 1, '\0');
        long offset = 0;
        while (offset < total)
        {
            ct.ThrowIfCancellationRequested();
            int want = (int)Math.Min(total - offset, ChunkBytes);
            int got = source.ReadAt(offset, buffer.AsSpan(0, want));
            if (got <= 0) break;
            ClearAppData(buffer, got, ApplicationUseOffset, offset);
            md5.AppendData(buffer, 0, got);
            if (count != 0)
            {
                ulong current = unchecked((ulong)(offset * (long)(count + 1) / total));
                ulong size = FragmentSumChars / count;
                if (current != previous)
                {
                    md5.GetCurrentHash(digest);
                    ulong j = unchecked((current - 1) * size);
                    for (ulong i = 0; i < Math.Min(size, 16UL); i++)
                    {
                        char first = digest[(int)i].ToString("x", System.Globalization.CultureInfo.InvariantCulture)[0];
                        if (j >= (ulong)sums.Length || first != sums[(int)j++]) return new IsoMd5Result(IsoMd5Verdict.Failed, null, (long)current);
                    }
                    previous = current;
                }
            }
            offset += got;
        }
        string computed = Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant();
        return new IsoMd5Result(string.Equals(RecordedMd5, computed, StringComparison.Ordinal) ? IsoMd5Verdict.Passed : IsoMd5Verdict.Failed, computed, null);
    }

    /// <summary>libcheckisomd5.c clear_appdata: the 512 bytes at the record's offset read as spaces.</summary>
    private static void ClearAppData(byte[] buffer, int size, long appData, long offset)
    {
        long difference = appData - offset;
        if (-AppDataLength <= difference && difference <= size)
        {
            long start = Math.Max(0, difference);
            long end = Math.Min(size, difference + AppDataLength);
            if (end > start) buffer.AsSpan((int)start, (int)(end - start)).Fill((byte)' ');
        }
    }

    private static int StartsWith(byte[] b, int index, string s)
    {
        // strncmp against a NUL-terminated buffer: the buffer's NUL ends the match.
        for (int i = 0; i < s.Length; i++)
            if (index + i >= b.Length || b[index + i] != s[i]) return 0;
        return s.Length;
    }

    private static string CString(byte[] b, int index, int length)
    {
        int n = 0;
        while (n < length && b[index + n] != 0) n++;
        return Encoding.Latin1.GetString(b, index, n);
    }

    /// <summary>utilities.c matches_number: the text up to ';' must be a whole strtol number (base 10).</summary>
    private static int MatchesNumber(byte[] b, int index, string key, ref long number)
    {
        int len = StartsWith(b, index, key);
        index += len;
        if (len == 0 || index >= AppDataLength) return 0;
        int end = index;
        while (end < AppDataLength && b[end] != ';' && b[end] != 0) end++;
        // The C code copies up to ';' (NULs included) and strtol stops at the first NUL.
        var text = Encoding.Latin1.GetString(b, index, end - index);
        int stop = index;
        while (stop < AppDataLength && b[stop] != ';') stop++;
        if (!StrToLong(text, out long value)) return 0;
        number = value;
        return stop;
    }

    private static bool StrToLong(string s, out long value)
    {
        value = 0;
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
        int digits = i;
        decimal acc = 0;
        while (i < s.Length && s[i] is >= '0' and <= '9') { if (acc < 1e20m) acc = acc * 10 + (s[i] - '0'); i++; }
        if (i == digits) return s.Length == 0; // no digits: endptr is the start of the text, so only an empty text passes
        if (negative) acc = -acc;
        value = acc > long.MaxValue ? long.MaxValue : acc < long.MinValue ? long.MinValue : (long)acc;
        return i == s.Length;
    }
}
