from .cgnet import CGNet

__all__ = ['CGNet']
