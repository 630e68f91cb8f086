#!/usr/bin/env bash
# Creates .venv/ at the repo root with the pinned stack and cgnet_mm installed
# for development (editable, mim-compatible). Safe to re-run: a warm re-run
# installs nothing and takes seconds. The first run builds mmcv 2.1.0 with its
# compiled ops from source (~10 min on 2 cores; pip caches the wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
    echo "[setup] creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv
fi
pip() { .venv/bin/python -m pip "$@"; }
C=(-c requirements/constraints.txt)

# torch 2.13.0 CPU build: a local wheel when pip's find-links has one (as on
# the project's machines), else PyTorch's CPU index; never PyPI's CUDA build.
if ! .venv/bin/python -c "import torch; assert torch.__version__.startswith('2.13.0')" 2>/dev/null; then
    wheel=$(ls ${PIP_FIND_LINKS:-/opt/wheels}/torch-2.13.0+cpu-cp311-*.whl 2>/dev/null | head -n 1 || true)
    if [ -n "$wheel" ]; then
        echo "[setup] torch 2.13.0 (CPU) from $wheel"
        pip install -q "${C[@]}" "$wheel"
    else
        echo "[setup] torch 2.13.0 (CPU) from ${TORCH_INDEX_URL:=https://download.pytorch.org/whl/cpu}"
        pip install -q torch==2.13.0 --index-url "$TORCH_INDEX_URL"
    fi
fi
.venv/bin/python -c "import torch, sys; sys.exit(0 if torch.version.cuda is None else 'error: a CUDA build of torch is installed in .venv; remove .venv and re-run')"
echo "[setup] build tools"
pip install -q "${C[@]}" setuptools wheel numpy

if .venv/bin/python -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
    echo "[setup] mmcv 2.1.0 with ops already installed"
else
    echo "[setup] mmcv 2.1.0 with compiled ops (first time: ~10 min build)"
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
        pip install --no-build-isolation "${C[@]}" mmcv==2.1.0
fi

echo "[setup] mmengine, mmsegmentation, openmim, test tools"
pip install -q "${C[@]}" -r requirements/runtime.txt -r requirements/tests.txt

echo "[setup] cgnet_mm (editable: an egg-link, so mim finds the source tree)"
.venv/bin/python -W ignore setup.py -q develop --no-deps

pip check
echo "[setup] done: activate with 'source .venv/bin/activate'"
