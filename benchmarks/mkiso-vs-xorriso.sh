#!/usr/bin/env bash
# Times `vdisk mkiso` against `xorriso -as mkisofs` and `genisoimage` building the same ISO (Rock Ridge + Joliet)
# from a generated tree of COUNT files in COUNT/100 folders, in the same run (hyperfine), then measures the
# peak memory (maximum resident set size, /usr/bin/time -v) of each builder on a tree of BIG entries.
#
#   benchmarks/mkiso-vs-xorriso.sh [COUNT] [BIG]     (defaults 10000 and 100000; RUNS=5 hyperfine runs)
#
# Every tool gets the same date (SOURCE_DATE_EPOCH) and writes to the same temporary folder.
set -euo pipefail

count=${1:-10000}
big=${2:-100000}
runs=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vdm-mkiso-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000
export DOTNET_gcServer=0   # workstation GC, the default for a console app (stated so the figure cannot change with it)

for tool in xorriso genisoimage hyperfine dotnet /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

# The bits the tool package installs on this platform (published for the host's RID, ReadyToRun; src/vdisk/vdisk.csproj).
rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)
echo "Publishing vdisk (Release, $rid)..." >&2
dotnet publish -c Release -r "$rid" --self-contained false "$root/src/vdisk" -o "$work/vdisk-bin" >/dev/null
vdisk=(dotnet "$work/vdisk-bin/vdisk.dll")

make_tree() { # make_tree DIR FILES: FILES small files (1 byte to 4 KiB) in FILES/100 folders
    local dir=$1 files=$2
    python3 - "$dir" "$files" <<'PY'
import os, sys, random
root, files = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
folders = max(1, files // 100)
for d in range(folders):
    os.makedirs(os.path.join(root, f"dir{d:05d}"), exist_ok=True)
for i in range(files):
    with open(os.path.join(root, f"dir{i % folders:05d}", f"file-{i:06d}.txt"), "wb") as f:
        f.write(os.urandom(rnd.randint(1, 4096)))
PY
}

make_tree "$work/tree" "$count"
echo "Tree: $count files in $((count / 100)) folders, $(du -sh "$work/tree" | cut -f1)" >&2

hyperfine --runs "$runs" --warmup 1 --export-markdown "$work/mkiso.md" \
    -n "vdisk mkiso" "${vdisk[*]} mkiso -o $work/v.iso -R -J --date $SOURCE_DATE_EPOCH $work/tree" \
    -n "xorriso -as mkisofs" "xorriso -as mkisofs -quiet -R -J -o $work/x.iso $work/tree" \
    -n "genisoimage" "genisoimage -quiet -R -J -o $work/g.iso $work/tree"
cat "$work/mkiso.md"

rm -rf "$work/tree" "$work"/*.iso
make_tree "$work/big" "$big"
echo "Peak memory, $big entries (maximum resident set size):"
for cmd in "vdisk mkiso|${vdisk[*]} mkiso -o $work/v.iso -R -J $work/big" \
           "xorriso -as mkisofs|xorriso -as mkisofs -quiet -R -J -o $work/x.iso $work/big" \
           "genisoimage|genisoimage -quiet -R -J -o $work/g.iso $work/big"; do
    name=${cmd%%|*}
    /usr/bin/time -v ${cmd#*|} 2> "$work/time.txt" >/dev/null
    kb=$(grep "Maximum resident set size" "$work/time.txt" | awk '{print $NF}')
    echo "  $name: $((kb / 1024)) MiB"
    rm -f "$work"/*.iso
done
