# The SGCPNet CamVid recipe cut to a CPU budget, as
# configs/cgnet_360x360_4k_camvid_cpu.py: 4k iterations (~87 epochs of the
# 367 training images) at batch 8 on 1 device, validating every 500:
#   mim train cgnet_mm configs/sgcpnet_360x360_4k_camvid_cpu.py
_base_ = ['./sgcpnet_360x360_16k_camvid.py']
custom_imports = dict(imports=['cgnet_mm'], allow_failed_imports=False)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        by_epoch=False,
        begin=0,
        end=4000)
]
train_cfg = dict(max_iters=4000, val_interval=500)
default_hooks = dict(
    checkpoint=dict(interval=500, max_keep_ckpts=2, save_best='mIoU'))
