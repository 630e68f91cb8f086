# The CGNet CamVid schedule: the Cityscapes one (adam_poly_60k.py: Adam, lr
# 1e-3, eps 1e-8, weight decay 5e-4; poly 0.9) decaying to 0 over 37k
# iterations (~800 epochs of the 367 training images at batch 8), keeping
# the best validation checkpoint; configs of other lengths override
# `param_scheduler` and `train_cfg`.
_base_ = ['./adam_poly_60k.py']
param_scheduler = [dict(_base_.param_scheduler[0], eta_min=0.0, end=37000)]
train_cfg = dict(max_iters=37000, val_interval=2000)
default_hooks = dict(
    checkpoint=dict(interval=2000, max_keep_ckpts=2, save_best='mIoU'))
