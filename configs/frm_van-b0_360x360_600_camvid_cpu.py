# configs/frm_van-b0_360x360_4k_camvid_cpu.py cut to what one 3-hour session
# of a 2-core CPU trains beside a second run (~11 s per batch-8 step on one
# core): 600 iterations (~13 epochs of the 367 training images), warm-up and
# poly decay rescaled (30 warm-up iterations, the 4k config's 5%), validating
# and checkpointing every 150. The measured FRM CamVid number comes from it:
#   mim train cgnet_mm configs/frm_van-b0_360x360_600_camvid_cpu.py
_base_ = ['./frm_van-b0_360x360_4k_camvid_cpu.py']
custom_imports = dict(imports=['cgnet_mm'], allow_failed_imports=False)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        by_epoch=False,
        begin=30,
        end=600),
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=30)
]
train_cfg = dict(max_iters=600, val_interval=150)
default_hooks = dict(
    checkpoint=dict(interval=150, max_keep_ckpts=2, save_best='mIoU'))
