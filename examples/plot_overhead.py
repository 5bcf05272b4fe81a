"""Plot what attestation costs a training step, for a few model sizes.

    python examples/plot_overhead.py [--widths 128,256,384] [--steps 4] [--out DIR]
    python examples/plot_overhead.py --from-json run1.json run2.json [--out DIR]

For each width it runs ``zkattest bench overhead --model transformer`` (in process:
:func:`zkattest.bench.overhead.measure`; 6 layers, 4,096 tokens per step on Python's
standard-library source, nothing downloaded) or reads the JSON objects that
``zkattest bench overhead --json`` printed (the last line of each file). It writes
``overhead.csv`` (one row per run) and, if matplotlib is installed, ``overhead.png``:
step time without and with attestation, and baseline + the raw-BLAKE3 floor, against
the parameter count. Without matplotlib it says so and writes only the CSV (the
project adds no plotting dependency).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

COLUMNS = (
    "model",
    "params",
    "tokens_per_step",
    "baseline_step_s",
    "attested_step_s",
    "overhead_pct",
    "cpu_overhead_pct",
    "hash_floor_s",
    "hash_floor_pct",
    "proving_s_per_step",
)


def _read(path: Path) -> dict[str, Any]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        raise SystemExit(f"{path}: empty")
    try:
        r = json.loads(lines[-1])
    except ValueError as e:
        raise SystemExit(f"{path}: the last line is not JSON ({e})") from None
    missing = [c for c in COLUMNS if c not in r and c != "cpu_overhead_pct"]
    if missing:
        raise SystemExit(f"{path}: missing {', '.join(missing)}")
    return r


def _plot(rows: list[dict[str, Any]], png: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = sorted(rows, key=lambda r: r["params"])
    x = [r["params"] / 1e6 for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, [r["baseline_step_s"] for r in rows], "o-", label="baseline")
    ax.plot(x, [r["attested_step_s"] for r in rows], "s-", label="attested")
    floor = [r["baseline_step_s"] + r["hash_floor_s"] for r in rows]
    ax.plot(x, floor, "k--", label="baseline + raw BLAKE3 floor")
    ax.set_xlabel("parameters (millions)")
    ax.set_ylabel("step time (s)")
    ax.set_title("zkattest: training-step overhead of attestation")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="128,256,384", help="transformer widths (d_model)")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--steps", type=int, default=4, help="timed step pairs per size")
    ap.add_argument("--from-json", nargs="+", type=Path, help="read bench JSON instead")
    ap.add_argument("--out", type=Path, default=Path("."), help="output directory")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    rows: list[dict[str, Any]] = []
    if args.from_json:
        rows = [_read(p) for p in args.from_json]
    else:
        from zkattest.bench.overhead import measure

        for width in (int(w) for w in args.widths.split(",")):
            heads = max(1, width // 64)
            print(f"measuring d_model={width}, {args.layers} layers ...", flush=True)
            r = measure(
                "transformer",
                args.steps,
                d_model=width,
                layers=args.layers,
                heads=heads,
                verify=False,
            )
            print(
                f"  {r['params']:,} params: {r['baseline_step_s']:.3f} s -> "
                f"{r['attested_step_s']:.3f} s ({r['overhead_pct']:+.2f} %), floor "
                f"{r['hash_floor_pct']:.2f} %"
            )
            rows.append(r)

    csv_path = args.out / "overhead.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c) for c in COLUMNS})
    print(f"wrote {csv_path}")
    png = args.out / "overhead.png"
    if _plot(rows, png):
        print(f"wrote {png}")
    else:
        print("matplotlib is not installed: wrote the CSV only (pip install matplotlib to plot)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
