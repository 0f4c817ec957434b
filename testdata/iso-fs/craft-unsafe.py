"""Crafted images for extraction safety, made by patching bytes of pycdlib images (ECMA-119 §9.1 directory
records, IEEE P1282 §4.1.4 NM, Joliet UCS-2 identifiers). No writer makes these names; readers must not let them
leave the target folder. Usage: craft-unsafe.py UNSAFE_NAMES.iso LINK_THEN_DIR.iso"""
import io
import sys

import time

import pycdlib

# Reproducible dates: pycdlib stamps descriptors and records with the current time.
time.time = lambda: 1700000000.0


def patch_nm(data, old, new):
    """Replaces the name of every Rock Ridge NM entry whose name is exactly `old` (same length)."""
    assert len(old) == len(new)
    count = 0
    needle = b"NM" + bytes([5 + len(old), 1, 0]) + old
    at = data.find(needle)
    while at >= 0:
        data[at + 5:at + 5 + len(old)] = new
        count += 1
        at = data.find(needle, at + 1)
    return count


def patch_joliet(data, old, new):
    """Replaces every UCS-2 (big-endian) identifier `old` preceded by its length byte (ECMA-119 §9.1.10)."""
    o, n = old.encode("utf-16-be"), new.encode("utf-16-be")
    assert len(o) == len(n)
    count = 0
    needle = bytes([len(o)]) + o
    at = data.find(needle)
    while at >= 0:
        data[at + 1:at + 1 + len(o)] = n
        count += 1
        at = data.find(needle, at + 1)
    return count


def unsafe_names(path):
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="UNSAFE")
    files = [
        ("/DOTDOT.;1", "qq", b"dot-dot: would be TARGET/..\n"),
        ("/SLASH.;1", "sl_sh", b"slash inside a name\n"),
        ("/NUL.;1", "nul_name", b"NUL inside a name\n"),
        ("/DOT.;1", "q", b"a name that is a single dot\n"),
        ("/SAFE.TXT;1", "safe.txt", b"this one is fine\n"),
    ]
    for iso_path, rr, content in files:
        iso.add_fp(io.BytesIO(content), len(content), iso_path, rr_name=rr, joliet_path="/" + rr)
    buf = io.BytesIO()
    iso.write_fp(buf)
    iso.close()
    data = bytearray(buf.getvalue())
    for old, new in [(b"qq", b".."), (b"sl_sh", b"sl/sh"), (b"nul_name", b"nul\0name"), (b"q", b".")]:
        assert patch_nm(data, old, new) == 1, old
        assert patch_joliet(data, old.decode(), new.decode()) == 1, old
    open(path, "wb").write(data)


def link_then_dir(path):
    """A symlink 'zzzzzz' -> '../outside' recorded before a directory 'zzzzzz' holding a file: a reader that follows
    the link while writing the directory's file writes outside the target folder."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, rock_ridge="1.09", vol_ident="LINKDIR")
    iso.add_symlink("/AAAAAA.;1", "aaaaaa", "../outside")
    iso.add_directory("/ZZZZZZ", rr_name="zzzzzz")
    content = b"written through the link?\n"
    iso.add_fp(io.BytesIO(content), len(content), "/ZZZZZZ/PWNED.TXT;1", rr_name="pwned.txt")
    buf = io.BytesIO()
    iso.write_fp(buf)
    iso.close()
    data = bytearray(buf.getvalue())
    assert patch_nm(data, b"aaaaaa", b"zzzzzz") == 1
    open(path, "wb").write(data)


if __name__ == "__main__":
    unsafe_names(sys.argv[1])
    link_then_dir(sys.argv[2])
