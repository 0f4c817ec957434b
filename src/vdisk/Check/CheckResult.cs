namespace VirtualDiskManaged.Cli.Check;

/// <summary>ok, failed (a contract code, a profile rule, a bad input) or error (a bug: an unexpected exception).</summary>
internal enum CheckStatus
{
    Ok,
    Failed,
    Error,
}

/// <summary>A library diagnostic as reported (paths already mapped back from temp copies to the user's files).</summary>
internal sealed record ReportedDiagnostic(string Reason, uint Code, string Message, string? File)
{
    public static ReportedDiagnostic From(VirtualDiskDiagnostic d, ImageInput input) =>
        new(d.Reason.ToString(), d.ErrorCode, input.MapPath(Text.Message(d))!, input.MapPath(d.Root.FilePath ?? d.FilePath));
}

/// <summary>One profile rule that an image breaks: stable id, error or warning, what is wrong and how to fix it.</summary>
internal sealed record RuleViolation(string Rule, bool IsError, string Message, string Hint)
{
    public string Severity => IsError ? "error" : "warning";
}

/// <summary>What --deep did: bytes read, the content's SHA-256 and the problems the deep verify found.</summary>
internal sealed record DeepResult(long BytesRead, string? Sha256, IReadOnlyList<ReportedDiagnostic> Problems);

/// <summary>The result for one image.</summary>
internal sealed class CheckResult
{
    public required string Path { get; init; }
    public CheckStatus Status { get; set; } = CheckStatus.Ok;

    /// <summary>The Win32 code of the open (or of the deep check's first problem); null for an input or internal error.</summary>
    public uint? Code { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public string? File { get; set; }

    public string? Format { get; set; }
    public string? Subtype { get; set; }
    public long? VirtualSize { get; set; }
    public long? FileSize { get; set; }
    public int ChainLength { get; set; }
    public bool? ElTorito { get; set; }

    public List<ReportedDiagnostic> Warnings { get; } = [];
    public List<RuleViolation> Rules { get; } = [];
    public DeepResult? Deep { get; set; }

    /// <summary>"&lt;exception type&gt;: &lt;message&gt;" of an unexpected exception (a bug), else null.</summary>
    public string? InternalError { get; set; }

    /// <summary>Why the input itself could not be used (a .gz that does not expand), else null.</summary>
    public string? InputError { get; set; }

    public double Seconds { get; set; }

    /// <summary>For a result read back from a JUnit report (--merge-reports): the text block it carried, written again as is.</summary>
    public string? JUnitDetails { get; set; }

    /// <summary>Sets the failure fields from a diagnostic.</summary>
    public void Fail(ReportedDiagnostic d)
    {
        Status = CheckStatus.Failed;
        Code = d.Code;
        Reason = d.Reason;
        Message = d.Message;
        File = d.File;
    }

    /// <summary>The status once profile rules are in: failed when any error-severity rule is broken.</summary>
    public void Settle()
    {
        if (Status == CheckStatus.Ok && Rules.Any(r => r.IsError)) Status = CheckStatus.Failed;
    }
}
