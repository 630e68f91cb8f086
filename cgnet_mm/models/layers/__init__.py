from .context_guided import (ContextGuidedBlock, GlobalContextExtractor,
                             InputInjection, act_cfg_for, default_norm_cfg,
                             norm_act)
from .norm_eval import NormEvalBackbone

__all__ = [
    'ContextGuidedBlock', 'GlobalContextExtractor', 'InputInjection',
    'NormEvalBackbone', 'act_cfg_for', 'default_norm_cfg', 'norm_act'
]
