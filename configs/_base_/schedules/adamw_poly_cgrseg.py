# The CGRSeg authors' optimiser: AdamW (lr 1.2e-4, betas 0.9/0.999, weight
# decay 0.01), a linear warm-up from 1e-6 x lr over 1500 iterations, then
# poly decay (power 1.0) to 0 at 160k iterations. Their paramwise rules
# match parameter names by substring: 'head' (lr x10) hits the decode head
# and the backbone's talking heads; 'norm' (no weight decay) hits only the
# backbone BNs their code names norm*: those in the MLPs and in the two
# convolutional downsamplings. The same parameters, by timm's names, here.
# PolyLR is listed first (configs name their length after its end).
optimizer = dict(
    type='AdamW', lr=0.00012, betas=(0.9, 0.999), weight_decay=0.01)
no_decay = dict(decay_mult=0.)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    paramwise_cfg=dict(
        custom_keys={
            'decode_head': dict(lr_mult=10.),
            'talking_head': dict(lr_mult=10.),
            'mlp.fc1.bn': no_decay,
            'mlp.mid.bn': no_decay,
            'mlp.fc2.bn': no_decay,
            'stages.1.downsample.conv.bn': no_decay,
            'stages.2.downsample.conv.bn': no_decay,
        }))
warmup_iters = 1500
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        by_epoch=False,
        begin=warmup_iters,
        end=160000),
    dict(
        type='LinearLR',
        start_factor=1e-6,
        by_epoch=False,
        begin=0,
        end=warmup_iters)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=160000, val_interval=4000)
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
        max_keep_ckpts=2,
        save_best='mIoU'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
