# The SGCPNet CamVid recipe cut to a CPU budget, as
# configs/cgnet_360x360_4k_camvid_cpu.py: 4k iterations (~87 epochs of the
# 367 training images) at batch 8 on 1 device, validating every 500:
#   mim train cgnet_mm configs/sgcpnet_360x360_4k_camvid_cpu.py
_base_ = ['./sgcpnet_360x360_16k_camvid.py']
param_scheduler = [dict(_base_.param_scheduler[0], end=4000)]
train_cfg = dict(max_iters=4000, val_interval=500)
default_hooks = dict(checkpoint=dict(interval=500))
