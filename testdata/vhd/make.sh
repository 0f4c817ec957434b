#!/usr/bin/env bash
# Regenerates the VHD test images with qemu-img/qemu-io and records what independent tools report about them
# (qemu-img info, vhdiinfo, SHA-256 of `qemu-img convert -O raw`) into expected.json.
# Needs: qemu-utils, libvhdi-utils (vhdiinfo), python3, gzip. Run from anywhere: bash testdata/vhd/make.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# name | subformat | size | force_size | qemu-io writes (offset:length:pattern, space separated)
images=(
  "fixed-3M|fixed|3M|off|0:4k:0xA1 1048064:1024:0xA2 3145216:512:0xA3"
  "fixed-odd-force|fixed|3149312|on|0:512:0xB1 3145728:3584:0xB2"
  "dyn-10M|dynamic|10M|off|0:64k:0x11 2096640:1024:0x12 4194304:2M:0x13 8388096:512:0x14"
  "dyn-10M-force|dynamic|10M|on|0:64k:0x21 2096640:1024:0x22 6291456:4194304:0x23"
  "dyn-odd-force|dynamic|5000192|on|0:512:0x31 2097152:512:0x32 4999680:512:0x33"
  "dyn-odd-chs|dynamic|5000192|off|0:512:0x41 4999680:512:0x43"
  "dyn-empty-64M|dynamic|64M|off|"
  "dyn-sectors|dynamic|4M|on|512:512:0x51 1536:1536:0x52 1048576:1:0x53 2097152:4608:0x54"
)

rm -f "$here"/*.vhd.gz
echo "[" > records.json
first=1
for spec in "${images[@]}"; do
  IFS='|' read -r name sub size force writes <<<"$spec"
  f="$name.vhd"
  qemu-img create -q -f vpc -o "subformat=$sub,force_size=$force" "$f" "$size"
  args=()
  for w in $writes; do
    IFS=':' read -r off len pat <<<"$w"
    # a 1-byte write exercises a sub-sector read-modify-write in qemu
    args+=(-c "write -P $pat $off $len")
  done
  if [ ${#args[@]} -gt 0 ]; then qemu-io -f vpc "${args[@]}" "$f" >/dev/null; fi
  info="$(qemu-img info -f vpc --output=json "$f")"
  qemu-img convert -f vpc -O raw "$f" raw.bin
  sha="$(sha256sum raw.bin | cut -d' ' -f1)"
  rawlen="$(stat -c %s raw.bin)"
  vhdi="$(vhdiinfo "$f" 2>&1 || true)"
  filesha="$(sha256sum "$f" | cut -d' ' -f1)"
  [ $first -eq 1 ] || echo "," >> records.json
  first=0
  python3 - "$name" "$sub" "$size" "$force" "$writes" "$sha" "$rawlen" "$filesha" >> records.json <<PY
import json, re, sys
name, sub, size, force, writes, sha, rawlen, filesha = sys.argv[1:9]
info = json.loads('''$info''')
vhdi = '''$vhdi'''
m = re.search(r"Media size\s*:.*\((\d+) bytes\)", vhdi)
ident = re.search(r"Identifier\s*:\s*([0-9a-f-]+)", vhdi)
dtype = re.search(r"Disk type\s*:\s*(\w+)", vhdi)
print(json.dumps({
  "file": name + ".vhd.gz",
  "made_with": f"qemu-img create -f vpc -o subformat={sub},force_size={force} {size}; qemu-io writes: {writes or 'none'}",
  "file_sha256": filesha,
  "qemu_img_info": {"virtual-size": info["virtual-size"], "format": info["format"]},
  "qemu_raw": {"sha256": sha, "length": int(rawlen)},
  "vhdiinfo": {"media_size": int(m.group(1)) if m else None, "identifier": ident.group(1) if ident else None, "disk_type": dtype.group(1) if dtype else None},
}, indent=2))
PY
  gzip -9 -n -c "$f" > "$here/$f.gz"
  rm -f raw.bin
done
echo "]" >> records.json
python3 - records.json > "$here/expected.json" <<'PY'
import json, sys
print(json.dumps({"generated_by": "testdata/vhd/make.sh", "images": json.load(open(sys.argv[1]))}, indent=2))
PY
echo "wrote $(ls "$here"/*.vhd.gz | wc -l) images and expected.json"
