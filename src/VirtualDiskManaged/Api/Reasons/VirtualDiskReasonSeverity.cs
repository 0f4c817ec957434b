namespace VirtualDiskManaged;

/// <summary>Whether a <see cref="VirtualDiskErrorReason"/> is a failure or a warning.</summary>
public enum VirtualDiskReasonSeverity
{
    /// <summary>The operation (or the deep check) fails with the reason's code.</summary>
    Error = 0,

    /// <summary>The operation succeeds and reports the reason; the code applies only in strict mode.</summary>
    Warning = 1,
}
