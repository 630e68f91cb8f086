# The CGRSeg authors' optimiser: AdamW (lr 1.2e-4, betas 0.9/0.999, weight
# decay 0.01), a linear warm-up from 1e-6 x lr over 1500 iterations, then
# poly decay (power 1.0) to 0 at 160k iterations. Their paramwise rules
# match parameter names by substring: 'head' (lr x10) hits the decode head
# and the backbone's talking heads; 'norm' (no weight decay) hits only the
# backbone BNs their code names norm*: those in the MLPs and in the two
# convolutional downsamplings. The same parameters, by timm's names, here.
# Length, warm-up and decay: schedule_160k.py.
_base_ = ['./schedule_160k.py']
optimizer = dict(
    type='AdamW', lr=0.00012, betas=(0.9, 0.999), weight_decay=0.01)
no_decay = dict(decay_mult=0.)
optim_wrapper = dict(
    optimizer=optimizer,
    paramwise_cfg=dict(
        custom_keys={
            'decode_head': dict(lr_mult=10.),
            'talking_head': dict(lr_mult=10.),
            'mlp.fc1.bn': no_decay,
            'mlp.mid.bn': no_decay,
            'mlp.fc2.bn': no_decay,
            'stages.1.downsample.conv.bn': no_decay,
            'stages.2.downsample.conv.bn': no_decay,
        }))
# schedule_160k.py's warm-up; the CamVid configs rescale it with the length
warmup_iters = 1500
train_cfg = dict(val_interval=4000)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=2, save_best='mIoU'))
