using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace VirtualDiskManaged;

/// <summary>Cold, central throw sites (keeps hot paths small and inlinable).</summary>
internal static class ThrowHelper
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Throw(VirtualDiskDiagnostic diagnostic) => throw new VirtualDiskException(diagnostic);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Throw(VirtualDiskErrorReason reason, string? filePath, string? detail = null, long? offset = null) =>
        throw new VirtualDiskException(new VirtualDiskDiagnostic(reason, filePath, detail, offset));

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowObjectDisposed(string? name) => throw new ObjectDisposedException(name);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentOutOfRange(string paramName) => throw new ArgumentOutOfRangeException(paramName);
}
