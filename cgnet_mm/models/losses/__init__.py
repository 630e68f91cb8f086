from .cross_entropy_loss import CrossEntropyLoss, class_weighted_cross_entropy
from .pixel_contrast_loss import PixelContrastLoss, pixel_contrast_loss

__all__ = [
    'CrossEntropyLoss', 'PixelContrastLoss', 'class_weighted_cross_entropy',
    'pixel_contrast_loss'
]
