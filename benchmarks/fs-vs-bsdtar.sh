#!/usr/bin/env bash
# Lists and extracts a big file system with `vdisk ls -R` / `vdisk extract` against bsdtar and 7-Zip in the same
# hyperfine run, and measures peak memory of each listing with /usr/bin/time -v (issue 14 §6, issue 17 §6):
#   ISO: 100,000 files in 1,000 directories (xorriso -as mkisofs -R -J): vdisk ls -R vs bsdtar -tvf vs 7zz l;
#        vdisk extract vs bsdtar -xf vs 7zz x.
#   UDF: 50,000 files in 500 directories (mkudffs + udfclient): vdisk ls -R vs 7zz l; vdisk extract vs 7zz x
#        (libarchive does not read UDF). Skipped with a note when udfclient is missing or too slow (UDF_TIMEOUT);
#        UDF_MAKER=writer makes the image with the tests' spec-based UDF writer instead.
# The images are made once into a temp folder outside the repository (kept across runs in $BENCH_DIR when set).
#
#   benchmarks/fs-vs-bsdtar.sh            RUNS=5 WARMUP=1 FILES=100000 DIRS=1000 UDF_FILES=50000 UDF_DIRS=500 UDF=1
#                                         EXTRACT=0 skips the extraction runs (listing and memory only)
#
# Targets: listing >= 2x faster than both tools, extraction at least as fast as bsdtar (UDF: 7-Zip), peak listing
# memory <= 64 MiB. Figures go to benchmarks/README.md by hand (with the machine and the command).
set -euo pipefail

runs=${RUNS:-5}
warmup=${WARMUP:-1}
files=${FILES:-100000}
dirs=${DIRS:-1000}
udf_files=${UDF_FILES:-50000}
udf_dirs=${UDF_DIRS:-500}
udf_timeout=${UDF_TIMEOUT:-900}
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_DIR:-${TMPDIR:-/tmp}/vdm-fs-bench}
mkdir -p "$bench"
out=$(mktemp -d "${TMPDIR:-/tmp}/vdm-fs-out.XXXXXX")
trap 'rm -rf "$out"' EXIT

for tool in dotnet xorriso bsdtar 7zz hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

# The bits the tool package installs on this platform: published for the host's RID, ReadyToRun-compiled
# (src/vdisk/vdisk.csproj; on a RID without a package of its own the portable build is what users get).
rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)
echo "Publishing vdisk (Release, $rid, ReadyToRun)..." >&2
dotnet publish -c Release -r "$rid" --self-contained false "$root/src/vdisk" -o "$bench/vdisk-bin" >/dev/null
vdisk="dotnet $bench/vdisk-bin/vdisk.dll"

make_tree() { # make_tree ROOT DIRS PER: DIRS folders of PER small text files each
    python3 - "$1" "$2" "$3" <<'EOF'
import os, sys
root, dirs, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(dirs):
    p = os.path.join(root, "dir-%04d" % d)
    os.makedirs(p)
    for f in range(per):
        with open(os.path.join(p, "file-%05d.txt" % f), "w") as h:
            h.write("directory %d file %d\n" % (d, f))
EOF
}

# ---- The tree and the ISO (made once) ---------------------------------------------------------------------------
iso="$bench/tree-$files-$dirs.iso"
if [ ! -f "$iso" ]; then
    echo "Making $files files in $dirs directories..." >&2
    tree="$bench/tree"
    rm -rf "$tree"
    per=$((files / dirs))
    make_tree "$tree" "$dirs" "$per"
    xorriso -as mkisofs -quiet -R -J -V FSBENCH -o "$iso" "$tree" 2>/dev/null
    rm -rf "$tree"
fi
echo "ISO: $iso ($(du -h "$iso" | cut -f1))" >&2
cat "$iso" > /dev/null # page cache: every side reads from memory

# Sanity: the same number of entries everywhere, or the comparison is meaningless.
n_vdisk=$($vdisk ls -R "$iso" | wc -l)
n_bsdtar=$(bsdtar -tf "$iso" | grep -cv '^\./\?$')   # bsdtar also lists the root as "."
echo "entries: vdisk $n_vdisk, bsdtar $n_bsdtar (7zz l prints a table)" >&2
[ "$n_vdisk" -eq "$n_bsdtar" ] || { echo "vdisk and bsdtar list different counts" >&2; exit 1; }

echo; echo "## ISO listing ($files files, $dirs directories)"
hyperfine --runs "$runs" --warmup "$warmup" --export-markdown "$out/iso-ls.md" \
    -n "vdisk ls -R" "$vdisk ls -R $iso > /dev/null" \
    -n "bsdtar -tvf" "bsdtar -tvf $iso > /dev/null" \
    -n "7zz l" "7zz l $iso > /dev/null"
cat "$out/iso-ls.md"

x="$out/x"
if [ "${EXTRACT:-1}" != 0 ]; then
echo; echo "## ISO extraction"
hyperfine --runs "$runs" --warmup "$warmup" --export-markdown "$out/iso-x.md" \
    --prepare "rm -rf $x && mkdir -p $x" \
    -n "vdisk extract" "$vdisk extract $iso --output $x > /dev/null" \
    -n "bsdtar -xf" "bsdtar -xf $iso -C $x" \
    -n "7zz x" "7zz x -y -o$x $iso > /dev/null"
cat "$out/iso-x.md"
rm -rf "$x"
fi

peak() { # peak resident set of a command, MiB
    /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }'
}
echo; echo "## Peak memory while listing the ISO (/usr/bin/time -v, maximum resident set)"
echo "| command | MiB |"; echo "|---|---:|"
echo "| vdisk ls -R | $(peak "$vdisk ls -R $iso > /dev/null") |"
echo "| bsdtar -tvf | $(peak "bsdtar -tvf $iso > /dev/null") |"
echo "| 7zz l | $(peak "7zz l $iso > /dev/null") |"

# ---- UDF --------------------------------------------------------------------------------------------------------
if [ "${UDF:-1}" = 0 ]; then exit 0; fi
if ! command -v mkudffs >/dev/null || ! command -v udfclient >/dev/null; then
    echo; echo "UDF variant skipped: mkudffs and udfclient (udftools, udfclient) are needed."; exit 0
fi
udf="$bench/tree-$udf_files-$udf_dirs.udf"
if [ ! -f "$udf" ] && [ "${UDF_MAKER:-udfclient}" = writer ]; then
    # The tests' spec-based UDF writer (tests/…/Udf/UdfTestWriter.cs; udfinfo accepts its Type 1 images).
    echo "Making the UDF image ($udf_files files with the tests' UDF writer)..." >&2
    dotnet run -c Release --project "$root/benchmarks/VirtualDiskManaged.Benchmarks" -- --make-udf "$udf.part" "$udf_files" "$udf_dirs" >/dev/null
    mv "$udf.part" "$udf"
fi
if [ ! -f "$udf" ]; then
    echo "Making the UDF image ($udf_files files via udfclient put; up to ${udf_timeout}s)..." >&2
    utree="$bench/utree"
    rm -rf "$utree"
    make_tree "$utree/bench" "$udf_dirs" "$((udf_files / udf_dirs))"
    rm -f "$udf.part"
    truncate -s 1G "$udf.part"
    mkudffs --media-type=hd --blocksize=2048 --label=UDFBENCH "$udf.part" >/dev/null
    vol=$(printf 'ls\n' | udfclient -b 2048 "$udf.part" 2>/dev/null | grep '^d' | awk '{print $NF}' | head -1)
    if printf 'cd %s\nlcd %s\nput bench\nquit\n' "$vol" "$utree" | timeout "$udf_timeout" udfclient -W -b 2048 "$udf.part" >/dev/null 2>&1; then
        mv "$udf.part" "$udf"
    else
        rm -f "$udf.part"
        echo; echo "UDF variant skipped: udfclient did not write $udf_files files within ${udf_timeout}s."; rm -rf "$utree"; exit 0
    fi
    rm -rf "$utree"
fi
echo "UDF: $udf" >&2
cat "$udf" > /dev/null
n_vdisk=$($vdisk ls -R "$udf" | wc -l)
echo "UDF entries: vdisk $n_vdisk" >&2

echo; echo "## UDF listing ($udf_files files, $udf_dirs directories; libarchive does not read UDF)"
hyperfine --runs "$runs" --warmup "$warmup" --export-markdown "$out/udf-ls.md" \
    -n "vdisk ls -R" "$vdisk ls -R $udf > /dev/null" \
    -n "7zz l" "7zz l $udf > /dev/null"
cat "$out/udf-ls.md"

if [ "${EXTRACT:-1}" != 0 ]; then
echo; echo "## UDF extraction"
hyperfine --runs "$runs" --warmup "$warmup" --export-markdown "$out/udf-x.md" \
    --prepare "rm -rf $x && mkdir -p $x" \
    -n "vdisk extract" "$vdisk extract $udf --output $x > /dev/null" \
    -n "7zz x" "7zz x -y -o$x $udf > /dev/null"
cat "$out/udf-x.md"
rm -rf "$x"
fi

echo; echo "## Peak memory while listing the UDF image"
echo "| command | MiB |"; echo "|---|---:|"
echo "| vdisk ls -R | $(peak "$vdisk ls -R $udf > /dev/null") |"
echo "| 7zz l | $(peak "7zz l $udf > /dev/null") |"
