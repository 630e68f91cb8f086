# ADE20K (SceneParsing, 150 classes; label 0 "other" becomes 255 = ignored
# through reduce_zero_label), mmseg's ADE20KDataset with its files checked
# when built (raw values 0-150 and 255). Expected tree:
#   <data_root>/images/{training,validation}/*.jpg
#   <data_root>/annotations/{training,validation}/*.png
# The mmseg protocol the CGRSeg authors train with: random rescale of
# 2048x512 by 0.5-2.0, 512x512 crops (no class over 75% of a crop), flip,
# photometric distortion; test images resized to a 512 short side.
_base_ = ['./dataloaders.py', '../tta_ms_flip.py']
dataset_type = 'cgnet_mm.ADE20KDataset'
data_root = 'data/ade/ADEChallengeData2016'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
# the multi-scale + flip TTA of tta_ms_flip.py, its labels reduced as above
tta_pipeline = [
    dict(
        step,
        transforms=[[
            dict(t, reduce_zero_label=True)
            if t.type == 'LoadAnnotations' else t for t in choices
        ] for choices in step.transforms])
    if step.type == 'TestTimeAug' else step for step in _base_.tta_pipeline
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        train_dataloader['dataset'],
        data_prefix=dict(
            img_path='images/validation',
            seg_map_path='annotations/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
