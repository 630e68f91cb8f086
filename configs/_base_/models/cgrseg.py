# CGRSeg-T: EfficientFormerV2-S1 (timm's modules; attention biases tabulated
# for 512x512 and resampled for other sizes) returning 1/8, 1/16 and 1/32
# (48/120/224 channels), and the CGRSeg head at width 128 (5 pyramid
# context RCMs, strip convs of 11) predicting at 1/8 with dropout 0.1 and
# plain CE, as the authors' cgrseg-t_ade20k_160k.py. 150 classes (ADE20K);
# children set the dataset's. The backbone starts from scratch here;
# ImageNet configs set init_cfg=dict(type='Pretrained', checkpoint='timm').
# B and L configs override arch, in_channels, channels and the RCM sizes.
_base_ = ['./encoder_decoder.py']
model = dict(
    backbone=dict(
        type='cgnet_mm.EfficientFormerV2',
        arch='s1',
        img_size=512,
        out_indices=(1, 2, 3),
        norm_eval=False),
    decode_head=dict(
        type='cgnet_mm.CGRSegHead',
        in_channels=(48, 120, 224),
        in_index=(0, 1, 2),
        channels=128,
        band_kernel_size=11,
        context_band_kernel_size=11,
        num_context_blocks=5,
        square_kernel_size=3,
        mlp_ratio=2.,
        dropout_ratio=0.1,
        num_classes=150))
