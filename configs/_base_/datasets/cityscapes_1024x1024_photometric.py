# cityscapes_1024x1024.py with the augmentation of mmseg's Cityscapes
# recipes for the VAN family (SegNeXt/SegFormer) and of ade20k.py: crops
# where no class covers over 75%, photometric distortion after the flip.
_base_ = ['./cityscapes_1024x1024.py']
train_pipeline = [
    dict(t, cat_max_ratio=0.75) if t.type == 'RandomCrop' else t
    for t in _base_.train_pipeline if t.type != 'PackSegInputs'
] + [dict(type='PhotoMetricDistortion'),
     dict(type='PackSegInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
