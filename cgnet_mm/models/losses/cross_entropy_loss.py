"""Class-weighted cross-entropy that survives ignored pixels.

MMSegmentation 1.2.2 computes the weighted mean's denominator by indexing the
class-weight vector with the raw label map, which raises ``IndexError: index
255 is out of bounds`` as soon as a label holds the ignore index (mmseg
issues #3734, #3412), so its CGNet Cityscapes configs cannot train. Here the
denominator sums the weights of the non-ignored pixels only, which is exactly
``F.cross_entropy(weight=class_weight, ignore_index=...)``.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmseg.models.losses import CrossEntropyLoss as MMSegCrossEntropyLoss
from mmseg.models.losses.cross_entropy_loss import cross_entropy
from mmseg.models.losses.utils import weight_reduce_loss

from cgnet_mm.registry import MODELS


def class_weighted_cross_entropy(pred: torch.Tensor,
                                 label: torch.Tensor,
                                 weight: Optional[torch.Tensor] = None,
                                 class_weight: Optional[torch.Tensor] = None,
                                 reduction: str = 'mean',
                                 avg_factor=None,
                                 ignore_index: int = -100,
                                 avg_non_ignore: bool = False):
    """mmseg's ``cross_entropy`` with a correct class-weighted mean.

    Without ``class_weight`` it is mmseg's function unchanged. With it and
    ``reduction='mean'``, the loss is divided by the summed class weights of
    the pixels that are not ignored (PyTorch's definition), whatever
    ``avg_non_ignore`` says: ignored pixels carry no weight.
    """
    if class_weight is None or reduction != 'mean' or avg_factor is not None:
        return cross_entropy(pred, label, weight, class_weight, reduction,
                             avg_factor, ignore_index, avg_non_ignore)
    loss = F.cross_entropy(pred, label, weight=class_weight,
                           reduction='none', ignore_index=ignore_index)
    valid = label != ignore_index
    avg_factor = class_weight[label[valid]].sum()
    if weight is not None:
        weight = weight.float()
    return weight_reduce_loss(loss, weight=weight, reduction=reduction,
                              avg_factor=avg_factor)


@MODELS.register_module()
class CrossEntropyLoss(MMSegCrossEntropyLoss):
    """mmseg's ``CrossEntropyLoss`` whose softmax branch uses
    :func:`class_weighted_cross_entropy`; arguments are mmseg's."""

    def __init__(self,
                 use_sigmoid: bool = False,
                 use_mask: bool = False,
                 reduction: str = 'mean',
                 class_weight=None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_ce',
                 avg_non_ignore: bool = False):
        super().__init__(use_sigmoid, use_mask, reduction, class_weight,
                         loss_weight, loss_name, avg_non_ignore)
        if not (use_sigmoid or use_mask):
            self.cls_criterion = class_weighted_cross_entropy
