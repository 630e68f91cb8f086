# cityscapes.py with 680x680 training crops (the CGNet recipe's second size).
_base_ = ['./cityscapes.py']
crop_size = (680, 680)
train_pipeline = [dict(t, crop_size=crop_size) if t.type == 'RandomCrop'
                  else t for t in _base_.train_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
