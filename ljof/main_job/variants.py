"""The models the main job trains: a variant is a config of ``configs/main_job/`` plus overrides, a run
is a variant trained with one seed (``train.seed``: initialisation, data order, augmentation draws; the
generated dataset stays fixed).

The variants follow the paper's ablations on the generated data: Table 6 (baseline, + LJA, + LJA + DSL),
Table 8 (the λ schedule of the DSL: constant, step, linear, exponential), Table 7 (LJA's α, the
fraction of limb joints covered, and β, the block size as a fraction of the person box) and Table 9
(+ LJA with the plain MSE, Ke et al.'s structure-aware loss with a constant or a step weight, the DSL);
and the occlusion augmentations LJA competes with (MMPose's CoarseDropout, RTMPose's single hole, AID-style
keypoint dropping), each in LJA's place with the plain MSE. ``VARIANTS_BY_NAME`` lists those that
``tools/run_main_job.py --variants`` can name.
"""

import os
from dataclasses import dataclass, field
from typing import Iterable, List, Sequence, Tuple

__all__ = [
    "Variant",
    "Run",
    "BASELINE",
    "LJA_ONLY",
    "LJOF",
    "LJOF_NORMALIZED",
    "BASELINE_NO_HALF_BODY",
    "SA_STEP",
    "SA_CONSTANT",
    "COARSE_DROPOUT",
    "RTMPOSE_HOLE",
    "KEYPOINT_DROPOUT",
    "DEMO_VARIANTS",
    "ABLATION_VARIANTS",
    "TABLE9_VARIANTS",
    "OCCLUSION_VARIANTS",
    "VARIANTS_BY_NAME",
    "schedule_variant",
    "alpha_beta_variant",
    "lambda_max_variant",
    "parse_alpha_beta",
]


@dataclass(frozen=True)
class Variant:
    """A training recipe.

    Attributes:
        name: short id, used in folder names and JSON keys (``"baseline"``, ``"ljof"``, ...).
        label: what the tables and figures print (``"+LJA + DSL"``).
        config: file name under ``configs/main_job/``.
        overrides: LazyConfig ``key=value`` overrides on top of the config.
    """

    name: str
    label: str
    config: str
    overrides: Tuple[str, ...] = field(default_factory=tuple)

    def config_path(self, root: str) -> str:
        return os.path.join(root, "configs", "main_job", self.config)


@dataclass(frozen=True)
class Run:
    """A variant trained with one seed; its files go to ``<output>/<variant>/seed<seed>``."""

    variant: Variant
    seed: int

    @property
    def key(self) -> str:
        return f"{self.variant.name}/seed{self.seed}"

    def output_dir(self, output: str) -> str:
        return os.path.join(output, self.variant.name, f"seed{self.seed}")


BASELINE = Variant("baseline", "baseline", "baseline.py")
LJA_ONLY = Variant("lja", "+LJA", "lja.py")
LJOF = Variant("ljof", "+LJA + DSL (LJOF)", "ljof.py")
DSL_ONLY = Variant("dsl", "+DSL", "dsl.py")  # the structure loss without LJA (a probe; not in the paper)
# LJOF with each limb map scaled by 1/sqrt(its joints), so that λ = 1 weighs the limb term like the
# heatmap term (without it, about 8/3 times: model.loss.normalize_maps)
LJOF_NORMALIZED = Variant(
    "ljof_norm", "+LJA + DSL, normalised maps", "ljof.py", ("model.loss.normalize_maps=True",)
)
# the baseline without half-body crops (a lower-body crop cannot tell the left leg from the right on the
# generated people; docs/main_job.md, "Stable long training")
BASELINE_NO_HALF_BODY = Variant(
    "baseline_nohb", "baseline, no half-body crops", "baseline_no_half_body.py"
)
# the baseline with MMPose's / HRNet's COCO joint weights in the heatmap MSE (wrists, ankles 1.5)
BASELINE_JOINT_WEIGHTS = Variant(
    "baseline_jw", "baseline, COCO joint weights", "baseline_joint_weights.py"
)
# Ke et al.'s structure-aware loss (+ LJA), with the DSL's step λ and with a constant weight
SA_STEP = Variant("sa_step", "+LJA + Ke et al., step λ", "structure_aware.py")
SA_CONSTANT = Variant(
    "sa_constant",
    "+LJA + Ke et al., constant λ",
    "structure_aware.py",
    ("model.loss.lambda_schedule.kind=constant",),
)
# occlusion augmentations in LJA's place (plain MSE)
COARSE_DROPOUT = Variant("coarsedropout", "+CoarseDropout (MMPose)", "coarse_dropout.py")
RTMPOSE_HOLE = Variant("rtmpose_hole", "+one large hole (RTMPose)", "rtmpose_hole.py")
KEYPOINT_DROPOUT = Variant(
    "keypoint_dropout", "+keypoint dropout (AID-style)", "keypoint_dropout.py"
)

DEMO_VARIANTS = (BASELINE, LJOF)
ABLATION_VARIANTS = (BASELINE, LJA_ONLY, LJOF)  # the paper's Table 6
TABLE9_VARIANTS = (LJA_ONLY, SA_CONSTANT, SA_STEP, LJOF)  # MSE, Ke et al. x2, DSL; all with LJA
OCCLUSION_VARIANTS = (BASELINE, LJA_ONLY, COARSE_DROPOUT, RTMPOSE_HOLE, KEYPOINT_DROPOUT)
VARIANTS_BY_NAME = {
    v.name: v
    for v in (
        BASELINE,
        LJA_ONLY,
        LJOF,
        DSL_ONLY,
        LJOF_NORMALIZED,
        BASELINE_NO_HALF_BODY,
        BASELINE_JOINT_WEIGHTS,
        SA_STEP,
        SA_CONSTANT,
        COARSE_DROPOUT,
        RTMPOSE_HOLE,
        KEYPOINT_DROPOUT,
    )
}


def schedule_variant(kind: str) -> Variant:
    """LJOF with another λ schedule of ``ljof.engine.LimbLambdaSchedule`` (paper Table 8)."""
    return Variant(
        f"ljof_{kind}", f"LJOF, {kind} λ", "ljof.py", (f"model.loss.lambda_schedule.kind={kind}",)
    )


def lambda_max_variant(lambda_max: float) -> Variant:
    """LJOF with the structure loss weighted by ``lambda_max`` after the step (the paper's λ_max = 1:
    its Table 8 scales are not given for other values; this probes whether the limb term, about 3x the
    heatmap term at λ = 1 on the generated data, crowds out the heatmap loss)."""
    return Variant(
        f"ljof_lmax{lambda_max:g}",
        f"LJOF, λ_max={lambda_max:g}",
        "ljof.py",
        (f"model.loss.lambda_schedule.lambda_max={lambda_max}",),
    )


def alpha_beta_variant(alpha: float, beta: float) -> Variant:
    """LJOF with LJA's α (fraction of visible limb joints covered) and β (block size / person box)
    changed (paper Table 7)."""
    return Variant(
        f"ljof_a{alpha:g}_b{beta:g}",
        f"LJOF, α={alpha:g} β={beta:g}",
        "ljof.py",
        (f"dataloader.train.mapper.lja.alpha={alpha}", f"dataloader.train.mapper.lja.beta={beta}"),
    )


def parse_alpha_beta(text: str) -> Tuple[float, float]:
    """``"0.15:0.2"`` -> (0.15, 0.2); ValueError naming the text otherwise."""
    try:
        alpha, beta = (float(x) for x in text.split(":"))
    except ValueError as e:
        raise ValueError(f"--alpha-beta {text!r}: expected ALPHA:BETA, e.g. 0.15:0.2") from e
    if not (0.0 < alpha <= 1.0 and 0.0 < beta <= 1.0):
        raise ValueError(f"--alpha-beta {text!r}: alpha and beta must be in (0, 1]")
    return alpha, beta


def unique(variants: Iterable[Variant]) -> List[Variant]:
    """The variants in order, each name once."""
    seen, out = set(), []
    for v in variants:
        if v.name not in seen:
            seen.add(v.name)
            out.append(v)
    return out


def runs_of(variants: Sequence[Variant], seeds: Sequence[int]) -> List[Run]:
    """Every variant with every seed, seed-major (the first seed of every variant trains first)."""
    return [Run(v, int(s)) for s in seeds for v in variants]
