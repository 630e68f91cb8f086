# CGNet M3N21 on CamVid train (367 images), validated on val (101): the
# paper's CamVid recipe (360x360 crops, batch 8, Adam, poly 0.9, class-
# weighted CE) for 37k iterations (~800 epochs), on 1 GPU x 8 images.
_base_ = [
    './_base_/models/cgnet_m3n21.py', './_base_/datasets/camvid.py',
    './_base_/schedules/adam_poly_camvid.py', './_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(
        num_classes=11,
        loss_decode=dict(
            # `cgnet-mm class-weights data/camvid` (train split, c=1.10)
            class_weight=[
                4.1112, 3.3982, 9.5630, 2.7980, 7.3049, 5.4540, 9.4029,
                9.4412, 6.6961, 9.8676, 10.1971
            ])))
