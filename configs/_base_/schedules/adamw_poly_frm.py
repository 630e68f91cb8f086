# The FRM Cityscapes schedule, inferred (the paper's was not available):
# the MMSegmentation recipe of VAN-family segmenters (SegNeXt/SegFormer on
# Cityscapes): AdamW lr 6e-5 (betas 0.9/0.999, weight decay 0.01, decoder
# lr x10, no decay on norms), linear warm-up over 1500 iterations, then poly
# decay (power 1.0) to 0 at 160k; validation and checkpoints every 16k.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-05, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys=dict(
            decode_head=dict(lr_mult=10.0), norm=dict(decay_mult=0.0))))
# (the schedulers act on disjoint ranges, so their order does not matter;
# the main one comes first, where configs of other lengths override it)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        by_epoch=False,
        begin=1500,
        end=160000),
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
        end=1500)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=160000, val_interval=16000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=16000,
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
