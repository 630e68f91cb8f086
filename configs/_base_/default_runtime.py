# Runtime shared by every cgnet_mm config: mmseg's scope for runners, hooks,
# datasets and metrics; cgnet_mm's own modules are named 'cgnet_mm.<Type>'
# and imported through `custom_imports` (set by models/encoder_decoder.py).
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
tta_model = dict(type='SegTTAModel')
# `cgnet-mm train` / `mim train cgnet_mm`: True trains channels-last with
# torch.compile (and mixed precision on CUDA); `--fast` sets it.
# See cgnet_mm/engine/fast_train.py.
fast_train = False
# The batch a recipe is tuned for: num_gpus x train_dataloader.batch_size
# images per iteration, 1 x 8 unless a config says otherwise. With
# auto_scale_lr.enable=True mmengine multiplies the learning rate by a run's
# total batch over base_batch_size.
num_gpus = 1
auto_scale_lr = dict(enable=False, base_batch_size=8)
