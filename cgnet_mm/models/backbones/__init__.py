from .cgnet import CGNet
from .efficientformer_v2 import EfficientFormerV2
from .sgcpnet import SGCPHead, SGCPNet
from .van import VAN

__all__ = ['CGNet', 'EfficientFormerV2', 'SGCPHead', 'SGCPNet', 'VAN']
