#!/usr/bin/env bash
# Times `vdisk check DIR` (one process for all images) against `qemu-img info` run once per image, over
# 1,000 small images made here with qemu-img and xorriso. Uses hyperfine when installed
# (apt-get install hyperfine), else bash's `time`.
#
#   benchmarks/check-vs-qemu.sh [COUNT]      (default 1000; RUNS=3 hyperfine runs per command; JOBS=1 vdisk --jobs)
#
# vdisk runs with --jobs 1 by default so both sides use one core; JOBS=0 uses vdisk's default (all cores).
set -euo pipefail

count=${1:-1000}
runs=${RUNS:-3}
jobs=${JOBS:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vdm-check-vs-qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT

for tool in qemu-img dotnet; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

echo "Building vdisk (Release)..." >&2
dotnet build -c Release "$root/src/vdisk" -o "$work/vdisk-bin" >/dev/null
vdisk_dll="$work/vdisk-bin/vdisk.dll"

# Templates: dynamic and fixed VHD, dynamic VHDX, ISO; copies keep sparseness. Mix: 40% VHD dynamic,
# 30% VHD fixed, 20% VHDX dynamic, 10% ISO.
tpl="$work/templates"
images="$work/images"
mkdir -p "$tpl" "$images" "$tpl/iso-src"
qemu-img create -q -f vpc -o subformat=dynamic "$tpl/dyn.vhd" 64M
qemu-img create -q -f vpc -o subformat=fixed "$tpl/fixed.vhd" 16M
qemu-img create -q -f vhdx -o subformat=dynamic "$tpl/dyn.vhdx" 64M
echo "check-vs-qemu" > "$tpl/iso-src/readme.txt"
if command -v xorriso >/dev/null; then
    xorriso -as mkisofs -quiet -V CHECK -o "$tpl/disc.iso" "$tpl/iso-src" 2>/dev/null
else
    genisoimage -quiet -V CHECK -o "$tpl/disc.iso" "$tpl/iso-src"
fi
for ((i = 0; i < count; i++)); do
    case $((i % 10)) in
        0|1|2|3) src="$tpl/dyn.vhd" ext=vhd ;;
        4|5|6) src="$tpl/fixed.vhd" ext=vhd ;;
        7|8) src="$tpl/dyn.vhdx" ext=vhdx ;;
        *) src="$tpl/disc.iso" ext=iso ;;
    esac
    cp --sparse=always "$src" "$images/img$(printf %04d "$i").$ext"
done
echo "$count images in $images ($(du -sh "$images" | cut -f1) on disk)" >&2
# Warm the page cache so both sides read from memory.
cat "$images"/* > /dev/null

jobs_arg=()
[ "$jobs" != 0 ] && jobs_arg=(--jobs "$jobs")
vdisk_cmd="dotnet $vdisk_dll check $images ${jobs_arg[*]} > /dev/null"
qemu_cmd="for f in $images/*; do qemu-img info \"\$f\" > /dev/null; done"

# Sanity: vdisk must pass every image (exit 0), or the comparison is meaningless.
dotnet "$vdisk_dll" check "$images" "${jobs_arg[@]}" > "$work/vdisk-check.txt" || {
    echo "vdisk check failed on the generated images:" >&2; tail -20 "$work/vdisk-check.txt" >&2; exit 1; }

if command -v hyperfine >/dev/null; then
    hyperfine --runs "$runs" --export-markdown "$work/result.md" \
        -n "vdisk check (1 process, $count images)" "$vdisk_cmd" \
        -n "qemu-img info x $count" "$qemu_cmd"
    cat "$work/result.md"
else
    echo "hyperfine not installed; one timed run each" >&2
    TIMEFORMAT='%R s'
    echo "vdisk check:"; time bash -c "$vdisk_cmd"
    echo "qemu-img info loop:"; time bash -c "$qemu_cmd"
fi
