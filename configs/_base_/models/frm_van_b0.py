# The FRM network (arXiv 2412.08670): VAN-B0 backbone (F1-F4: 32/64/160/256
# channels at 1/4-1/32), the feature refinement module (F1-F3 average-pooled
# to 1/32, concatenated with F4, 1x1 to 256, disentangled non-local block),
# mmseg's FPN (256) on [F1, F2, F3, FRM] and the Semantic FPN head (128) at
# 1/4; cross-entropy plus the pixel contrastive loss (weight 0.1).
# ImageNet normalisation (RGB). Widths, pooling, the FPN entry point and the
# loss weight are inferred (see cgnet_mm/models/decode_heads/frm.py).
# 8,280,948 parameters for 19 classes (49,664 of them in the training-only
# contrastive projection); 205.7 GFLOPs at 1024x2048 (mmengine's counter).
_base_ = ['./encoder_decoder.py']
model = dict(
    backbone=dict(
        type='cgnet_mm.VAN',
        arch='b0',
        drop_path_rate=0.1,
        norm_cfg=_base_.norm_cfg),
    decode_head=dict(
        type='cgnet_mm.FRMHead',
        in_channels=(32, 64, 160, 256),
        feature_strides=(4, 8, 16, 32),
        frm_channels=256,
        fpn_channels=256,
        dnl_reduction=2,
        dnl_temperature=0.05,
        channels=128,
        proj_channels=256,
        dropout_ratio=0.1,
        num_classes=19,
        loss_contrast=dict(
            type='cgnet_mm.PixelContrastLoss',
            temperature=0.1,
            max_samples=1024,
            loss_weight=0.1)))
