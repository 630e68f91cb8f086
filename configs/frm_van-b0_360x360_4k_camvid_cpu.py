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
    './_base_/schedules/adamw_poly_scratch_4k.py',
    './_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(
        num_classes=11,
        loss_decode=dict(
            type='cgnet_mm.CrossEntropyLoss',
            # as configs/cgnet_360x360_37k_camvid.py (train split, c=1.10)
            class_weight=[
                4.1112, 3.3982, 9.5630, 2.7980, 7.3049, 5.4540, 9.4029,
                9.4412, 6.6961, 9.8676, 10.1971
            ])))
