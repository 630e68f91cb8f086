# The CGRSeg-T CamVid recipe (configs/cgrseg_t_360x360_6k_camvid.py) cut to
# the CPU budget of the other families' CPU configs: 4k iterations (~87
# epochs of the 367 training images) at batch 8 on 1 device, warm-up and
# poly decay rescaled to 4k, validating every 500:
#   mim train cgnet_mm configs/cgrseg_t_360x360_4k_camvid_cpu.py
_base_ = ['./cgrseg_t_360x360_6k_camvid.py']
warmup_iters = 38
param_scheduler = [
    dict(_base_.param_scheduler[0], begin=warmup_iters, end=4000),
    dict(_base_.param_scheduler[1], end=warmup_iters)
]
train_cfg = dict(max_iters=4000)
