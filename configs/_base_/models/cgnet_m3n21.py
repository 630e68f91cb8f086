# CGNet M3N21 (M=3 CG blocks in stage 1, N=21 in stage 2) with a 1x1
# classifier: mmseg's FCNHead without convs. BN eps 1e-3 as the paper's code.
# Its inputs are the paper's: mean-subtracted RGB, not scaled by a std.
_base_ = ['./encoder_decoder.py']
norm_cfg = dict(_base_.norm_cfg, eps=1e-03)
data_preprocessor = dict(
    mean=[72.39239876, 82.90891754, 73.15835921], std=[1, 1, 1])
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='cgnet_mm.CGNet',
        in_channels=3,
        num_channels=(32, 64, 128),
        num_blocks=(3, 21),
        dilations=(2, 4),
        reductions=(8, 16),
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='FCNHead',
        in_channels=256,
        in_index=2,
        channels=256,
        num_convs=0,
        concat_input=False,
        dropout_ratio=0,
        num_classes=19,
        norm_cfg=norm_cfg,
        loss_decode=dict(
            type='cgnet_mm.CrossEntropyLoss',
            avg_non_ignore=True,
            # Cityscapes class weights of the published recipe.
            class_weight=[
                2.5959933, 6.7415504, 3.5354059, 9.8663225, 9.690899, 9.369352,
                10.289121, 9.953208, 4.3097677, 9.490387, 7.674431, 9.396905,
                10.347791, 6.3927646, 10.226669, 10.241062, 10.280587,
                10.396974, 10.055647
            ])))
