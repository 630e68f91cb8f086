# The loaders and metric every dataset base shares: infinite shuffled
# training batches, one whole image at a time for validation and test,
# mIoU. Dataset bases add the dataset (type, root, splits, pipelines) and
# their own batch size or worker count.
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
