#!/usr/bin/env bash
# The paper's CamVid run (configs/cgnet_360x360_47k_camvid_trainval.py, 47k
# iterations, seed 0, --fast), resumed wherever it stopped: from the work
# dir's last checkpoint, or, on a machine without that work dir, from the
# committed runs/cgnet_camvid_trainval/last.pth. Runs in the foreground;
# start it with nohup ... & to keep it going beside other work.
#
#   bash scripts/camvid_trainval.sh              # train (resume)
#   bash scripts/camvid_trainval.sh --save       # copy the newest checkpoint
#                                                # to runs/.../last.pth
# Environment: WORK_DIR (default ~/runs/cgnet_360x360_47k_camvid_trainval),
# DATA_ROOT (default ../shared/data/camvid).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK_DIR=${WORK_DIR:-$HOME/runs/cgnet_360x360_47k_camvid_trainval}
DATA_ROOT=${DATA_ROOT:-$(cd .. && pwd)/shared/data/camvid}
COMMITTED=runs/cgnet_camvid_trainval/last.pth

newest() {  # the work dir's last checkpoint, as mmengine records it
    [ -f "$WORK_DIR/last_checkpoint" ] && cat "$WORK_DIR/last_checkpoint"
}

if [ "${1:-}" = "--save" ]; then
    ckpt=$(newest) || { echo "error: no checkpoint in $WORK_DIR" >&2; exit 2; }
    mkdir -p "$(dirname "$COMMITTED")"
    cp "$ckpt" "$COMMITTED.tmp" && mv "$COMMITTED.tmp" "$COMMITTED"
    echo "[camvid_trainval] $ckpt -> $COMMITTED"
    exit 0
fi

if ! newest >/dev/null; then
    if [ ! -f "$COMMITTED" ]; then
        echo "[camvid_trainval] no checkpoint anywhere: starting from scratch"
    else
        # mmengine's --resume reads <work_dir>/last_checkpoint
        mkdir -p "$WORK_DIR"
        cp "$COMMITTED" "$WORK_DIR/committed_last.pth"
        echo "$WORK_DIR/committed_last.pth" > "$WORK_DIR/last_checkpoint"
        echo "[camvid_trainval] resuming from the committed $COMMITTED"
    fi
fi
exec .venv/bin/mim train cgnet_mm configs/cgnet_360x360_47k_camvid_trainval.py \
    --fast --work-dir "$WORK_DIR" --resume \
    --cfg-options randomness.seed=0 default_hooks.checkpoint.interval=500 \
    default_hooks.checkpoint.max_keep_ckpts=-1 \
    "train_dataloader.dataset.datasets.0.data_root=$DATA_ROOT" \
    "train_dataloader.dataset.datasets.1.data_root=$DATA_ROOT"
