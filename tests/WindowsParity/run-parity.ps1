<#
.SYNOPSIS
    Runs the Windows parity kit and prints a table of every case where the library and the real virtdisk.dll disagree.

.DESCRIPTION
    The kit (tests/VirtualDiskManaged.Tests/WindowsParity) opens every case of its catalog - the argument rules, the
    order of checks, the host-file rules, format detection and the VHD/VHDX corruption classes of the project's own
    tests - once through Windows' virtdisk.dll OpenVirtualDisk and once through the library's VirtDisk.OpenVirtualDisk
    (Current rule set), and asserts equal codes (and equal virtual sizes when both open). This script runs those
    tests with VDM_PARITY_REPORT set, reads the rows they write, and prints the differences. See docs/windows.md.

    Run it on Windows, from an elevated prompt if virtdisk.dll refuses a good image with ERROR_ACCESS_DENIED.
    Works in Windows PowerShell 5.1 and PowerShell 7.

.PARAMETER Configuration
    Build configuration passed to dotnet test (Debug by default).

.PARAMETER All
    Print every case, not only the differences.

.PARAMETER Markdown
    Also write the table (differences, or every case with -All) as Markdown to this file.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File tests\WindowsParity\run-parity.ps1
.EXAMPLE
    pwsh tests/WindowsParity/run-parity.ps1 -All -Markdown parity.md

.OUTPUTS
    Exit status 0: no difference. 1: at least one difference. 2: the kit did not run (not Windows, virtdisk.dll
    missing, no rights, or the build failed) - the reason is printed.
#>
[CmdletBinding()]
param(
    [string] $Configuration = 'Debug',
    [switch] $All,
    [string] $Markdown
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$onWindows = ($PSVersionTable.PSEdition -eq 'Desktop') -or ((Test-Path variable:IsWindows) -and $IsWindows)
if (-not $onWindows) {
    Write-Host 'The parity kit compares with virtdisk.dll, which exists only on Windows; on this system its tests are ignored.'
    exit 2
}

$root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
$project = Join-Path $root 'tests\VirtualDiskManaged.Tests'
$report = Join-Path ([IO.Path]::GetTempPath()) ("vdm-parity-{0}.tsv" -f $PID)
if (Test-Path $report) { Remove-Item $report -Force }

$env:VDM_PARITY_REPORT = $report
# Windows PowerShell turns a native command's redirected stderr into errors; they must not stop the script.
$ErrorActionPreference = 'Continue'
try {
    $log = @(& dotnet test $project -c $Configuration --filter 'FullyQualifiedName~WindowsParity' --logger 'console;verbosity=detailed' 2>&1 | ForEach-Object { "$_" })
    $testExit = $LASTEXITCODE
}
finally {
    Remove-Item Env:VDM_PARITY_REPORT -ErrorAction SilentlyContinue
    $ErrorActionPreference = 'Stop'
}

if (-not (Test-Path $report)) {
    # Nothing was compared: show why (the skip reason NUnit printed, or the build error).
    $why = $log | Where-Object { $_ -match 'Windows parity kit:|error ' } | Select-Object -First 5
    Write-Host 'The parity kit compared nothing.'
    if ($why) { $why | ForEach-Object { Write-Host "  $_" } } else { $log | Select-Object -Last 20 | ForEach-Object { Write-Host "  $_" } }
    exit 2
}

$columns = 'Case', 'Mirrors', 'Windows', 'Library', 'Documented', 'WindowsSize', 'LibrarySize', 'Verdict'
$rows = @(Import-Csv -Path $report -Delimiter "`t" -Header $columns)
Remove-Item $report -Force

$different = @($rows | Where-Object { $_.Verdict -ne 'same' })
$byDesign = @($rows | Where-Object { $_.Verdict -eq 'same' -and $_.Documented -ne $_.Windows })
$shown = @(if ($All) { $rows } else { $different })

if ($shown.Count -gt 0) {
    $shown | Format-Table -AutoSize -Wrap Case, Windows, Library, Documented, WindowsSize, LibrarySize, Verdict, Mirrors | Out-String -Width 400 | Write-Host
}

if ($Markdown) {
    $lines = @('| case | virtdisk.dll | library (Current) | library (Documented) | size (Windows) | size (library) | verdict | mirrors |',
               '|---|---|---|---|---|---|---|---|')
    foreach ($r in $shown) {
        $lines += ('| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} |' -f $r.Case, $r.Windows, $r.Library, $r.Documented, $r.WindowsSize, $r.LibrarySize, $r.Verdict, $r.Mirrors)
    }
    $lines += ''
    $lines += ('{0} cases, {1} different; {2} where only the Documented rule set differs from Windows (by design, docs/decisions.md).' -f $rows.Count, $different.Count, $byDesign.Count)
    Set-Content -Path $Markdown -Value $lines -Encoding UTF8
}

Write-Host ('{0} cases compared, {1} different; {2} where only the Documented rule set differs from Windows (by design).' -f $rows.Count, $different.Count, $byDesign.Count)
if ($different.Count -gt 0) { exit 1 }
if ($testExit -ne 0) { Write-Host "dotnet test exited with $testExit"; exit 1 }
exit 0
