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

echo "[setup] torch 2.13.0 (CPU wheel) and build tools"
pip install -q "${C[@]}" torch setuptools wheel numpy

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
