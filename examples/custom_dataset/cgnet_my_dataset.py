# CGNet's CPU CamVid recipe (4k iterations, batch 8, Adam, poly) on the
# example dataset of docs/custom_dataset.md: its class and folders, its
# image size, three classes. Run from the repository root with
# PYTHONPATH=$PWD/examples/custom_dataset so that `my_dataset` imports.
_base_ = ['../../configs/cgnet_360x360_4k_camvid_cpu.py']
custom_imports = dict(imports=['cgnet_mm', 'my_dataset'],
                      allow_failed_imports=False)

data_root = 'data/my_dataset/'
crop_size = (256, 256)
image_scale = (512, 384)  # (W, H) box the images are resized to fit
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=image_scale, ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_split = dict(
    type='MyDataset',
    data_root=data_root,
    data_prefix=dict(img_path='images/train', seg_map_path='labels/train'),
    pipeline=train_pipeline)
val_split = dict(
    train_split,
    data_prefix=dict(img_path='images/val', seg_map_path='labels/val'),
    pipeline=test_pipeline)
train_dataloader = dict(dataset=train_split)
val_dataloader = dict(dataset=val_split)
test_dataloader = val_dataloader

model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(
        num_classes=3,
        # None trains unweighted; paste the list that
        # `cgnet-mm class-weights <this config>` prints here.
        loss_decode=dict(class_weight=None)))
