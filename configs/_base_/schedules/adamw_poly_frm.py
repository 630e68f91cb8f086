# The FRM Cityscapes schedule, inferred (the paper's was not available):
# the MMSegmentation recipe of VAN-family segmenters (SegNeXt/SegFormer on
# Cityscapes): AdamW lr 6e-5 (betas 0.9/0.999, weight decay 0.01, decoder
# lr x10, no decay on norms), linear warm-up over 1500 iterations, then poly
# decay (power 1.0) to 0 at 160k (schedule_160k.py); validation and
# checkpoints every 16k.
_base_ = ['./schedule_160k.py']
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=6e-05, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys=dict(
            decode_head=dict(lr_mult=10.0), norm=dict(decay_mult=0.0))))
train_cfg = dict(val_interval=16000)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=3))
