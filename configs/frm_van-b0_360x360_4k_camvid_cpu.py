# The FRM network (VAN-B0) on CamVid train (367 images), validated on val
# (101), at a CPU budget: 4k iterations (~87 epochs) at batch 8 on 1 device,
# validating every 500, with the CGNet CamVid pipeline (360x360 crops,
# random scale 0.5-2.0, flip) and class-weighted CE plus the contrastive
# term. From scratch (no ImageNet weights offline), so the optimiser is
# inferred for that: AdamW lr 1e-3 (weight decay 0.01, no decay on norms),
# 200 linear warm-up iterations, poly 0.9 to 0.
#   mim train cgnet_mm configs/frm_van-b0_360x360_4k_camvid_cpu.py
_base_ = [
    './_base_/models/frm_van_b0.py', './_base_/datasets/camvid.py',
    './_base_/schedules/adamw_poly_frm.py', './_base_/default_runtime.py'
]
custom_imports = dict(imports=['cgnet_mm'], allow_failed_imports=False)
num_gpus = 1
crop_size = (360, 360)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(
        num_classes=11,
        loss_decode=dict(
            type='cgnet_mm.CrossEntropyLoss',
            # as configs/cgnet_360x360_37k_camvid.py (train split, c=1.10)
            class_weight=[
                4.1112, 3.3982, 9.5630, 2.7980, 7.3049, 5.4540, 9.4029,
                9.4412, 6.6961, 9.8676, 10.1971
            ])))
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(
        custom_keys=dict(_delete_=True, norm=dict(decay_mult=0.0))))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        by_epoch=False,
        begin=200,
        end=4000),
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200)
]
train_cfg = dict(max_iters=4000, val_interval=500)
default_hooks = dict(
    checkpoint=dict(interval=500, max_keep_ckpts=2, save_best='mIoU'))
train_dataloader = dict(batch_size=8)
auto_scale_lr = dict(enable=False, base_batch_size=num_gpus * 8)
