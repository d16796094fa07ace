#!/usr/bin/env python
"""Install LJOF: occluded human pose estimation (Limb Joint Augmentation + Dynamic Structure Loss) on
detectron2.

detectron2 itself is not on PyPI under its own name; ``dev/setup_env.sh`` (``make setup``) installs it
before this package (see the README).
"""

from setuptools import find_packages, setup

setup(
    name="ljof",
    version="0.1.0",
    description="Occluded human pose estimation based on Limb Joint Augmentation, for detectron2",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    packages=find_packages(exclude=("configs", "tests*", "tools", "benchmarks", "demo")),
    # configs/ ships inside ljof.model_zoo (ljof/model_zoo/configs links to it), as detectron2's model zoo
    package_data={
        "ljof.model_zoo": [
            "configs/*.py",
            "configs/*/*.py",
            "configs/*/*/*.py",
            "configs/*/*/*/*.py",
        ]
    },
    python_requires=">=3.9",
    install_requires=[
        "torch>=2.0",
        "torchvision",
        "numpy",
        "scipy",
        "opencv-python-headless",
        "pycocotools>=2.0.2",
        "xtcocotools>=1.12",
        # results / predictions json reader of the evaluation (C, ~4x the json module, same values)
        "msgspec==0.22.0",
        "fvcore",
        "omegaconf>=2.1",
        "matplotlib",
        "tqdm",
        "tabulate",
        "tensorboard",
    ],
    extras_require={
        # hotcoco: a reference engine of benchmarks/bench_evaluation.py (and its test) only; the
        # evaluation, the bootstrap and the occlusion matches run on ljof.evaluation.cocoeval_arrays
        "test": ["pytest>=7", "pytest-timeout", "ruff", "hypothesis>=6.100", "hotcoco==1.3.0"],
        # ONNX export and ONNX Runtime inference (ljof.deploy, tools/export_model.py)
        "deploy": ["onnx==1.23.2", "onnxruntime==1.32.0"],
    },
)
