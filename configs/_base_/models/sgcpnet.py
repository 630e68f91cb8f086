# SGCPNet: MobileNetV3-Small-like encoder with 1x1 projections of its 1/8,
# 1/16 and 1/32 taps (40/112/320 channels), the spatial-detail guided
# context propagation head at width 64 and a 1x1 classifier at 1/8; 607,826
# parameters for 19 classes, as the authors' code. ImageNet normalisation
# (RGB) and plain cross-entropy, as the authors' recipe. BN everywhere but
# the head's BNs keep the authors' momentum 0.01 and eps 1e-3.
_base_ = ['./encoder_decoder.py']
head_norm_cfg = dict(_base_.norm_cfg, momentum=0.01, eps=1e-03)
model = dict(
    backbone=dict(
        type='cgnet_mm.SGCPNet',
        in_channels=3,
        out_channels=(40, 112, 320),
        norm_cfg=_base_.norm_cfg),
    decode_head=dict(
        type='cgnet_mm.SGCPHead',
        in_channels=(40, 112, 320),
        in_index=(0, 1, 2),
        channels=64,
        eps=1e-4,
        dropout_ratio=0,
        num_classes=19,
        norm_cfg=head_norm_cfg,
        act_cfg=dict(type='Swish'),
        loss_decode=dict(avg_non_ignore=True)))
