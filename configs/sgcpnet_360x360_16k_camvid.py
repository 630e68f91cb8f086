# SGCPNet on CamVid train (367 images), validated on val (101), with the
# CGNet CamVid data pipeline (360x360 crops, random scale 0.5-2.0, flip)
# and class-weighted CE (the CGNet CamVid weights). The authors publish no
# CamVid recipe in their code, so this keeps their Cityscapes length and
# optimiser: 350 epochs = 16k iterations at batch 8 (16000 x 8 / 367 =
# 348.8 epochs), SGD with lr 0.3 scaled linearly from batch 36 to 8
# (0.0667), momentum 0.9, wd 1e-5, poly 0.9. 1 GPU x 8 images.
_base_ = [
    './_base_/models/sgcpnet.py', './_base_/datasets/camvid.py',
    './_base_/schedules/sgd_poly_sgcpnet.py', './_base_/default_runtime.py'
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
optim_wrapper = dict(optimizer=dict(lr=0.3 * 8 / 36))
param_scheduler = [dict(_base_.param_scheduler[0], end=16000)]
train_cfg = dict(max_iters=16000, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
