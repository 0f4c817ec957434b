#!/usr/bin/env bash
# Regenerates the VHDX images with a pending log and records what qemu-img makes of them in expected.json.
# The images come from the project's test writer (tests/VirtualDiskManaged.Tests/Vhdx/VhdxWriter.cs, which writes
# the structures from MS-VHDX): qemu-img cannot be made to leave a log pending. The expected content is qemu's:
# a copy is repaired with `qemu-img check -r all` (which replays the log), then `qemu-img convert -O raw` of the
# copy is hashed. qemu-img info on the original is recorded too (qemu refuses a read-only open of a dirty log).
# Usage: testdata/vhdx-log/make.sh   (needs the .NET SDK, qemu-utils, python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet test "$root/tests/VirtualDiskManaged.Tests" --filter "Name=WriteDirtyLogTestdata" >/dev/null

entries=()
for gz in "$here"/*.vhdx.gz; do
  name=$(basename "$gz" .vhdx.gz)
  gunzip -c "$gz" > "$work/$name.vhdx"
  set +e
  qemu-img info -f vhdx "$work/$name.vhdx" > "$work/$name.info-original.txt" 2>&1
  set -e
  cp "$work/$name.vhdx" "$work/$name.copy.vhdx"
  qemu-img check -r all -f vhdx "$work/$name.copy.vhdx" > "$work/$name.check.txt" 2>&1
  qemu-img info -f vhdx --output=json "$work/$name.copy.vhdx" > "$work/$name.info.json"
  qemu-img convert -f vhdx -O raw "$work/$name.copy.vhdx" "$work/$name.raw"
  sha=$(sha256sum "$work/$name.raw" | cut -d' ' -f1)
  entries+=("$name|$sha")
done

python3 - "$work" "$(qemu-img --version | head -1)" "${entries[@]}" > "$here/expected.json" <<'PY'
import json, sys
work, qemu, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
out = {"generated_by": "testdata/vhdx-log/make.sh", "qemu": qemu, "images": []}
for spec in specs:
    name, sha = spec.split("|")
    info = json.load(open(f"{work}/{name}.info.json"))
    out["images"].append({
        "file": f"vhdx-log/{name}.vhdx.gz",
        "made_by": "VhdxWriter (tests/VirtualDiskManaged.Tests/Vhdx/VhdxDirtyLogTestdataTests.cs, WriteDirtyLogTestdata)",
        "expected_code": 0,
        "qemu_img_info_original": open(f"{work}/{name}.info-original.txt").read().strip().replace(work + "/", ""),
        "qemu_img_check_repair": open(f"{work}/{name}.check.txt").read().strip(),
        "qemu_img_info_after_replay": {k: info.get(k) for k in ("virtual-size", "format", "cluster-size")},
        "raw_sha256_after_qemu_replay": sha,
    })
print(json.dumps(out, indent=2))
PY
echo "wrote $(ls "$here"/*.vhdx.gz | wc -l) images and expected.json"
