# The SGCPNet schedule of the authors' code: SGD (lr 0.3, momentum 0.9,
# weight decay 1e-5 on every parameter), poly decay with power 0.9 to 0.
# Length: 29k iterations (the Cityscapes recipe); configs of other lengths
# override `param_scheduler`, `train_cfg` and, where the batch differs, lr.
optimizer = dict(type='SGD', lr=0.3, momentum=0.9, weight_decay=1e-5)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        by_epoch=False,
        begin=0,
        end=29000)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=29000, val_interval=2900)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=2900,
        max_keep_ckpts=2,
        save_best='mIoU'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
