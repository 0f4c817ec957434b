#!/usr/bin/env bash
# vdisk compact against cp of the same file, same run (hyperfine; docs/operations.md "compact"):
# a dynamic VHDX of SIZE (default 4 GiB, 32 MiB blocks) with every block allocated by qemu-io, half of them written
# with zeros (every other block, so the data blocks near the end move into the freed places). Each run starts from a
# fresh copy of that image (the --prepare step, not timed); "cp" is the time to copy the file once (the baseline: a
# compact reads every allocated block once and copies the moved half).
#
#   benchmarks/compact-vs-cp.sh            (RUNS=3 hyperfine runs per command; SIZE=4G)
#
# Needs qemu-img, qemu-io, dotnet and hyperfine; about 3 x SIZE of free space in $TMPDIR.
set -euo pipefail

runs=${RUNS:-3}
size=${SIZE:-4G}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vdm-compact-vs-cp.XXXXXX")
trap 'rm -rf "$work"' EXIT

for tool in qemu-img qemu-io dotnet hyperfine; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

echo "Building vdisk (Release)..." >&2
dotnet build -c Release "$root/src/vdisk" -o "$work/vdisk-bin" >/dev/null
vdisk="dotnet $work/vdisk-bin/vdisk.dll"

echo "Making the image..." >&2
base="$work/base.vhdx"
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=32M "$base" "$size"
bytes=$(qemu-img info --output=json "$base" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')
blocks=$(( bytes / 33554432 ))
cmds=()
for ((i = 0; i < blocks; i++)); do
    if (( i % 2 == 0 )); then cmds+=(-c "write -P 0 $(( i * 33554432 )) 32M"); else cmds+=(-c "write -P $(( i % 250 + 1 )) $(( i * 33554432 )) 32M"); fi
done
qemu-io -f vhdx "${cmds[@]}" "$base" >/dev/null
raw="$work/base.raw"
qemu-img convert -f vhdx -O raw "$base" "$raw"

work_img="$work/work.vhdx"
hyperfine --runs "$runs" --style basic --export-markdown "$work/compact.md" \
    --prepare "cp $base $work_img; rm -f $work/copy.vhdx" \
    -n "vdisk compact (${size}, half the blocks zero)" "$vdisk compact $work_img" \
    -n "cp of the same file" "cp $base $work/copy.vhdx"
cat "$work/compact.md"

echo "Checking the result..." >&2
cp "$base" "$work_img"
$vdisk compact --json "$work_img"
qemu-img compare -f raw -F vhdx "$raw" "$work_img"
qemu-img check -f vhdx "$work_img"
ls -l "$base" "$work_img"
