using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace VirtualDiskManaged.Tests.Cli;

/// <summary>What one run of the built CLI produced.</summary>
internal sealed record CliResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public JsonElement Json() => JsonDocument.Parse(StdoutBytes).RootElement;

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{(StdoutBytes.Length > 20000 ? Stdout[..20000] + "…" : Stdout)}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the real <c>vdisk</c> as a separate process: <c>dotnet vdisk.dll ARGS</c>, with the vdisk.dll that the
/// project reference copies next to the test assembly. <c>CI</c> is set so no progress bar is drawn.
/// </summary>
internal static class CliRunner
{
    public static string VdiskDll
    {
        get
        {
            string p = Path.Combine(AppContext.BaseDirectory, "vdisk.dll");
            if (!File.Exists(p)) Assert.Fail("vdisk.dll is not next to the test assembly: " + p);
            return p;
        }
    }

    public static CliResult Run(params string[] args) => RunWith(null, null, args);

    public static CliResult RunIn(string workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    public static CliResult RunWith(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunProcess("dotnet", [VdiskDll, .. args], workingDirectory, environment);

    /// <summary>Runs any program (used for an installed tool), capturing binary stdout and text stderr.</summary>
    public static CliResult RunProcess(string fileName, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = new MemoryStream();
        var outTask = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var errTask = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        process.WaitForExit();
        outTask.Wait();
        return new CliResult(process.ExitCode, stdout.ToArray(), errTask.Result);
    }
}
