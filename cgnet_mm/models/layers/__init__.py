from .context_guided import (ContextGuidedBlock, GlobalContextExtractor,
                             InputInjection, act_cfg_for, default_norm_cfg,
                             norm_act)

__all__ = [
    'ContextGuidedBlock', 'GlobalContextExtractor', 'InputInjection',
    'act_cfg_for', 'default_norm_cfg', 'norm_act'
]
