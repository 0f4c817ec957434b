#!/usr/bin/env python3
"""Turns one BenchmarkDotNet run (BenchmarkDotNet.Artifacts/results/*-report.csv) into the README's tables:
every ratio against its same-run baseline, allocations, and each target of issue 6 marked met / not met.

    python3 benchmarks/summarize.py [RESULTS_DIR]   (default: BenchmarkDotNet.Artifacts/results)
"""
import csv
import glob
import os
import re
import sys

RESULTS = sys.argv[1] if len(sys.argv) > 1 else "BenchmarkDotNet.Artifacts/results"
UNITS = {"ns": 1.0, "us": 1e3, "μs": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
BYTES = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def load(name):
    path = os.path.join(RESULTS, f"VirtualDiskManaged.Benchmarks.{name}-report.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def ns(text):
    """'1,234.5 ns' / '3.2 μs' -> nanoseconds (None for NA)."""
    m = re.match(r"^\s*([\d,\.]+)\s*(\S+)\s*$", text or "")
    if not m:
        return None
    return float(m.group(1).replace(",", "")) * UNITS[m.group(2)]


def size(text):
    """'0 B' / '1.5 KB' / '-' -> bytes."""
    if text is None or text.strip() in ("-", "", "NA"):
        return 0
    m = re.match(r"^\s*([\d,\.]+)\s*(\S+)\s*$", text)
    return float(m.group(1).replace(",", "")) * BYTES[m.group(2)] if m else 0


def fmt_time(v):
    if v is None:
        return "n/a"
    if v < 1e3:
        return f"{v:.1f} ns"
    if v < 1e6:
        return f"{v / 1e3:.2f} µs"
    return f"{v / 1e6:.2f} ms"


def fmt_bytes(b):
    if b == 0:
        return "0 B"
    if b < 1024:
        return f"{b:.0f} B"
    return f"{b / 1024:.1f} KiB"


def mark(ok):
    return "met" if ok else "**not met**"


targets = []  # (target, measured, met)
out = []


def table(header, rows):
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join("---" for _ in header) + "|")
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    out.append("")


# ---- Header parsing ----
out.append("### Header parsing (in-memory bytes)\n")
rows = []
for cls, base, limit, label in [
    ("VhdFooterParseBenchmarks", "ByteSum", 50, "VHD footer parse+validate"),
    ("VhdDynamicHeaderParseBenchmarks", "ByteSum", 100, "VHD dynamic header parse+validate"),
    ("VhdxHeaderSetParseBenchmarks", "Crc32CFloor", None, "VHDX header set"),
    ("IsoDescriptorBenchmarks", "CompareIdentifier", None, "ISO descriptor check"),
]:
    data = load(cls)
    if not data:
        continue
    b = next(r for r in data if r["Method"] == base)
    p = next(r for r in data if r["Method"] != base)
    t, bt, alloc = ns(p["Mean"]), ns(b["Mean"]), size(p["Allocated"])
    ratio = f"{t / bt:.2f}" if bt else "— (baseline below timer resolution)"
    rows.append([label, fmt_time(t), f"{base} {fmt_time(bt)}", ratio, fmt_bytes(alloc)])
    if limit is not None:
        targets.append((f"{label} ≤ {limit} ns, 0 B", f"{fmt_time(t)}, {fmt_bytes(alloc)}", t <= limit and alloc == 0))
    if cls == "VhdxHeaderSetParseBenchmarks":
        targets.append(("VHDX header set parse ≤ 1.3× its CRC-32C floor", f"{t / bt:.2f}×", t / bt <= 1.3))
table(["What", "Mean", "Baseline", "Ratio", "Allocated"], rows)

# ---- CRC-32C ----
data = load("Crc32CBenchmarks")
if data:
    out.append("### CRC-32C throughput\n")
    rows = []
    worst = None
    for length in sorted({int(r["Length"]) for r in data}):
        plain = next(r for r in data if r["Method"] == "PlainLoop" and int(r["Length"]) == length)
        lib = next(r for r in data if r["Method"] == "Library" and int(r["Length"]) == length)
        tp, tl = ns(plain["Mean"]), ns(lib["Mean"])
        speedup = tp / tl
        rows.append([f"{length:,} B", fmt_time(tp), f"{length / tp:.2f} B/ns", fmt_time(tl), f"{length / tl:.2f} B/ns", f"{speedup:.2f}×"])
        if length >= 65536:
            worst = speedup if worst is None else min(worst, speedup)
    table(["Length", "Plain loop (baseline)", "", "Library", "", "Speed-up"], rows)
    if worst is not None:
        targets.append(("CRC-32C ≥ 2.5× the plain loop (64 KiB and up)", f"{worst:.2f}× (worst)", worst >= 2.5))

# ---- Open ----
data = load("OpenBenchmarks")
if data:
    out.append("### Open (page cache; open + size + dispose)\n")
    rows = []
    kinds = []
    for r in data:
        if r["Kind"] not in kinds:
            kinds.append(r["Kind"])
    by = {(r["Kind"], r["Size"], r["Method"]): r for r in data}
    open_ratio_ok, alloc_ok, peer_ok, scale_ok = [], [], [], []
    for kind in kinds:
        for sz in ("Small", "Large"):
            floor, ours, peer = by.get((kind, sz, "RawFloor")), by.get((kind, sz, "Open")), by.get((kind, sz, "Libvhdi"))
            if not floor or not ours:
                continue
            tf, to = ns(floor["Mean"]), ns(ours["Mean"])
            alloc = size(ours["Allocated"])
            tp = ns(peer["Mean"]) if peer else None
            ratio = to / tf
            budget = 16 * 1024 if kind.startswith("Vhd") and not kind.startswith("Vhdx") else 64 * 1024 if kind.startswith("Vhdx") else None
            open_ratio_ok.append((f"{kind} {sz}", ratio))
            if budget:
                alloc_ok.append((f"{kind} {sz}", alloc, budget))
            if tp:
                peer_ok.append((f"{kind} {sz}", to, tp))
            scale = ""
            if sz == "Large" and by.get((kind, "Small", "Open")):
                s = to / ns(by[(kind, "Small", "Open")]["Mean"])
                scale = f"{s:.2f}×"
                scale_ok.append((kind, s))
            label = {"Small": "1 GiB", "Large": "15 TiB" if kind == "VhdxFixed" else "64 TiB" if kind.startswith("Vhdx") else "2040 GiB"}[sz]
            rows.append([kind, label, fmt_time(tf), fmt_time(to), f"{ratio:.2f}", fmt_bytes(alloc),
                         fmt_time(tp) if tp else "—", f"{to / tp:.2f}" if tp else "—", scale])
    table(["Kind", "Virtual size", "Raw floor (baseline)", "Open", "Ratio", "Allocated", "libvhdi", "Open / libvhdi", "Large / 1 GiB"], rows)
    worst = max(open_ratio_ok, key=lambda x: x[1])
    targets.append(("Open ≤ 2× the raw floor, every kind", f"worst {worst[1]:.2f}× ({worst[0]})", worst[1] <= 2.0))
    over = [a for a in alloc_ok if a[1] > a[2]]
    worst_vhd = max((a[1] for a in alloc_ok if a[2] == 16 * 1024), default=0)
    worst_vhdx = max((a[1] for a in alloc_ok if a[2] == 64 * 1024), default=0)
    targets.append(("≤ 16 KiB allocated per VHD open, ≤ 64 KiB per VHDX open",
                    f"VHD max {fmt_bytes(worst_vhd)}, VHDX max {fmt_bytes(worst_vhdx)}", not over))
    if scale_ok:
        worst = max(scale_ok, key=lambda x: x[1])
        targets.append(("Open at 2 TiB / 64 TiB within 1.2× of open at 1 GiB", f"worst {worst[1]:.2f}× ({worst[0]})", worst[1] <= 1.2))
    if peer_ok:
        worst = max(peer_ok, key=lambda x: x[1] / x[2])
        targets.append(("Open faster than libvhdi's open of the same file",
                        f"worst {worst[1] / worst[2]:.2f}× of libvhdi ({worst[0]})", all(o < p for _, o, p in peer_ok)))

# ---- Reads ----
data = load("ReadBenchmarks")
if data:
    out.append("### Reads through the stream (throughput relative to the same reads from a raw file)\n")
    rows = []
    by = {(r["Kind"], r["Method"]): r for r in data}
    kinds = []
    for r in data:
        if r["Kind"] not in kinds:
            kinds.append(r["Kind"])
    seq_fail, rnd_fail, seq_worst, rnd_worst = [], [], {}, []
    for kind in kinds:
        sr, sd = by.get((kind, "SequentialRaw")), by.get((kind, "SequentialDisk"))
        rr, rd = by.get((kind, "RandomRaw")), by.get((kind, "RandomDisk"))
        if not (sr and sd and rr and rd):
            continue
        s = ns(sr["Mean"]) / ns(sd["Mean"])
        r_ = ns(rr["Mean"]) / ns(rd["Mean"])
        need = 0.75 if "Differencing" in kind else 0.9 if "Dynamic" in kind else 0.95
        if s < need:
            seq_fail.append(f"{kind} {s:.2f} < {need}")
        seq_worst.setdefault(need, []).append((kind, s))
        rnd_worst.append((kind, r_))
        mbps = (1 << 20) / ns(sd["Mean"]) * 1e9 / (1 << 20)
        rows.append([kind, fmt_time(ns(sr["Mean"])), fmt_time(ns(sd["Mean"])), f"{s:.2f} (≥ {need})", f"{mbps:,.0f} MiB/s",
                     fmt_time(ns(rr["Mean"])), fmt_time(ns(rd["Mean"])), f"{r_:.2f} (≥ 0.8)", fmt_bytes(size(sd["Allocated"]))])
    table(["Kind", "1 MiB seq. raw (baseline)", "1 MiB seq. disk", "Seq. speed vs raw", "Seq. disk", "4 KiB random raw (baseline)",
           "4 KiB random disk", "Random speed vs raw", "Allocated / read"], rows)
    for need, items in sorted(seq_worst.items(), reverse=True):
        label = {0.95: "fixed (and ISO)", 0.9: "fully allocated dynamic", 0.75: "3-level differencing chain"}[need]
        w = min(items, key=lambda x: x[1])
        targets.append((f"Sequential reads ≥ {need}× raw, {label}", f"worst {w[1]:.2f}× ({w[0]})", w[1] >= need))
    w = min(rnd_worst, key=lambda x: x[1])
    targets.append(("Random 4 KiB reads ≥ 0.8× raw", f"worst {w[1]:.2f}× ({w[0]})", w[1] >= 0.8))

out.append("### Targets\n")
table(["Target", "Measured", "Status"], [[t, m, mark(ok)] for t, m, ok in targets])
print("\n".join(out))
