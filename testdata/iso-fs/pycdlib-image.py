"""An ISO 9660 level 3 + Joliet level 3 + Rock Ridge 1.09 image written by pycdlib (another writer than xorriso and
genisoimage): files, a directory, a symlink, an empty file and a hidden file. Usage: pycdlib-image.py OUT.iso"""
import io
import sys

import time

import pycdlib

# Reproducible dates: pycdlib stamps descriptors and records with the current time.
time.time = lambda: 1700000000.0


def main(path):
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="PYCDLIB")
    def add(data, iso_path, rr, joliet):
        iso.add_fp(io.BytesIO(data), len(data), iso_path, rr_name=rr, joliet_path=joliet)
    iso.add_directory("/DOCS", rr_name="docs", joliet_path="/docs")
    add(b"read me\n", "/README.TXT;1", "README.txt", "/README.txt")
    add(b"", "/EMPTY.;1", "empty", "/empty")
    add(b"x" * 5000, "/DOCS/BIG.BIN;1", "big.bin", "/docs/big.bin")
    add(b"hidden\n", "/HIDDEN.TXT;1", "hidden.txt", "/hidden.txt")
    iso.set_hidden(iso_path="/HIDDEN.TXT;1")
    iso.add_symlink("/LINK.;1", "link", "docs/big.bin")
    iso.write(path)
    iso.close()


if __name__ == "__main__":
    main(sys.argv[1])
