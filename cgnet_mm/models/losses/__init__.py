from .cross_entropy_loss import CrossEntropyLoss, class_weighted_cross_entropy

__all__ = ['CrossEntropyLoss', 'class_weighted_cross_entropy']
