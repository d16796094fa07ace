#!/usr/bin/env python
"""Generate LJOF's synthetic person-keypoint dataset (COCO format) with exact occlusion flags.

    python tools/generate_synthetic_data.py --root datasets/ljof_synthetic --seed 0 \
        --train 600 --val 200 --occluded 200

Prints per split the fraction of labeled limb joints that are covered (v = 1) and ends with one JSON line
of these figures.
"""

import argparse
import json
import logging
import sys
import time

import ljof  # noqa: F401  (compat shims before detectron2)
from detectron2.utils.logger import setup_logger
from ljof.synthetic import DEFAULT_SIZES, default_root, generate_dataset


def int_at_least(minimum: int):
    """An argparse ``type``: an integer >= ``minimum``, else argparse's one-line error (exit status 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum {minimum}")
        return value

    parse.__name__ = f"integer >= {minimum}"  # argparse names the type in its messages
    return parse


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--root", default=default_root(), help="output folder (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int_at_least(0), default=0)
    for split, n in DEFAULT_SIZES.items():
        parser.add_argument(
            f"--{split}", type=int_at_least(0), default=n, help=f"images in '{split}' (%(default)s)"
        )
    parser.add_argument("--height", type=int_at_least(1), default=240, help="image height px")
    parser.add_argument("--width", type=int_at_least(1), default=320, help="image width px")
    parser.add_argument(
        "--workers", type=int_at_least(1), default=1, help="rendering processes (%(default)s)"
    )
    args = parser.parse_args(argv)
    setup_logger(name="ljof", abbrev_name="ljof")
    logging.getLogger("ljof").setLevel(logging.INFO)

    start = time.perf_counter()
    sizes = {s: getattr(args, s) for s in DEFAULT_SIZES}
    stats = generate_dataset(
        args.root,
        sizes=sizes,
        seed=args.seed,
        height=args.height,
        width=args.width,
        workers=args.workers,
    )
    seconds = time.perf_counter() - start
    for split, s in stats.items():
        print(
            f"{split:>9}: {sizes[split]} images, {s['people']} people, "
            f"covered limb joints {s['covered_limb_joint_fraction']:.1%}, "
            f"people with a covered limb joint {s['people_with_covered_limb_joint']:.1%}"
        )
    figures = {"root": args.root, "seed": args.seed, "seconds": round(seconds, 2)}
    for split, s in stats.items():
        figures[f"{split}_images"] = sizes[split]
        figures[f"{split}_people"] = s["people"]
        figures[f"{split}_covered_limb_joint_fraction"] = round(s["covered_limb_joint_fraction"], 4)
        figures[f"{split}_people_with_covered_limb_joint"] = round(
            s["people_with_covered_limb_joint"], 4
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
