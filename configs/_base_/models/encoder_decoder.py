# What every cgnet_mm model base shares: cgnet_mm's modules registered
# through `custom_imports` (mim and the tools import the package from it),
# mmseg's EncoderDecoder with whole-image inference, synchronised BN, a
# data preprocessor with ImageNet normalisation (RGB) that pads labels with
# the ignore index 255, and a decode head trained with cross-entropy that
# resizes its logits with align_corners=False. The model bases add the
# backbone and the decode head's type and sizes.
custom_imports = dict(imports=['cgnet_mm'], allow_failed_imports=False)
norm_cfg = dict(type='SyncBN', requires_grad=True)
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
    decode_head=dict(
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
