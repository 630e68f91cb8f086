# SGCPNet: MobileNetV3-Small-like encoder with 1x1 projections of its 1/8,
# 1/16 and 1/32 taps (40/112/320 channels), the spatial-detail guided
# context propagation head at width 64 and a 1x1 classifier at 1/8; 607,826
# parameters for 19 classes, as the authors' code. ImageNet normalisation
# (RGB) and plain cross-entropy, as the authors' recipe. BN everywhere but
# the head's BNs keep the authors' momentum 0.01 and eps 1e-3.
custom_imports = dict(imports=['cgnet_mm'], allow_failed_imports=False)
norm_cfg = dict(type='SyncBN', requires_grad=True)
head_norm_cfg = dict(type='SyncBN', momentum=0.01, eps=1e-03,
                     requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='cgnet_mm.SGCPNet',
        in_channels=3,
        out_channels=(40, 112, 320),
        norm_cfg=norm_cfg),
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
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
