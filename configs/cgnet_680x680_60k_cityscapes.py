# CGNet M3N21 on Cityscapes, 680x680 crops, 60k iterations.
# Published recipe (mmseg cgnet_fcn_4xb4-60k_cityscapes-680x680, 65.63 mIoU):
# 4 GPUs x 4 images per GPU = 16 images per iteration. Train it with
#   mim train cgnet_mm configs/cgnet_680x680_60k_cityscapes.py \
#       --gpus 4 --launcher pytorch
_base_ = [
    './_base_/models/cgnet_m3n21.py',
    './_base_/datasets/cityscapes_680x680.py',
    './_base_/schedules/adam_poly_60k.py', './_base_/default_runtime.py'
]
num_gpus = 4
data_preprocessor = dict(size=_base_.crop_size)
model = dict(data_preprocessor=data_preprocessor)
train_dataloader = dict(batch_size=4)
auto_scale_lr = dict(base_batch_size=num_gpus * 4)
