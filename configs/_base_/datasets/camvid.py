# CamVid, 11 classes (void = 11 ignored), 360x480 images, SegNet layout:
#   <data_root>/{train,val,test}/*.png|jpg + {train,val,test}annot/*.png
# The CGNet protocol: 360x360 random crops, random scale 0.5-2.0, flip;
# full 360x480 images at test time.
_base_ = ['./dataloaders.py', '../tta_ms_flip.py']
dataset_type = 'cgnet_mm.CamVidDataset'
data_root = 'data/camvid/'
crop_size = (360, 360)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(480, 360),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(480, 360), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_split = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(img_path='train', seg_map_path='trainannot'),
    pipeline=train_pipeline)
val_split = dict(
    train_split,
    data_prefix=dict(img_path='val', seg_map_path='valannot'),
    pipeline=test_pipeline)
test_split = dict(
    val_split, data_prefix=dict(img_path='test', seg_map_path='testannot'))
train_dataloader = dict(num_workers=2, dataset=train_split)
val_dataloader = dict(num_workers=2, dataset=val_split)
test_dataloader = val_dataloader
