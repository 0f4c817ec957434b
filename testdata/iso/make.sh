#!/usr/bin/env bash
# Generates the ISO/UDF test images of testdata/iso with real tools (xorriso, genisoimage, mkudffs) plus a few
# hand-crafted edge files, stores them gzip-compressed, and records in expected.json what the independent tools
# (isoinfo, xorriso, udfinfo) say about each image and the code CONTRACT §5/§6 requires of a default open.
#
#   testdata/iso/make.sh [OUTDIR]     (default: the folder of this script)
#
# Determinism: xorriso honours SOURCE_DATE_EPOCH and fixed volume dates, and the crafted files are pure functions
# of this script, so their bytes are reproducible ("deterministic": true, compared by SHA-256 — for xorriso only
# when the same xorriso version runs). genisoimage 1.1.11 and mkudffs 2.3 write the current time (and mkudffs a
# random Windows serial number) into their descriptors, so for those ("deterministic": false) the tests compare
# the recorded `isoinfo -d` / `udfinfo` output instead.
set -euo pipefail
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=1700000000
umask 022

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for t in xorriso genisoimage mkudffs isoinfo udfinfo gzip sha256sum openssl; do
  command -v "$t" >/dev/null || { echo "make.sh: $t is required" >&2; exit 2; }
done

# ---- a small file tree with fixed times ----
tree="$work/tree"
mkdir -p "$tree/docs" "$tree/boot"
printf 'VirtualDiskManaged ISO test data\n' > "$tree/README.TXT"
for i in $(seq 1 200); do printf 'line %04d of a text file that spans more than one 2048-byte sector\n' "$i"; done > "$tree/docs/LONG.TXT"
printf 'second file\n' > "$tree/docs/SHORT.TXT"
# A 2048-byte "boot image" for El Torito (content is irrelevant: nobody boots it).
head -c 2048 /dev/zero | tr '\0' '\220' > "$tree/boot/boot.img"
find "$tree" -exec touch -h -d @1700000000 {} +

img="$work/img"
mkdir -p "$img"

# ---- byte helpers for crafted files ----
# put FILE OFFSET BYTES... : writes the hex bytes at OFFSET without truncating.
put() {
  local file=$1 offset=$2; shift 2
  local s="" b
  for b in "$@"; do s+="\\x$b"; done
  printf "$s" | dd of="$file" bs=1 seek="$offset" conv=notrunc status=none
}
# puts FILE OFFSET TEXT : writes ASCII text at OFFSET.
puts() { printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
zeros() { head -c "$2" /dev/zero > "$1"; }

# ---- images made by real tools ----
xorriso -no_rc -outdev "$img/xorriso-rr-joliet.iso" -volid VDM_XORRISO -preparer_id VDM_TESTDATA \
  -joliet on -rockridge on -map "$tree" / \
  -volume_date uuid 2023111422132000 -volume_date all_file_dates set_to_mtime >/dev/null 2>&1

xorriso -no_rc -outdev "$img/xorriso-eltorito.iso" -volid VDM_ELTORITO -preparer_id VDM_TESTDATA \
  -rockridge on -map "$tree" / \
  -boot_image any bin_path=/boot/boot.img -boot_image any emul_type=no_emulation -boot_image any load_size=2048 \
  -volume_date uuid 2023111422132000 -volume_date all_file_dates set_to_mtime >/dev/null 2>&1

genisoimage -quiet -V VDM_GENISO -o "$img/genisoimage-plain.iso" "$tree"
genisoimage -quiet -udf -V VDM_BRIDGE -o "$img/genisoimage-udf-bridge.iso" "$tree"

mkudffs --label=VDMUDF201 --uuid=0123456789abcdef --blocksize=2048 --media-type=hd --udfrev=2.01 \
  --new-file "$img/mkudffs-udf201.iso" 300 >/dev/null
mkudffs --label=VDMUDF150 --uuid=0123456789abcdef --blocksize=2048 --media-type=hd --udfrev=1.50 \
  --new-file "$img/mkudffs-udf150.iso" 300 >/dev/null

# ---- crafted edge files ----
# A minimal ISO 9660 primary volume descriptor (ECMA-119 §8.4): type 1, "CD001", version 1, at byte 32,768.
pvd_at() { put "$1" "$2" 01; puts "$1" $(( $2 + 1 )) CD001; put "$1" $(( $2 + 6 )) 01; puts "$1" $(( $2 + 40 )) VDM_EDGE; }

zeros "$img/edge-34816-pvd.iso" 34816          # exactly the minimum: system area + one descriptor
pvd_at "$img/edge-34816-pvd.iso" 32768

zeros "$img/edge-34815.iso" 34815              # one byte short of the minimum (and not a multiple of 2048)
pvd_at "$img/edge-34815.iso" 32768

zeros "$img/edge-32768-zeros.iso" 32768        # a multiple of 2048, but smaller than 34,816

zeros "$img/edge-no-descriptor.iso" 36864      # big enough, multiple of 2048, nothing at 32,768

cp "$img/xorriso-rr-joliet.iso" "$img/edge-size-plus-100.iso"   # a valid ISO plus 100 bytes
head -c 100 /dev/zero >> "$img/edge-size-plus-100.iso"

# High Sierra (formats.md §C.3): 0 volume descriptor LBN (both-endian u32), 8 type, 9-13 "CDROM", 14 version;
# PVD: 48 volume id, 88 volume space size (733), 120 volume set size (723), 124 sequence number (723),
# 136 logical block size (723). A set terminator (type 255) follows in sector 17.
hs="$img/edge-highsierra.iso"
zeros "$hs" 36864
put "$hs" 32768 10 00 00 00 00 00 00 10
put "$hs" 32776 01; puts "$hs" 32777 CDROM; put "$hs" 32782 01
puts "$hs" 32816 VDM_HIGH_SIERRA
put "$hs" 32856 12 00 00 00 00 00 00 12
put "$hs" 32888 01 00 00 01
put "$hs" 32892 01 00 00 01
put "$hs" 32904 00 08 08 00
put "$hs" 34816 11 00 00 00 00 00 00 11
put "$hs" 34824 ff; puts "$hs" 34825 CDROM; put "$hs" 34830 01

# Pseudo-random bytes (AES-CTR keystream of a fixed key: reproducible everywhere), a multiple of 2048 long.
head -c 65536 /dev/zero | openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
  -iv 00000000000000000000000000000000 > "$img/edge-random.iso"

# ---- the expected results: name|made by|deterministic|expected code|expected reason|why ----
manifest=(
  "xorriso-rr-joliet.iso|xorriso native, Rock Ridge + Joliet|xorriso|0|None|ISO 9660: CD001 at 32,768"
  "xorriso-eltorito.iso|xorriso native, Rock Ridge, El Torito no-emulation boot image|xorriso|0|None|boot record (CD001, type 0) at 32,768"
  "genisoimage-plain.iso|genisoimage, ISO 9660 only|no|0|None|ISO 9660: CD001 at 32,768"
  "genisoimage-udf-bridge.iso|genisoimage -udf: ISO 9660 + UDF bridge|no|0|None|CD001 first, then BEA01 NSR02 TEA01"
  "mkudffs-udf201.iso|mkudffs UDF 2.01 only (hd, 2048-byte blocks)|no|0|None|UDF-only VRS: BEA01 at 32,768, then NSR03"
  "mkudffs-udf150.iso|mkudffs UDF 1.50 only (hd, 2048-byte blocks)|no|0|None|UDF-only VRS: BEA01 at 32,768, then NSR02"
  "edge-34816-pvd.iso|crafted: 32,768 zero bytes + one PVD|yes|0|None|exactly 34,816 bytes is the minimum"
  "edge-34815.iso|crafted: the first 34,815 bytes of edge-34816-pvd.iso|yes|1392|IsoSizeNotMultipleOf2048|34,815 is not a multiple of 2048 (and below the minimum)"
  "edge-32768-zeros.iso|crafted: 32,768 zero bytes|yes|1392|IsoTooSmall|a multiple of 2048 but less than 34,816"
  "edge-no-descriptor.iso|crafted: 36,864 zero bytes|yes|1392|IsoNoVolumeDescriptor|no identifier at 32,768"
  "edge-size-plus-100.iso|xorriso-rr-joliet.iso + 100 zero bytes|xorriso|1392|IsoSizeNotMultipleOf2048|size not a multiple of 2048"
  "edge-highsierra.iso|crafted High Sierra PVD + terminator (formats.md §C.3)|yes|0|None|CDROM at bytes 9-13 of the descriptor at 32,768"
  "edge-random.iso|crafted: 65,536 pseudo-random bytes|yes|1392|IsoNoVolumeDescriptor|no identifier at 32,768"
)

json_str() { # escapes a string for JSON (tool output here is ASCII)
  local s=${1//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\r'/}; printf '"%s"' "$s"
}
json_lines() { # a JSON array of the lines of stdin
  local first=1 line; printf '['
  while IFS= read -r line; do [ $first = 1 ] || printf ', '; first=0; json_str "$line"; done
  printf ']'
}

xorriso_version=$(xorriso -version 2>/dev/null | head -1)
{
  printf '{\n'
  printf '  "generated_by": "testdata/iso/make.sh",\n'
  printf '  "tool_versions": {"xorriso": %s, "genisoimage": %s, "mkudffs": %s, "isoinfo": %s, "udfinfo": %s},\n' \
    "$(json_str "$xorriso_version")" \
    "$(json_str "$(genisoimage -version 2>&1 | head -1)")" \
    "$(json_str "$(mkudffs --help 2>&1 | head -1)")" \
    "$(json_str "$(isoinfo -version 2>&1 | head -1)")" \
    "$(json_str "$(udfinfo --help 2>&1 | head -1)")"
  printf '  "expected_with": "default arguments: UNKNOWN type and vendor, ATTACH_RO|GET_INFO, no flags, no parameters, Documented rules; the image named as listed (without .gz)",\n'
  printf '  "images": [\n'
  n=0
  for entry in "${manifest[@]}"; do
    IFS='|' read -r name made det code reason why <<< "$entry"
    f="$img/$name"
    set +e
    iso_out=$(isoinfo -d -i "$f" 2>&1); iso_rc=$?
    # Volatile udfinfo lines: the file name, mkudffs' random serial, genisoimage's time-based UDF uuid.
    volatile=(-e '^filename=' -e '^winserialnum=' -e "$work")
    case $name in genisoimage-*) volatile+=(-e '^uuid=' -e '^fullvsid=') ;; esac
    udf_out=$(udfinfo "$f" 2>&1 | grep -v "${volatile[@]}")
    udf_rc=$(udfinfo "$f" >/dev/null 2>&1; echo $?)
    pvd_out=$(xorriso -no_rc -indev "$f" -pvd_info 2>/dev/null | grep -v -e '^Drive current' -e 'Time *:'); pvd_rc=$?
    set -e
    sha=$(sha256sum "$f" | cut -d' ' -f1)
    size=$(stat -c %s "$f")
    [ $n = 0 ] || printf ',\n'
    n=$((n + 1))
    printf '    {\n'
    printf '      "file": %s,\n' "$(json_str "$name.gz")"
    printf '      "made_by": %s,\n' "$(json_str "$made")"
    printf '      "deterministic": %s,\n' "$(json_str "$det")"
    printf '      "size": %s,\n' "$size"
    printf '      "sha256": %s,\n' "$(json_str "$sha")"
    printf '      "expected_code": %s,\n' "$(json_str "$code")"
    printf '      "expected_reason": %s,\n' "$(json_str "$reason")"
    printf '      "why": %s,\n' "$(json_str "$why")"
    printf '      "isoinfo_d": {"rc": %s, "output": %s},\n' "$iso_rc" "$(printf '%s\n' "$iso_out" | json_lines)"
    printf '      "udfinfo": {"rc": %s, "output": %s},\n' "$udf_rc" "$(printf '%s\n' "$udf_out" | json_lines)"
    printf '      "xorriso_pvd_info": %s\n' "$(printf '%s\n' "$pvd_out" | json_lines)"
    printf '    }'
  done
  printf '\n  ]\n}\n'
} > "$work/expected.json"

for entry in "${manifest[@]}"; do
  name=${entry%%|*}
  gzip -n -9 -c "$img/$name" > "$out/$name.gz"
done
cp "$work/expected.json" "$out/expected.json"
echo "make.sh: ${#manifest[@]} images and expected.json written to $out"
