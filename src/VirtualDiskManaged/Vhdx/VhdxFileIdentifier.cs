using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace VirtualDiskManaged.Vhdx;

/// <summary>The file type identifier at offset 0 (formats.md §B.3): "vhdxfile" and an optional UTF-16 creator.</summary>
internal readonly struct VhdxFileIdentifier
{
    public const ulong Signature = 0x656C696678646876; // "vhdxfile"
    public const int SignatureOffset = 0, CreatorOffset = 8, CreatorLength = 512;

    /// <summary>Bytes needed to parse: the signature and the creator field.</summary>
    public const int Size = CreatorOffset + CreatorLength;

    private VhdxFileIdentifier(string? creator) => Creator = creator;

    /// <summary>The creator string (diagnostic only), or null when empty.</summary>
    public string? Creator { get; }

    /// <summary>Whether the first eight bytes are "vhdxfile" (§D.2 rule 1).</summary>
    public static bool HasSignature(ReadOnlySpan<byte> data) =>
        data.Length >= 8 && BinaryPrimitives.ReadUInt64LittleEndian(data) == Signature;

    public static bool TryParse(ReadOnlySpan<byte> data, out VhdxFileIdentifier identifier, out VirtualDiskErrorReason reason)
    {
        identifier = default;
        if (data.Length < Size || !HasSignature(data))
        {
            reason = VirtualDiskErrorReason.VhdxFileIdentifierMissing;
            return false;
        }
        var chars = MemoryMarshal.Cast<byte, char>(data.Slice(CreatorOffset, CreatorLength));
        int end = chars.IndexOf('\0');
        if (end < 0) end = chars.Length;
        string? creator = null;
        if (end > 0)
        {
            Span<char> text = stackalloc char[end];
            for (int i = 0; i < end; i++) text[i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(CreatorOffset + 2 * i, 2));
            creator = new string(text);
        }
        identifier = new VhdxFileIdentifier(creator);
        reason = VirtualDiskErrorReason.None;
        return true;
    }
}
