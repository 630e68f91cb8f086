# The CGNet paper's CamVid protocol: train on train+val (468 images) for 47k
# iterations (~800 epochs) at batch 8 on 1 GPU, 360x360 crops; evaluate on
# the 233-image test split (test/ + testannot/), where the paper reports
# 65.6 mIoU. No validation during training: val is part of the training set.
_base_ = ['./cgnet_360x360_37k_camvid.py']
model = dict(
    decode_head=dict(
        loss_decode=dict(
            # `cgnet-mm class-weights configs/cgnet_360x360_47k_camvid_trainval.py`
            class_weight=[
                4.3667, 3.3573, 9.6450, 2.8410, 6.9008, 5.1239, 9.4580,
                9.1090, 7.0867, 9.8683, 9.8089
            ])))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            _base_.train_split,
            dict(_base_.val_split, pipeline=_base_.train_pipeline)
        ]))
test_dataloader = dict(dataset=_base_.test_split)
val_dataloader = None
val_cfg = None
val_evaluator = None
param_scheduler = [dict(_base_.param_scheduler[0], end=47000)]
train_cfg = dict(max_iters=47000, val_interval=47001)
default_hooks = dict(checkpoint=dict(save_best=None, max_keep_ckpts=3))
