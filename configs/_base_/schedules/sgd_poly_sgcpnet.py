# The SGCPNet schedule of the authors' code: SGD (lr 0.3, momentum 0.9,
# weight decay 1e-5 on every parameter), poly decay with power 0.9 to 0.
# Length: 29k iterations (the Cityscapes recipe); configs of other lengths
# override `param_scheduler`, `train_cfg` and, where the batch differs, lr.
_base_ = ['./poly_schedule.py']
optimizer = dict(type='SGD', lr=0.3, momentum=0.9, weight_decay=1e-5)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [dict(_base_.param_scheduler[0], end=29000)]
train_cfg = dict(max_iters=29000, val_interval=2900)
default_hooks = dict(
    checkpoint=dict(interval=2900, max_keep_ckpts=2, save_best='mIoU'))
