#!/usr/bin/env bash
# SourcePath copy vs qemu-img convert (hyperfine): a sparse 64 GiB dynamic VHDX with 1 GiB allocated (32 runs of
# 32 MiB of non-zero data written by qemu-io, spread over the disk) copied into a new dynamic VHDX
#   - by `vdisk create OUT --source SRC` (reads only the allocated blocks, skips zero blocks), and
#   - by `qemu-img convert -f vhdx -O vhdx -o subformat=dynamic SRC OUT` (qemu's default -S 4k zero detection).
# Both outputs are checked with `qemu-img compare` against the source. Also prints the bytes each output file holds.
#
#   benchmarks/create-copy-vs-qemu.sh          (RUNS=5 hyperfine runs per command, WARMUP=1)
set -euo pipefail

runs=${RUNS:-5}
warmup=${WARMUP:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vdm-create-copy.XXXXXX")
trap 'rm -rf "$work"' EXIT
for tool in qemu-img qemu-io dotnet hyperfine; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

echo "Building vdisk (Release)..." >&2
dotnet build -c Release "$root/src/vdisk" -o "$work/vdisk-bin" >/dev/null
vdisk="dotnet $work/vdisk-bin/vdisk.dll"

src="$work/src.vhdx"
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=32M "$src" 64G
cmds=()
for ((i = 0; i < 32; i++)); do cmds+=(-c "write -P $((i + 1)) $((i * 2))G 32M"); done
qemu-io -f vhdx "${cmds[@]}" "$src" >/dev/null
echo "source: $(du -h --apparent-size "$src" | cut -f1) apparent, $(du -h "$src" | cut -f1) on disk" >&2

hyperfine --runs "$runs" --warmup "$warmup" --export-markdown "$work/result.md" \
    --prepare "rm -f $work/vdisk.vhdx $work/qemu.vhdx; sync" \
    -n "vdisk create --source" "$vdisk create $work/vdisk.vhdx --source $src" \
    -n "qemu-img convert" "qemu-img convert -f vhdx -O vhdx -o subformat=dynamic $src $work/qemu.vhdx"
cat "$work/result.md"

$vdisk create "$work/vdisk.vhdx" --source "$src" >/dev/null
qemu-img convert -f vhdx -O vhdx -o subformat=dynamic "$src" "$work/qemu.vhdx"
for f in vdisk qemu; do
    qemu-img compare -q -f vhdx -F vhdx "$src" "$work/$f.vhdx" && echo "$f.vhdx: same content as the source; file $(stat -c %s "$work/$f.vhdx") bytes, $(du -k "$work/$f.vhdx" | cut -f1) KiB on disk"
done
