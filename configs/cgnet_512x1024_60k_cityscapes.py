# CGNet M3N21 on Cityscapes, 512x1024 crops, 60k iterations.
# Published recipe (mmseg cgnet_fcn_4xb8-60k_cityscapes-512x1024, 68.27 mIoU):
# 4 GPUs x 8 images per GPU = 32 images per iteration. Train it with
#   mim train cgnet_mm configs/cgnet_512x1024_60k_cityscapes.py \
#       --gpus 4 --launcher pytorch
# On fewer GPUs the total batch (and so the result) is smaller.
_base_ = [
    './_base_/models/cgnet_m3n21.py', './_base_/datasets/cityscapes.py',
    './_base_/schedules/adam_poly_60k.py', './_base_/default_runtime.py'
]
num_gpus = 4
data_preprocessor = dict(size=_base_.crop_size)
model = dict(data_preprocessor=data_preprocessor)
auto_scale_lr = dict(base_batch_size=num_gpus * 8)
