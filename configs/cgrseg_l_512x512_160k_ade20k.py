# CGRSeg-L on ADE20K, the authors' recipe (cgrseg-l_ade20k_160k.py) as
# configs/cgrseg_t_512x512_160k_ade20k.py with EfficientFormerV2-L
# (80/192/384 channels, timm's efficientformerv2_l.snap_dist_in1k) and the
# head at width 256, 5 pyramid context RCMs, strip convs of 9.
_base_ = ['./cgrseg_t_512x512_160k_ade20k.py']
model = dict(
    backbone=dict(arch='l'),
    decode_head=dict(
        in_channels=(80, 192, 384),
        channels=256,
        band_kernel_size=9,
        context_band_kernel_size=9))
