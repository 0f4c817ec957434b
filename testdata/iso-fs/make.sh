#!/usr/bin/env bash
# testdata/iso-fs: ISO 9660 images whose trees hold what file-system readers get wrong, and expected.json with
# the listings and per-file SHA-256 that INDEPENDENT readers report (bsdtar/libarchive, 7-Zip, xorriso's osirrox).
# Nothing here comes from VirtualDiskManaged. Run from anywhere: bash testdata/iso-fs/make.sh
# Needs: xorriso genisoimage implantisomd5 checkisomd5 mkfs.vfat mmd mcopy bsdtar 7zz gzip, and pycdlib for
# /usr/bin/python3 (Debian: xorriso genisoimage isomd5sum dosfstools mtools libarchive-tools 7zip python3-pycdlib).
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC SOURCE_DATE_EPOCH=1700000000
here="$(cd "$(dirname "$0")" && pwd)"
py=/usr/bin/python3
for t in xorriso genisoimage implantisomd5 checkisomd5 mkfs.vfat mmd mcopy bsdtar 7zz gzip; do
  command -v "$t" >/dev/null || { echo "make.sh: $t is missing" >&2; exit 1; }
done
$py -c 'import pycdlib' || { echo "make.sh: pycdlib is missing for $py" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/iso-fs.XXXXXX")"
trap 'rm -rf "$work"' EXIT
out="$work/out"; mkdir -p "$out"
stamp=202311142213.20   # SOURCE_DATE_EPOCH as touch -t

# ---- The tree: what readers get wrong -------------------------------------------------------------------------
src="$work/tree"
mkdir -p "$src"
( cd "$src"
  printf 'hello, iso\n' > hello.txt
  : > empty.txt                                              # empty file (extent 0 / length 0)
  printf 'unicode\n' > 'ünïcødé-名前-✓.txt'                   # non-ASCII: RR UTF-8, Joliet UCS-2
  printf 'greek\n' > 'Ελληνικά.txt'
  printf 'spaces\n' > 'a name with spaces.txt'
  long=$(printf 'long-name-%.0s' $(seq 1 9))x.txt            # 91 chars: over Joliet's 64, so Joliet truncates
  printf 'long\n' > "$long"
  mkdir -p d1/d2/d3/d4/d5/d6/d7/d8/d9/d10                      # deeper than 8: Rock Ridge relocation (CL/PL/RE)
  printf 'deep\n' > d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/deep.txt
  printf 'level8\n' > d1/d2/d3/d4/d5/d6/d7/d8/eight.txt
  mkdir bigdir                                                 # 300 long names: a directory of many sectors
  for i in $(seq -w 1 300); do printf '%s\n' "$i" > "bigdir/file-with-a-longer-name-number-$i.dat"; done
  ln -s hello.txt link-to-hello                                # symlinks: relative, absolute, dangling, to a dir
  ln -s /etc/hostname link-absolute
  ln -s does/not/exist link-dangling
  ln -s d1/d2 link-to-dir
  printf 'shared content\n' > hard-a                           # hard links (RR PX links = 2, one extent)
  ln hard-a hard-b
  $py -c 'import random,sys; r=random.Random(14); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(48000)))' > random.bin
  $py -c 'import sys; sys.stdout.write("".join("line %06d of a compressible file\n" % i for i in range(8000)))' > compressible.txt
  chmod 0755 hello.txt; chmod 0600 empty.txt
)
find "$src" -exec touch -h -t "$stamp" {} +
touch -h -t 202001020304.05 "$src/hello.txt" "$src/d1"

# BIOS boot image (no emulation, 4 sectors) and a small FAT EFI system partition image for UEFI El Torito.
boot="$work/boot"; mkdir -p "$boot"
cp -a "$src/." "$boot/"
mkdir -p "$boot/boot"
$py -c 'import sys; b=bytearray(2048); b[0:2]=b"\xeb\xfe"; b[510:512]=b"\x55\xaa"; sys.stdout.buffer.write(bytes(b))' > "$boot/boot/bios.img"
mkfs.vfat -C -i 1234ABCD -n EFIBOOT "$boot/boot/efi.img" 1440 >/dev/null
printf 'not really an EFI program\n' > "$work/BOOTX64.EFI"
mmd -i "$boot/boot/efi.img" ::/EFI ::/EFI/BOOT
mcopy -i "$boot/boot/efi.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
find "$boot" -exec touch -h -t "$stamp" {} +

# ---- The images -------------------------------------------------------------------------------------------------
# 1. xorriso (mkisofs emulation): Rock Ridge + Joliet (Joliet names cut at 64 characters).
xorriso -as mkisofs -quiet -R -J -V XORRISO_RR_JOLIET -o "$out/xorriso-rr-joliet.iso" "$src"
# 2. genisoimage: Rock Ridge + Joliet with long Joliet names, deep directories relocated to rr_moved.
genisoimage -quiet -R -J -joliet-long -V GENISO_RR_JOLIET -o "$out/genisoimage-rr-joliet.iso" "$src" 2>/dev/null
# 3. plain ISO 9660 level 1 (8.3 upper-case names, ';1' versions, no Rock Ridge, no Joliet); symlinks left out.
genisoimage -quiet -V PLAIN_L1 -o "$out/genisoimage-plain-l1.iso" -m 'link-*' "$src" 2>/dev/null
# 4. zisofs: xorriso compresses the files (RRIP ZF, 'pz'); readers must inflate them.
xorriso -report_about WARNING -outdev "$out/xorriso-zisofs.iso" -volid ZISOFS -joliet on -map "$src" / \
  -set_filter_r --zisofs / -- -commit >/dev/null 2>&1
# 5. multisession: a second session adds /session2.txt, replaces hello.txt and removes empty.txt.
xorriso -report_about WARNING -dev "$out/xorriso-multisession.iso" -volid SESSION1 -joliet on -map "$src/hello.txt" /hello.txt \
  -map "$src/empty.txt" /empty.txt -map "$src/d1" /d1 -commit >/dev/null 2>&1
printf 'second session\n' > "$work/session2.txt"; printf 'hello again\n' > "$work/hello2.txt"
touch -t "$stamp" "$work/session2.txt" "$work/hello2.txt"
xorriso -report_about WARNING -dev "$out/xorriso-multisession.iso" -volid SESSION2 -joliet on -map "$work/session2.txt" /session2.txt \
  -map "$work/hello2.txt" /hello.txt -rm /empty.txt -- -commit >/dev/null 2>&1
# 6. El Torito for BIOS (no emulation, boot info table) and UEFI (FAT image), Rock Ridge + Joliet, MD5 implanted.
xorriso -as mkisofs -quiet -R -J -V BOOT_BIOS_UEFI -c boot/boot.cat \
  -b boot/bios.img -no-emul-boot -boot-load-size 4 -boot-info-table \
  -eltorito-alt-boot -e boot/efi.img -no-emul-boot -o "$out/xorriso-bios-uefi.iso" "$boot"
implantisomd5 --force "$out/xorriso-bios-uefi.iso" >/dev/null
checkisomd5 --verbose "$out/xorriso-bios-uefi.iso" >"$work/checkisomd5.txt" 2>&1 || { cat "$work/checkisomd5.txt" >&2; exit 1; }
# 7. pycdlib: ISO 9660 level 3 + Joliet + Rock Ridge 1.09 written by another library; a hidden file.
$py "$here/pycdlib-image.py" "$out/pycdlib-rr-joliet.iso"
# 8. crafted (bytes patched into a pycdlib image): names that would leave the target folder, and a symlink
#    followed by a directory of the same name. Independent readers' views are recorded as they are.
$py "$here/craft-unsafe.py" "$out/crafted-unsafe-names.iso" "$out/crafted-link-then-dir.iso"

# ---- What independent readers say -------------------------------------------------------------------------------
$py "$here/expected.py" "$out" "$work/checkisomd5.txt" > "$work/expected.json"

# ---- Into the repository ----------------------------------------------------------------------------------------
rm -f "$here"/*.iso.gz
for f in "$out"/*.iso; do gzip -9 -n -c "$f" > "$here/$(basename "$f").gz"; done
cp "$work/expected.json" "$here/expected.json"
du -ch "$here"/*.gz | tail -1
