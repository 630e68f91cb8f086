from .cgrseg_head import CGRSegHead

__all__ = ['CGRSegHead']
