from .cgnet import CGNet
from .sgcpnet import SGCPHead, SGCPNet

__all__ = ['CGNet', 'SGCPHead', 'SGCPNet']
