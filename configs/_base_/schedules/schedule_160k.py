# 160k iterations: a linear warm-up from 1e-6 x lr over the first 1500,
# then linear (poly 1.0) decay to 0, checkpoints every 16k: the length of
# mmseg's 160k schedules and of the CGRSeg and FRM recipes.
# (The schedulers act on disjoint ranges, so their order does not matter;
# the main one comes first, where configs of other lengths override it.)
_base_ = ['./poly_schedule.py']
param_scheduler = [
    dict(_base_.param_scheduler[0], power=1.0, begin=1500, end=160000),
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500)
]
train_cfg = dict(max_iters=160000)
default_hooks = dict(checkpoint=dict(interval=16000))
