namespace VirtualDiskManaged;

/// <summary>
/// Thrown by the .NET layer when an open or a read fails. <see cref="ErrorCode"/> is the same Win32 code the
/// Win32-shaped layer returns; <see cref="Reason"/> says precisely why.
/// </summary>
public sealed class VirtualDiskException : IOException
{
    /// <summary>Creates the exception for a diagnostic.</summary>
    public VirtualDiskException(VirtualDiskDiagnostic diagnostic)
        : base(MessageOf(diagnostic), unchecked((int)(diagnostic?.ErrorCode ?? 0)))
    {
        ArgumentNullException.ThrowIfNull(diagnostic);
        Diagnostic = diagnostic;
    }

    // The diagnostic's message and the file at fault, once ("... File: /images/child.vhdx.").
    private static string? MessageOf(VirtualDiskDiagnostic? diagnostic) =>
        diagnostic is null ? null
        : diagnostic.FileAtFault is { } file ? diagnostic.Message + " File: " + file + "."
        : diagnostic.Message;

    /// <summary>The full diagnostic.</summary>
    public VirtualDiskDiagnostic Diagnostic { get; }

    /// <summary>The Win32 error code.</summary>
    public uint ErrorCode => Diagnostic.ErrorCode;

    /// <summary>The Win32 error code as an enum.</summary>
    public VirtualDiskError Error => Diagnostic.Code;

    /// <summary>The precise cause.</summary>
    public VirtualDiskErrorReason Reason => Diagnostic.Reason;

    /// <summary>The file of the chain that caused the failure (the child or a parent).</summary>
    public string? FilePath => Diagnostic.FileAtFault;
}
