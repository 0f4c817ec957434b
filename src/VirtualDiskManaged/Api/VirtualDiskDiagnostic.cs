using System.Globalization;
using System.Text;

namespace VirtualDiskManaged;

/// <summary>
/// One failure or warning: the precise <see cref="Reason"/>, its Win32 <see cref="Code"/>, the file of the
/// chain it concerns and, where known, the byte offset and the paths that were tried.
/// </summary>
public sealed class VirtualDiskDiagnostic
{
    internal VirtualDiskDiagnostic(VirtualDiskErrorReason reason, string? filePath, string? detail = null, long? offset = null,
        IReadOnlyList<string>? pathsTried = null, VirtualDiskDiagnostic? inner = null, VirtualDiskError? code = null,
        string? entryPath = null)
    {
        EntryPath = entryPath;
        Reason = reason;
        FilePath = filePath;
        Detail = detail;
        Offset = offset;
        PathsTried = pathsTried ?? [];
        Inner = inner;
        Code = code ?? VirtualDiskErrors.CodeOf(reason);
    }

    /// <summary>The precise cause.</summary>
    public VirtualDiskErrorReason Reason { get; }

    /// <summary>The Win32 error code.</summary>
    public VirtualDiskError Code { get; }

    /// <summary>The Win32 error code as a number (what <c>VirtDisk.OpenVirtualDisk</c> returns).</summary>
    public uint ErrorCode => (uint)Code;

    /// <summary>The file this concerns (the image, or the parent of the chain at fault), when known.</summary>
    public string? FilePath { get; }

    /// <summary>Specifics beyond the reason's sentence (values read, limits), or null.</summary>
    public string? Detail { get; }

    /// <summary>The byte offset in <see cref="FilePath"/> of the structure at fault, when known.</summary>
    public long? Offset { get; }

    /// <summary>
    /// For findings inside a file system (ISO 9660, Joliet, Rock Ridge, UDF) or an operation on one entry: the
    /// path inside the image, absolute and <c>/</c>-separated (e.g. <c>/boot/grub/grub.cfg</c>); otherwise null.
    /// </summary>
    public string? EntryPath { get; }

    /// <summary>For a parent that was not found: every path that was tried, in order.</summary>
    public IReadOnlyList<string> PathsTried { get; }

    /// <summary>For <see cref="VirtualDiskErrorReason.ErrorInParent"/>: the failure further up the chain.</summary>
    public VirtualDiskDiagnostic? Inner { get; }

    /// <summary>True when this is a warning (the open succeeded).</summary>
    public bool IsWarning => VirtualDiskErrors.IsWarning(Reason);

    /// <summary>
    /// A message a person can act on, in whole sentences: the reason's sentence, the specifics (<see cref="Detail"/>),
    /// the path in the image, the byte offset, the paths tried and the cause further up the chain. It does not name
    /// <see cref="FilePath"/> (show that beside it; <see cref="ToString"/> and <see cref="VirtualDiskException"/>'s
    /// message add it once).
    /// </summary>
    public string Message
    {
        get
        {
            var sb = new StringBuilder();
            Sentence(sb, VirtualDiskErrors.MessageOf(Reason));
            if (!string.IsNullOrEmpty(Detail)) Sentence(sb, Detail);
            if (EntryPath is not null) Sentence(sb, "Path in the image: " + EntryPath);
            if (Offset is long o) Sentence(sb, string.Create(CultureInfo.InvariantCulture, $"At byte offset {o}"));
            if (PathsTried.Count > 0) Sentence(sb, "Paths tried: " + string.Join("; ", PathsTried));
            if (Inner is not null) Sentence(sb, "Cause: " + Inner.Message);
            return sb.ToString();
        }
    }

    /// <summary>Appends <paramref name="text"/> as a sentence: a space before it, a full stop after it unless it ends a sentence already.</summary>
    private static void Sentence(StringBuilder sb, string text)
    {
        if (sb.Length > 0) sb.Append(' ');
        sb.Append(text);
        if (text.Length > 0 && text[^1] is not ('.' or '!' or '?')) sb.Append('.');
    }

    /// <summary>The file at fault: the innermost file of a chain failure that names one, else <see cref="FilePath"/>.</summary>
    internal string? FileAtFault => Root.FilePath ?? FilePath;

    /// <summary>The innermost diagnostic of a chain failure (the file of the chain at fault).</summary>
    public VirtualDiskDiagnostic Root
    {
        get
        {
            var d = this;
            while (d.Inner is not null) d = d.Inner;
            return d;
        }
    }

    /// <summary>The symbol, code and reason, the <see cref="Message"/>, then the file (once) and, for a chain failure, the file at fault.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{VirtualDiskErrors.SymbolOf(Code)} ({ErrorCode}, 0x{ErrorCode:X8}) {Reason}: {Message}");
        if (FilePath is not null) sb.Append(" File: ").Append(FilePath).Append('.');
        if (Root != this && Root.FilePath is { } root && root != FilePath) sb.Append(" File at fault: ").Append(root).Append('.');
        return sb.ToString();
    }

    internal VirtualDiskDiagnostic WithFile(string filePath) =>
        FilePath is null ? new(Reason, filePath, Detail, Offset, PathsTried, Inner, Code, EntryPath) : this;
}
