# CGRSeg-T on Cityscapes fine train (2975 images). The authors publish no
# Cityscapes recipe: this carries their ADE20K one over (AdamW, head at 10x
# lr, warm-up + poly to 160k iterations, 16 images per iteration as 4 GPUs
# x 4) with 512x1024 crops of the CGNet Cityscapes pipeline, 19 classes,
# and, like the CamVid configs here, starts from scratch; a child config
# setting model.backbone.init_cfg=dict(type='Pretrained', checkpoint='timm')
# starts from timm's ImageNet weights, as the authors do on ADE20K.
_base_ = [
    './_base_/models/cgrseg.py', './_base_/datasets/cityscapes.py',
    './_base_/schedules/adamw_poly_cgrseg.py', './_base_/default_runtime.py'
]
num_gpus = 4
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(num_classes=19))
train_dataloader = dict(batch_size=4)
auto_scale_lr = dict(base_batch_size=num_gpus * 4)
