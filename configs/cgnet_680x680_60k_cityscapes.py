# CGNet M3N21 on Cityscapes, 680x680 crops, 60k iterations.
# Published recipe (mmseg cgnet_fcn_4xb4-60k_cityscapes-680x680, 65.63 mIoU):
# 4 GPUs x 4 images per GPU = 16 images per iteration. Train it with
#   mim train cgnet_mm configs/cgnet_680x680_60k_cityscapes.py \
#       --gpus 4 --launcher pytorch
_base_ = [
    './_base_/models/cgnet_m3n21.py', './_base_/datasets/cityscapes.py',
    './_base_/schedules/adam_poly_60k.py', './_base_/default_runtime.py'
]
custom_imports = dict(imports=['cgnet_mm'], allow_failed_imports=False)
num_gpus = 4
crop_size = (680, 680)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 1024),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
auto_scale_lr = dict(enable=False, base_batch_size=num_gpus * 4)
