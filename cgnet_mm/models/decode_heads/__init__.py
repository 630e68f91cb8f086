from .cgrseg_head import CGRSegHead
from .frm import FeatureRefinementModule, FRMHead, MultiStageAggregation

__all__ = [
    'CGRSegHead', 'FRMHead', 'FeatureRefinementModule', 'MultiStageAggregation'
]
