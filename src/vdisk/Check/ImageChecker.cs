using System.Diagnostics;
using System.Security.Cryptography;

namespace VirtualDiskManaged.Cli.Check;

/// <summary>Checks one image: expand if compressed, open for validation, profile rules, optional deep read. Never throws.</summary>
internal sealed class ImageChecker(VirtualDiskOpenOptions options, string? profile, bool deep, bool hashContent, Action<long>? bytesRead)
{
    public CheckResult Check(string path)
    {
        var clock = Stopwatch.StartNew();
        var result = new CheckResult { Path = path };
        try
        {
            using var input = ImageInput.Prepare(path);
            CheckOpened(input, result);
        }
        catch (InputException e)
        {
            result.Status = CheckStatus.Failed;
            result.InputError = e.Message;
            result.Message = e.Message;
            result.File = path;
        }
        catch (Exception e)
        {
            // A bug, never dressed up as a contract code.
            result.Status = CheckStatus.Error;
            result.Code = null;
            result.Reason = null;
            result.InternalError = $"{e.GetType().FullName}: {e.Message}";
            result.Message = result.InternalError;
        }
        result.Settle();
        result.Seconds = clock.Elapsed.TotalSeconds;
        return result;
    }

    private void CheckOpened(ImageInput input, CheckResult result)
    {
        if (!input.TryOpen(options, out var handle, out var failure))
        {
            result.Fail(ReportedDiagnostic.From(failure!, input));
            if (profile is not null) Profiles.EvaluateFailure(profile, failure!, result);
            return;
        }
        using (handle)
        {
            var info = handle!.Info;
            result.Code = 0;
            result.Message = VirtualDiskErrors.DescriptionOf(VirtualDiskError.Success);
            result.File = input.DisplayPath;
            result.Format = Text.FormatName(handle.Format);
            result.Subtype = Text.SubtypeName(handle.Subtype);
            result.VirtualSize = handle.VirtualSize;
            result.FileSize = info.Top.FileSize;
            result.ChainLength = info.Chain.Count;
            result.ElTorito = info.Top.HasElTorito;
            foreach (var w in handle.Warnings) result.Warnings.Add(ReportedDiagnostic.From(w, input));
            if (profile is not null) Profiles.Evaluate(profile, handle, result);
            if (deep) Deep(input, handle, result);
        }
    }

    private void Deep(ImageInput input, VirtualDiskHandle handle, CheckResult result)
    {
        long done = 0;
        string? sha = null;
        var problems = new List<ReportedDiagnostic>();
        try
        {
            using var hash = hashContent ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
            byte[] buffer = new byte[1 << 20];
            long size = handle.VirtualSize;
            while (done < size)
            {
                int n = handle.Read(done, buffer);
                if (n <= 0) throw new InvalidOperationException($"Read returned {n} at virtual offset {done} of {size}");
                hash?.AppendData(buffer, 0, n);
                done += n;
                bytesRead?.Invoke(n);
            }
            if (hash is not null) sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        catch (VirtualDiskException e)
        {
            problems.Add(ReportedDiagnostic.From(e.Diagnostic, input));
        }
        foreach (var d in handle.Verify()) problems.Add(ReportedDiagnostic.From(d, input));
        try
        {
            foreach (var d in FileSystemDeepCheck.Verify(handle)) problems.Add(ReportedDiagnostic.From(d, input));
        }
        catch (VirtualDiskException e)
        {
            problems.Add(ReportedDiagnostic.From(e.Diagnostic, input));
        }
        result.Deep = new DeepResult(done, sha, problems);
        if (problems.Count > 0) result.Fail(problems[0]);
    }
}
