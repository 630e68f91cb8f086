# Training every layer from scratch on a CPU budget (our inference, for
# backbones whose ImageNet weights are not at hand offline): every layer
# starts random, so all train alike with AdamW lr 1e-3 (betas 0.9/0.999,
# weight decay 0.01, none on norms), a linear warm-up from 1e-3 x lr over
# 200 iterations, then poly 0.9 to 0 at 4k; validation every 500, keeping
# the best checkpoint.
_base_ = ['./poly_schedule.py']
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(norm=dict(decay_mult=0.0))))
param_scheduler = [
    dict(_base_.param_scheduler[0], begin=200, end=4000),
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200)
]
train_cfg = dict(max_iters=4000, val_interval=500)
default_hooks = dict(
    checkpoint=dict(interval=500, max_keep_ckpts=2, save_best='mIoU'))
