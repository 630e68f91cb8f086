from .frm import FeatureRefinementModule, FRMHead, MultiStageAggregation

__all__ = ['FRMHead', 'FeatureRefinementModule', 'MultiStageAggregation']
