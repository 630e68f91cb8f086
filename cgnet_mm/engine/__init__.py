from .fast_train import (FastTrainHook, compile_for_training,
                         enable_fast_training, flush_denormals,
                         to_channels_last)

__all__ = [
    'FastTrainHook', 'compile_for_training', 'enable_fast_training',
    'flush_denormals', 'to_channels_last'
]
