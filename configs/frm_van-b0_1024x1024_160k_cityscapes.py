# The FRM network (VAN-B0) on Cityscapes fine train (2975 images). The
# paper's recipe was not available; this is the MMSegmentation Cityscapes
# recipe of the VAN family (SegNeXt/SegFormer): 1024x1024 crops after a
# random rescale of 0.5-2.0, flip and photometric distortion, 8 images per
# iteration (8 GPUs x 1), AdamW 6e-5 with 1500 warm-up iterations and
# linear (poly 1.0) decay over 160k iterations. The backbone should start
# from ImageNet VAN-B0 weights (mmseg projects/van layout) through
#   model.backbone.init_cfg=dict(type='Pretrained', checkpoint=...)
# Train it with
#   mim train cgnet_mm configs/frm_van-b0_1024x1024_160k_cityscapes.py \
#       --gpus 8 --launcher pytorch
_base_ = [
    './_base_/models/frm_van_b0.py',
    './_base_/datasets/cityscapes_1024x1024_photometric.py',
    './_base_/schedules/adamw_poly_frm.py', './_base_/default_runtime.py'
]
num_gpus = 8
data_preprocessor = dict(size=_base_.crop_size)
model = dict(data_preprocessor=data_preprocessor)
train_dataloader = dict(batch_size=1)
auto_scale_lr = dict(base_batch_size=num_gpus * 1)
