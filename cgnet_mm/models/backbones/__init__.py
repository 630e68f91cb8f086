from .cgnet import CGNet
from .sgcpnet import SGCPHead, SGCPNet
from .van import VAN

__all__ = ['CGNet', 'SGCPHead', 'SGCPNet', 'VAN']
