# The CamVid recipe cut to a CPU budget: 4k iterations (~87 epochs of the
# 367 training images) at batch 8, validating on val every 500. On a 2-core
# x86-64 CPU one iteration took ~1.3 s; the run took 1 h 47 min:
#   mim train cgnet_mm configs/cgnet_360x360_4k_camvid_cpu.py
# (interrupted runs continue with --resume). Its best validation checkpoint
# (iteration 3000, 66.80 val mIoU) is the shipped CamVid model (see README).
_base_ = ['./cgnet_360x360_37k_camvid.py']
param_scheduler = [dict(_base_.param_scheduler[0], end=4000)]
train_cfg = dict(max_iters=4000, val_interval=500)
default_hooks = dict(checkpoint=dict(interval=500))
