using System.Buffers.Binary;

namespace VirtualDiskManaged.Vhdx;

/// <summary>The file type identifier at offset 0 (MS-VHDX §2.2.1): "vhdxfile" and an optional UTF-16 creator.</summary>
internal readonly struct VhdxFileIdentifier
{
    public const ulong Signature = 0x656C696678646876; // "vhdxfile"
    public const int SignatureOffset = 0, CreatorOffset = 8, CreatorLength = 512;

    /// <summary>Bytes needed to parse: the signature and the creator field.</summary>
    public const int Size = CreatorOffset + CreatorLength;

    /// <summary>Whether the first eight bytes are "vhdxfile" (VHDX rule 1, docs/open-path.md §8.2).</summary>
    public static bool HasSignature(ReadOnlySpan<byte> data) =>
        data.Length >= 8 && BinaryPrimitives.ReadUInt64LittleEndian(data) == Signature;

    /// <summary>Checks the signature (allocation-free; the creator is decoded only on demand by <see cref="ReadCreator"/>).</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out VhdxFileIdentifier identifier, out VirtualDiskErrorReason reason)
    {
        identifier = default;
        bool ok = data.Length >= Size && HasSignature(data);
        reason = ok ? VirtualDiskErrorReason.None : VirtualDiskErrorReason.VhdxFileIdentifierMissing;
        return ok;
    }

    /// <summary>The creator string (diagnostic only: UTF-16 LE up to the first NUL), or null when empty.</summary>
    public static string? ReadCreator(ReadOnlySpan<byte> data)
    {
        if (data.Length < Size) return null;
        var field = data.Slice(CreatorOffset, CreatorLength);
        int end = 0;
        while (end < CreatorLength / 2 && BinaryPrimitives.ReadUInt16LittleEndian(field[(2 * end)..]) != 0) end++;
        if (end == 0) return null;
        return string.Create(end, field.ToArray(), static (chars, bytes) =>
        {
            for (int i = 0; i < chars.Length; i++) chars[i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i));
        });
    }
}
