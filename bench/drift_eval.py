"""Evaluate the drift detector on procedurally generated, labelled sets (bench/drift_scenes.py).

    .venv/bin/python bench/drift_eval.py            # every set, 40 consistent + 18–32 drifted each
    .venv/bin/python bench/drift_eval.py --groups tuned,inspected -v   # what changes look at
    .venv/bin/python bench/drift_eval.py --sets H --seed 2   # held-out sets only, other seed

For each set: the anchors and the batch go through canvas.governance.metrics.batch.check
exactly as a board's would (thresholds calibrated on that batch); prints a confusion table
(truth × flagged metric), recall of drifted images, false-flag rate of consistent ones, the
share of caught drifts whose most severe flag names the broken metric, and scoring speed
(images/s, 512 px, one core: OpenCV and BLAS limited to one thread).

The issue's quality bar counts palette, lighting and composition drifts; style drifts (only
in sets with a style anchor) are counted apart. Groups are totalled apart: "untouched" sets
are the ones nobody looked at while changing the metrics.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from drift_scenes import SETS, anchors, batch  # noqa: E402

from canvas.governance.metrics.batch import ImageFeatures, ReferenceSet, check  # noqa: E402
from canvas.governance.metrics.image import prepare  # noqa: E402

METRICS = ("palette", "lighting", "composition", "style")
BAR = ("palette", "lighting", "composition")  # what the issue's quality bar counts


def _flags(verdict) -> list[tuple[str, str, float, float]]:
    return [
        (f.metric, f.component, round(f.value, 3), round(f.threshold, 3)) for f in verdict.flags
    ]


def evaluate(spec, seed: int, verbose: bool) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    refs = anchors(spec, rng)
    images = batch(spec, rng)
    started = time.perf_counter()
    reference = ReferenceSet(
        {role: [ImageFeatures(prepare(a)) for a in arrays] for role, arrays in refs.items()}
    )
    features = [ImageFeatures(prepare(image)) for image, _ in images]
    verdicts, thresholds = check(features, reference)
    elapsed = time.perf_counter() - started
    table: Counter[tuple[str, str]] = Counter()
    caught = right = drifted = false_flags = consistent = 0
    style = Counter()
    by_how: Counter[tuple[str, bool]] = Counter()
    for (_, label), verdict in zip(images, verdicts, strict=True):
        truth = label.split(":")[0]
        top = verdict.flags[0].metric if verdict.flags else "none"
        table[(truth, top)] += 1
        if truth == "ok":
            consistent += 1
            false_flags += bool(verdict.flags)
            if verbose and verdict.flags:
                print(f"   false flag: {_flags(verdict)}")
        elif truth == "style":
            style["drifted"] += 1
            style["caught"] += bool(verdict.flags)
            style["right"] += top == truth
            if verbose and top != truth:
                print(f"   {label}: flagged {_flags(verdict)}")
        else:
            drifted += 1
            caught += bool(verdict.flags)
            right += top == truth
            by_how[(label, top == truth)] += 1
            if verbose and top != truth:
                print(f"   {label}: flagged {_flags(verdict)}")
    print(f"\n{spec.name} ({spec.group})")
    print(f"  {'truth/top flag':<14}" + "".join(f"{m:>13}" for m in (*METRICS, "none")))
    for truth in ("ok", *METRICS):
        if truth == "style" and not style["drifted"]:
            continue
        print(f"  {truth:<14}" + "".join(f"{table[(truth, m)]:>13}" for m in (*METRICS, "none")))
    if verbose:
        for key, t in sorted(thresholds.items()):
            print(
                f"   threshold {key[0]}/{key[1]}: centre {t.centre:.3f} "
                f"spread {t.spread:.3f} -> {t.value:.3f}"
            )
    result = {
        "recall": caught / drifted,
        "false": false_flags / consistent,
        "right": right / max(caught, 1),
        "rate": (len(images)) / elapsed,
        "caught": caught,
        "drifted": drifted,
        "ff": false_flags,
        "consistent": consistent,
        "rightn": right,
        "style_caught": style["caught"],
        "style_drifted": style["drifted"],
        "style_right": style["right"],
    }
    print(
        f"  recall {result['recall']:.1%} ({caught}/{drifted})  false flags {result['false']:.1%} "
        f"({false_flags}/{consistent})  right metric {result['right']:.1%} ({right}/{caught})  "
        f"{result['rate']:.1f} images/s incl. anchors"
    )
    if style["drifted"]:
        print(
            f"  style drifts: caught {style['caught']}/{style['drifted']}, "
            f"named style first {style['right']}/{max(style['caught'], 1)}"
        )
    return result


def speed(seed: int, count: int = 60) -> tuple[float, float]:
    """Images/s for scoring alone: decode-free arrays of 512 px, features + comparisons of
    all four metrics (a style anchor added to the first set's anchors)."""
    rng = np.random.default_rng(seed)
    spec = SETS[0]
    refs = anchors(spec, rng)
    refs["style"] = refs["lighting"]  # all four metrics
    images = [image for image, _ in batch(spec, rng, consistent_count=count, per_metric=0)]
    reference = ReferenceSet(
        {role: [ImageFeatures(prepare(a)) for a in arrays] for role, arrays in refs.items()}
    )
    started, cpu = time.perf_counter(), time.process_time()
    features = [ImageFeatures(prepare(image)) for image in images]
    check(features, reference)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(images) / wall, len(images) / cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sets", default="", help="only sets whose name starts with this (T, H, N, U)"
    )
    parser.add_argument(
        "--groups",
        default="tuned,inspected,untouched",
        help="comma-separated groups to run (leave out untouched while changing the metrics)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print misses and thresholds")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    totals: dict[str, Counter[str]] = {g: Counter() for g in ("tuned", "inspected", "untouched")}
    for spec in SETS:
        if args.sets and not spec.name.startswith(args.sets):
            continue
        if spec.group not in args.groups.split(","):
            continue
        result = evaluate(spec, args.seed, args.verbose)
        for key in ("caught", "drifted", "ff", "consistent", "rightn"):
            totals[spec.group][key] += int(result[key])
        for key in ("style_caught", "style_drifted", "style_right"):
            totals[spec.group][key] += int(result[key])
    for which, total in totals.items():
        if not total["drifted"]:
            continue
        print(
            f"\n{which.upper()} sets: recall {total['caught'] / total['drifted']:.1%}, "
            f"false flags {total['ff'] / total['consistent']:.1%}, "
            f"right metric {total['rightn'] / max(total['caught'], 1):.1%} "
            f"({total['caught']}/{total['drifted']} caught, {total['ff']}/{total['consistent']} "
            f"false, {total['rightn']} right)"
        )
        if total["style_drifted"]:
            print(
                f"  style drifts: recall {total['style_caught'] / total['style_drifted']:.1%}, "
                f"named style first {total['style_right'] / max(total['style_caught'], 1):.1%}"
            )
    wall, cpu = speed(args.seed)
    print(
        f"\nspeed (512 px, one thread, features + comparisons): {cpu:.1f} images per CPU-second, "
        f"{wall:.1f} images/s wall clock (load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
