# cityscapes.py with 1024x1024 training crops (the SGCPNet recipe's size).
_base_ = ['./cityscapes.py']
crop_size = (1024, 1024)
train_pipeline = [dict(t, crop_size=crop_size) if t.type == 'RandomCrop'
                  else t for t in _base_.train_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
