# CGRSeg-B on ADE20K, the authors' recipe (cgrseg-b_ade20k_160k.py) as
# configs/cgrseg_t_512x512_160k_ade20k.py with EfficientFormerV2-S2
# (64/144/288 channels, timm's efficientformerv2_s2.snap_dist_in1k) and the
# head at width 256 with 6 pyramid context RCMs.
_base_ = ['./cgrseg_t_512x512_160k_ade20k.py']
model = dict(
    backbone=dict(arch='s2'),
    decode_head=dict(
        in_channels=(64, 144, 288), channels=256, num_context_blocks=6))
