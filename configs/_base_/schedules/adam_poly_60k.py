# The CGNet Cityscapes schedule: Adam, poly decay (power 0.9) from 1e-3 to
# 1e-4 over 60k iterations, validation and checkpoints every 4k.
_base_ = ['./poly_schedule.py']
optimizer = dict(type='Adam', lr=0.001, eps=1e-08, weight_decay=0.0005)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [dict(_base_.param_scheduler[0], eta_min=1e-4, end=60000)]
train_cfg = dict(max_iters=60000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000, max_keep_ckpts=3))
