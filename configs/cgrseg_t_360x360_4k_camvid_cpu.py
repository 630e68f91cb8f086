# The CGRSeg-T CamVid recipe (configs/cgrseg_t_360x360_6k_camvid.py) cut to
# the CPU budget of the other families' CPU configs: 4k iterations (~87
# epochs of the 367 training images) at batch 8 on 1 device, warm-up and
# poly decay rescaled to 4k, validating every 500:
#   mim train cgnet_mm configs/cgrseg_t_360x360_4k_camvid_cpu.py
_base_ = ['./cgrseg_t_360x360_6k_camvid.py']
custom_imports = dict(imports=['cgnet_mm'], allow_failed_imports=False)
warmup_iters = 38
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        by_epoch=False,
        begin=warmup_iters,
        end=4000),
    dict(
        type='LinearLR',
        start_factor=1e-6,
        by_epoch=False,
        begin=0,
        end=warmup_iters)
]
train_cfg = dict(max_iters=4000, val_interval=500)
default_hooks = dict(
    checkpoint=dict(interval=500, max_keep_ckpts=2, save_best='mIoU'))
