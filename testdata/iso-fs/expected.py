"""expected.json for testdata/iso-fs: what INDEPENDENT readers report for each image — bsdtar (libarchive), 7-Zip
and xorriso's osirrox. For each tool: the paths its listing prints, and for each path what its extraction wrote
(type, size, SHA-256, link target) — read back with lstat, so a tool's extraction is its own word on names and
bytes. Where the tools disagree, "agree" holds only the paths on which they all say the same. Usage:
expected.py OUT_DIR CHECKISOMD5_OUTPUT > expected.json"""
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile


def problems(stderr):
    """The lines of a tool's stderr that report a problem (xorriso also prints banners and notes there)."""
    text = re.sub(r"/tmp/tmp[A-Za-z0-9_]+", "OUT", stderr.decode("utf-8", "replace"))
    keep = [l for l in text.splitlines() if re.search(r"ERROR|WARNING|FAILURE|SORRY|Can't|Cannot|Dangerous|refus|Path contains", l)]
    return "\n".join(keep)[:2000]


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def version(args):
    p = run(args)
    return (p.stdout or p.stderr).decode("utf-8", "replace").strip().splitlines()[0]


def walk(root):
    """path -> {type, size, sha256, target} of what an extraction wrote (lstat, links not followed)."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(folder, name)
            rel = "/" + os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                entries[rel] = {"type": "symlink", "size": None, "sha256": None, "target": os.readlink(full)}
            elif stat.S_ISDIR(st.st_mode):
                entries[rel] = {"type": "directory", "size": None, "sha256": None, "target": None}
            else:
                h = hashlib.sha256(open(full, "rb").read()).hexdigest()
                entries[rel] = {"type": "file", "size": st.st_size, "sha256": h, "target": None,
                                "mtime": int(st.st_mtime)}
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
    return entries


def bsdtar(iso):
    listed = run(["bsdtar", "-tf", iso]).stdout.decode("utf-8", "surrogateescape").splitlines()
    listed = sorted({"/" + p.rstrip("/") for p in listed if p not in ("", ".", "./")})
    d = tempfile.mkdtemp()
    p = run(["bsdtar", "-xf", iso, "-C", d])
    entries = walk(d)
    shutil.rmtree(d)
    return {"listed": listed, "entries": entries, "exit": p.returncode,
            "stderr": problems(p.stderr)}


def sevenzip(iso):
    out = run(["7zz", "l", "-slt", "-sccUTF-8", iso]).stdout.decode("utf-8", "surrogateescape")
    listed = []
    for block in out.split("\n\n"):
        m = re.search(r"^Path = (.*)$", block, re.M)
        if m and "Folder = " in block:
            listed.append("/" + m.group(1))
    d = tempfile.mkdtemp()
    p = run(["7zz", "x", "-y", "-snl", "-sccUTF-8", "-o" + d, iso])
    entries = walk(d)
    shutil.rmtree(d)
    return {"listed": sorted(set(listed)), "entries": entries, "exit": p.returncode,
            "stderr": problems(p.stderr)}


def osirrox(iso):
    p = run(["xorriso", "-abort_on", "NEVER", "-indev", iso, "-find", "/", "-exec", "lsdl"])
    listed = []
    for line in p.stdout.decode("utf-8", "surrogateescape").splitlines():
        # lsdl: 'drwxr-xr-x    1 0        0              0 Nov 14 22:13 '/path'' (quoted, -> 'target' for links)
        m = re.search(r" '(.*?)'(?: -> '.*')?$", line)
        if m and m.group(1) != "/":
            listed.append(m.group(1).replace("'\"'\"'", "'"))
    d = tempfile.mkdtemp()
    os.rmdir(d)
    x = run(["xorriso", "-abort_on", "NEVER", "-osirrox", "on", "-indev", iso, "-extract", "/", d])
    entries = walk(d) if os.path.isdir(d) else {}
    shutil.rmtree(d, ignore_errors=True)
    return {"listed": sorted(set(listed)), "entries": entries, "exit": x.returncode,
            "stderr": problems(x.stderr)}


def el_torito(iso):
    p = run(["xorriso", "-indev", iso, "-report_el_torito", "plain"])
    return [l for l in p.stdout.decode("utf-8", "replace").splitlines() if l.startswith("El Torito")]


def main(out, md5_report):
    result = {
        "generator": "testdata/iso-fs/make.sh",
        "tools": {
            "bsdtar": version(["bsdtar", "--version"]),
            "7zz": run(["7zz"]).stdout.decode().strip().splitlines()[0],
            "xorriso": version(["xorriso", "-version"]),
        },
        "images": {},
    }
    for name in sorted(os.listdir(out)):
        if not name.endswith(".iso"):
            continue
        iso = os.path.join(out, name)
        tools = {"bsdtar": bsdtar(iso), "7zz": sevenzip(iso), "osirrox": osirrox(iso)}
        image = {"size": os.path.getsize(iso), "sha256": hashlib.sha256(open(iso, "rb").read()).hexdigest(),
                 "tools": tools, "elTorito": el_torito(iso)}
        if name == "xorriso-bios-uefi.iso":
            image["checkisomd5"] = open(md5_report).read().strip().splitlines()[-1]
        result["images"][name + ".gz"] = image
    text = json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False)
    # One line per entry object (innermost objects have no nested braces): small diffs, a readable file.
    text = re.sub(r"\{\n\s*([^{}\[\]]*?)\n\s*\}", lambda m: "{" + re.sub(r",\n\s*", ", ", m.group(1)) + "}", text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
