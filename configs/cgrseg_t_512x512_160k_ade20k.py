# CGRSeg-T on ADE20K, the authors' recipe (cgrseg-t_ade20k_160k.py): the
# backbone starts from timm's ImageNet weights (efficientformerv2_s1.
# snap_dist_in1k, downloaded on first use), 512x512 crops, 16 images per
# iteration (the authors' README trains on 4 GPUs x 4), AdamW with the head
# at 10x lr, 160k iterations; test images padded to a multiple of 32 as the
# authors' test pipeline. The authors report 43.6 mIoU (single scale).
#   mim train cgnet_mm configs/cgrseg_t_512x512_160k_ade20k.py \
#       --gpus 4 --launcher pytorch
_base_ = [
    './_base_/models/cgrseg.py', './_base_/datasets/ade20k.py',
    './_base_/schedules/adamw_poly_cgrseg.py', './_base_/default_runtime.py'
]
num_gpus = 4
model = dict(
    data_preprocessor=dict(
        size=_base_.crop_size, test_cfg=dict(size_divisor=32)),
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='timm')))
auto_scale_lr = dict(base_batch_size=num_gpus * 4)
