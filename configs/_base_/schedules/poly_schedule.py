# The schedule primitive of every cgnet_mm recipe: iteration-based training
# with one PolyLR decay, listed first (configs name their length after its
# `end`), validation during training and checkpoints by iteration. The
# schedule bases beside it add the optimiser, the length and any warm-up.
optim_wrapper = dict(type='OptimWrapper')
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=0)
]
train_cfg = dict(type='IterBasedTrainLoop')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
