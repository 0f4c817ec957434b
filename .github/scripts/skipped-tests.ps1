<#
.SYNOPSIS
    Lists every test that was skipped (ignored) in the TRX files under a folder, grouped by the reason the test gave.
.DESCRIPTION
    Used by .github/workflows/ci.yml after the test step, so that each skipped test in CI shows its reason (a missing
    tool, a Linux-only facility, the absent shared corpus, the Windows-only parity kit). The same list is appended to
    the job summary when GITHUB_STEP_SUMMARY is set. See docs/windows.md for the expected reasons per platform.
.PARAMETER Results
    The folder holding the .trx files (dotnet test --logger trx --results-directory FOLDER).
#>
param([string] $Results = 'TestResults')

$files = @(Get-ChildItem -Path $Results -Recurse -Filter *.trx -ErrorAction SilentlyContinue)
if ($files.Count -eq 0) { Write-Host "No .trx files under $Results."; exit 0 }

$skipped = @(foreach ($f in $files) {
    [xml] $trx = Get-Content -Path $f.FullName -Raw
    foreach ($r in @($trx.TestRun.Results.UnitTestResult)) {
        if ($null -eq $r -or $r.outcome -ne 'NotExecuted') { continue }
        $reason = $null
        if ($r.PSObject.Properties['Output'] -and $r.Output.PSObject.Properties['ErrorInfo']) { $reason = "$($r.Output.ErrorInfo.Message)".Trim() }
        if (-not $reason) { $reason = '(no reason given)' }
        [pscustomobject] @{ Test = $r.testName; Reason = $reason }
    }
})

$groups = @($skipped | Group-Object Reason | Sort-Object Count -Descending)
Write-Host ("{0} skipped test(s), {1} distinct reason(s)." -f $skipped.Count, $groups.Count)
$summary = @("### Skipped tests ($($skipped.Count))", '', '| count | reason | e.g. |', '|---|---|---|')
foreach ($g in $groups) {
    $examples = @($g.Group | Select-Object -First 3 | ForEach-Object { $_.Test })
    Write-Host ("{0,6}  {1}" -f $g.Count, $g.Name)
    foreach ($e in $examples) { Write-Host "          e.g. $e" }
    $summary += ('| {0} | {1} | {2} |' -f $g.Count, ($g.Name -replace '\|', '\|'), (($examples -join '; ') -replace '\|', '\|'))
}
if ($env:GITHUB_STEP_SUMMARY) { Add-Content -Path $env:GITHUB_STEP_SUMMARY -Value $summary -Encoding UTF8 }
exit 0
