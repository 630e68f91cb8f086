# configs/frm_van-b0_360x360_4k_camvid_cpu.py cut to what one 3-hour session
# of a 2-core CPU trains beside a second run (~11 s per batch-8 step on one
# core): 600 iterations (~13 epochs of the 367 training images), warm-up and
# poly decay rescaled (30 warm-up iterations, the 4k config's 5%), validating
# and checkpointing every 150. The measured FRM CamVid number comes from it:
#   mim train cgnet_mm configs/frm_van-b0_360x360_600_camvid_cpu.py
_base_ = ['./frm_van-b0_360x360_4k_camvid_cpu.py']
param_scheduler = [
    dict(_base_.param_scheduler[0], begin=30, end=600),
    dict(_base_.param_scheduler[1], end=30)
]
train_cfg = dict(max_iters=600, val_interval=150)
default_hooks = dict(checkpoint=dict(interval=150))
