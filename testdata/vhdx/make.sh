#!/usr/bin/env bash
# Regenerates the VHDX test images with qemu-img/qemu-io and records what independent tools report about them
# (qemu-img info --output=json, vhdiinfo, and the SHA-256 of `qemu-img convert -O raw`) in expected.json.
# Usage: testdata/vhdx/make.sh   (needs qemu-utils, libvhdi-utils, python3 for the JSON)
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | size | qemu-img -o options | qemu-io writes (pattern offset length; ...)
images=(
  "dyn-bs1M-bsz-on|16M|subformat=dynamic,block_size=1M,block_state_zero=on|0xAB 0 128k;0xCD 1044480 8192;0x11 1000 3000;0x3C 16711680 65536"
  "dyn-bs1M-bsz-off|16M|subformat=dynamic,block_size=1M,block_state_zero=off|0xAB 0 128k;0xCD 1044480 8192;0x11 1000 3000;0x3C 16711680 65536"
  "dyn-bs32M|40M|subformat=dynamic,block_size=32M|0x21 33550336 8192;0x22 5242880 100;0x23 41938944 4096"
  "dyn-bs32M-bsz-off|40M|subformat=dynamic,block_size=32M,block_state_zero=off|0x21 33550336 8192;0x23 41938944 4096"
  "fixed-bs1M|8M|subformat=fixed,block_size=1M,block_state_zero=off|0x31 0 4096;0x32 2093056 8192;0x33 8384512 4096"
  "fixed-bs32M-bsz-on|6M|subformat=fixed,block_size=32M,block_state_zero=on|0x41 512 1024;0x42 6287360 4096"
  "dyn-odd-size|3147264|subformat=dynamic,block_size=1M|0x51 3145728 1536;0x52 1048064 1024"
)

entries=()
for spec in "${images[@]}"; do
  IFS='|' read -r name size opts writes <<<"$spec"
  img="$work/$name.vhdx"
  qemu-img create -q -f vhdx -o "$opts" "$img" "$size"
  args=()
  IFS=';' read -ra ws <<<"$writes"
  for w in "${ws[@]}"; do args+=(-c "write -P $w"); done
  qemu-io -f vhdx "${args[@]}" "$img" >/dev/null
  qemu-img convert -f vhdx -O raw "$img" "$work/$name.raw"
  sha=$(sha256sum "$work/$name.raw" | cut -d' ' -f1)
  qemu-img info -f vhdx --output=json "$img" > "$work/$name.info.json"
  vhdiinfo "$img" > "$work/$name.vhdiinfo.txt"
  gzip -9 -n -c "$img" > "$name.vhdx.gz"
  entries+=("$name|$size|$opts|$writes|$sha")
done

python3 - "$work" "${entries[@]}" > expected.json <<'PY'
import json, sys
work, specs = sys.argv[1], sys.argv[2:]
out = {"generated_by": "testdata/vhdx/make.sh", "images": []}
for spec in specs:
    name, size, opts, writes, sha = spec.split("|")
    info = json.load(open(f"{work}/{name}.info.json"))
    vhdi = {}
    for line in open(f"{work}/{name}.vhdiinfo.txt"):
        if ":" in line:
            k, v = line.split(":", 1)
            vhdi[k.strip()] = v.strip()
    out["images"].append({
        "file": f"vhdx/{name}.vhdx.gz",
        "qemu_img_create_options": opts,
        "qemu_io_writes": writes.split(";"),
        "qemu_img_info": {k: info.get(k) for k in ("virtual-size", "format", "cluster-size")},
        "vhdiinfo": {k: vhdi.get(k) for k in ("Disk type", "Media size", "Bytes per sector")},
        "raw_sha256": sha,
    })
print(json.dumps(out, indent=2))
PY
echo "wrote $(ls *.vhdx.gz | wc -l) images and expected.json"
