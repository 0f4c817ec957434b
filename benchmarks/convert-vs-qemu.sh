#!/usr/bin/env bash
# vdisk convert against qemu-img convert, same run (hyperfine), and vdisk map of a 64 TiB disk
# (docs/operations.md "convert", "map"):
#   1. a 64 GiB dynamic VHDX with 1 GiB allocated (32 x 32 MiB of data spread over the disk) -> fixed VHD
#   2. the same VHDX -> dynamic VHD
#   3. raw -> dynamic VHDX: a sparse raw file of RAW_SIZE (default 8 GiB) with the same 1 GiB of data
#   4. vdisk map --json of a 64 TiB dynamic VHDX with 8 blocks written, against vdisk map of a 64 GiB one with the
#      same 8 blocks and of the 64 TiB one with 800 blocks (the map's time grows with the allocated blocks, not with
#      the virtual size); qemu-made (its BAT is written: every entry PAYLOAD_BLOCK_ZERO) and library-made (its BAT is
#      a hole of the sparse file where nothing was written)
#
#   benchmarks/convert-vs-qemu.sh          (RUNS=3 hyperfine runs per command; SIZE=64G; RAW_SIZE=8G)
#
# Outputs are sparse on both sides (qemu-img preallocation=off; vdisk without --preallocate). Each run removes the
# output first (vdisk convert never overwrites) and syncs, so earlier dirty pages are not charged to the next command.
# vdisk flushes the output to stable storage before its rename. qemu-img convert's default cache mode for its output
# is "unsafe" (its flush requests are dropped: no fdatasync of the data at all), so it is measured three ways: as is,
# with `-t writeback` (qemu-img's own durable mode: it flushes), and followed by `sync OUT` (fsync of the output).
# Needs qemu-img, qemu-io, dotnet, hyperfine and jq.
set -euo pipefail

runs=${RUNS:-3}
size=${SIZE:-64G}
raw_size=${RAW_SIZE:-8G}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vdm-convert-vs-qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT

for tool in qemu-img qemu-io dotnet hyperfine jq; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

uptime
# The bits the tool package installs on this platform (published for the host's RID, ReadyToRun; src/vdisk/vdisk.csproj).
rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)
echo "Publishing vdisk (Release, $rid)..." >&2
dotnet publish -c Release -r "$rid" --self-contained false "$root/src/vdisk" -o "$work/vdisk-bin" >/dev/null
vdisk="dotnet $work/vdisk-bin/vdisk.dll"

echo "Making the sources..." >&2
src="$work/src.vhdx"
qemu-img create -q -f vhdx -o subformat=dynamic "$src" "$size"
raw="$work/src.raw"
truncate -s "$raw_size" "$raw"
bytes=$(qemu-img info --output=json "$src" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')
raw_bytes=$(stat -c %s "$raw")
cmds=()
for ((i = 0; i < 32; i++)); do
    off=$(( (bytes / 32) * i / 1048576 * 1048576 ))
    cmds+=(-c "write -P $((i + 1)) $off 32M")
done
qemu-io -f vhdx "${cmds[@]}" "$src" >/dev/null
rcmds=()
for ((i = 0; i < 32; i++)); do
    off=$(( (raw_bytes / 32) * i / 1048576 * 1048576 ))
    rcmds+=(-c "write -P $((i + 1)) $off 32M")
done
qemu-io -f raw "${rcmds[@]}" "$raw" >/dev/null
cat "$src" "$raw" > /dev/null 2>&1 || true

out="$work/out"
hyperfine --runs "$runs" --style basic --export-markdown "$work/convert-fixed.md" --export-json "$work/convert-fixed.json" \
    --prepare "rm -f $out.vhd; sync" \
    -n "vdisk convert VHDX->fixed VHD" "$vdisk convert --type fixed $src $out.vhd" \
    -n "qemu-img convert VHDX->fixed VHD" "qemu-img convert -f vhdx -O vpc -o subformat=fixed,force_size=on $src $out.vhd" \
    -n "qemu-img convert -t writeback VHDX->fixed VHD" "qemu-img convert -t writeback -f vhdx -O vpc -o subformat=fixed,force_size=on $src $out.vhd" \
    -n "qemu-img convert VHDX->fixed VHD + sync" "qemu-img convert -f vhdx -O vpc -o subformat=fixed,force_size=on $src $out.vhd && sync $out.vhd"
hyperfine --runs "$runs" --style basic --export-markdown "$work/convert-dynamic.md" --export-json "$work/convert-dynamic.json" \
    --prepare "rm -f $out.vhd; sync" \
    -n "vdisk convert VHDX->dynamic VHD" "$vdisk convert $src $out.vhd" \
    -n "qemu-img convert VHDX->dynamic VHD" "qemu-img convert -f vhdx -O vpc -o subformat=dynamic,force_size=on $src $out.vhd" \
    -n "qemu-img convert -t writeback VHDX->dynamic VHD" "qemu-img convert -t writeback -f vhdx -O vpc -o subformat=dynamic,force_size=on $src $out.vhd" \
    -n "qemu-img convert VHDX->dynamic VHD + sync" "qemu-img convert -f vhdx -O vpc -o subformat=dynamic,force_size=on $src $out.vhd && sync $out.vhd"
hyperfine --runs "$runs" --style basic --export-markdown "$work/convert-raw.md" --export-json "$work/convert-raw.json" \
    --prepare "rm -f $out.vhdx; sync" \
    -n "vdisk convert raw->VHDX" "$vdisk convert --source-format raw $raw $out.vhdx" \
    -n "qemu-img convert raw->VHDX" "qemu-img convert -f raw -O vhdx -o subformat=dynamic $raw $out.vhdx" \
    -n "qemu-img convert -t writeback raw->VHDX" "qemu-img convert -t writeback -f raw -O vhdx -o subformat=dynamic $raw $out.vhdx" \
    -n "qemu-img convert raw->VHDX + sync" "qemu-img convert -f raw -O vhdx -o subformat=dynamic $raw $out.vhdx && sync $out.vhdx"

# The fixed cost of any vdisk command (.NET start-up and JIT; the image open) in the same run, for reading the rows above.
hyperfine --runs "$((runs * 2))" --warmup 1 --style basic --export-markdown "$work/startup.md" \
    -n "vdisk --version (start-up)" "$vdisk --version > /dev/null" \
    -n "vdisk info SRC (start-up + open)" "$vdisk info $src > /dev/null"

huge="$work/huge.vhdx"
huge800="$work/huge800.vhdx"
small="$work/small.vhdx"
lib="$work/lib.vhdx"
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=32M "$huge" 64T
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=32M "$huge800" 64T
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=32M "$small" 64G
$vdisk create --format vhdx --size 64T --block-size 32M "$lib" >/dev/null
hcmds=(); scmds=(); mcmds=()
for ((i = 0; i < 8; i++)); do
    hcmds+=(-c "write -P 7 $(( (64 << 40) / 8 * i )) 4096")
    scmds+=(-c "write -P 7 $(( (64 << 30) / 8 * i )) 4096")
done
for ((i = 0; i < 800; i++)); do
    mcmds+=(-c "write -P 7 $(( (64 << 40) / 800 * i / 4096 * 4096 )) 4096")
done
qemu-io -f vhdx "${hcmds[@]}" "$huge" >/dev/null
qemu-io -f vhdx "${hcmds[@]}" "$lib" >/dev/null
qemu-io -f vhdx "${mcmds[@]}" "$huge800" >/dev/null
qemu-io -f vhdx "${scmds[@]}" "$small" >/dev/null
hyperfine --runs "$((runs * 3))" --warmup 1 --style basic --export-markdown "$work/map.md" \
    -n "vdisk map --json 64 TiB, 8 blocks" "$vdisk map --json $huge > /dev/null" \
    -n "vdisk map --json 64 TiB, 800 blocks" "$vdisk map --json $huge800 > /dev/null" \
    -n "vdisk map --json 64 GiB, 8 blocks" "$vdisk map --json $small > /dev/null" \
    -n "vdisk map --json 64 TiB, 8 blocks, sparse BAT (vdisk create)" "$vdisk map --json $lib > /dev/null" \
    -n "vdisk info 64 TiB (open + start-up only)" "$vdisk info $huge > /dev/null" \
    -n "qemu-img map --output=json 64 TiB" "qemu-img map -f vhdx --output=json $huge > /dev/null"

uptime
cat "$work/convert-fixed.md" "$work/convert-dynamic.md" "$work/convert-raw.md" "$work/startup.md" "$work/map.md"
# This disk's write and flush times vary several-fold from run to run, so the median of each convert row too.
echo
echo "| command | median | min |"
echo "|:---|---:|---:|"
jq -r '.results[] | "| `\(.command)` | \(.median * 1000 | round) ms | \(.min * 1000 | round) ms |"' \
    "$work/convert-fixed.json" "$work/convert-dynamic.json" "$work/convert-raw.json"
