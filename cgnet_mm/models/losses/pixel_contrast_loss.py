"""Supervised pixel-wise contrastive loss, the auxiliary loss of the FRM
network (Wang et al., arXiv 2412.08670: cross-entropy plus a contrastive
term that makes pixel embeddings of one class close and of different
classes far).

The FRM paper's form of the term was not available (only secondary
summaries of it); this is the in-batch supervised InfoNCE of Wang et al.,
"Exploring Cross-Image Pixel Contrast for Semantic Segmentation" (ICCV
2021, https://arxiv.org/abs/2101.11939), Eq. 2, without its memory bank
and hard-example mining: anchors are pixels sampled at random across the
batch, positives the other sampled pixels of the same class, negatives
those of the other classes, on L2-normalised embeddings with temperature
0.1 (that paper's value).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from cgnet_mm.registry import MODELS


def pixel_contrast_loss(embeddings: torch.Tensor, labels: torch.Tensor,
                        temperature: float = 0.1,
                        max_samples: int = 1024,
                        ignore_index: int = 255,
                        generator: Optional[torch.Generator] = None
                        ) -> torch.Tensor:
    """Supervised InfoNCE over pixels sampled from the batch.

    Args:
        embeddings (Tensor): (N, D, h, w) pixel embeddings (normalised
            here).
        labels (Tensor): (N, H, W) class indices; resized (nearest) to
            ``h x w``.
        temperature (float): Softmax temperature.
        max_samples (int): Most pixels sampled (without replacement) from
            the non-ignored ones of the whole batch.
        ignore_index (int): Label of pixels left out.
        generator (torch.Generator, optional): Sampling generator.

    Returns:
        Tensor: the mean over anchors that have a positive; zero (still
        attached to ``embeddings``) when none has.
    """
    n, d, h, w = embeddings.shape
    labels = F.interpolate(labels[:, None].float(), size=(h, w),
                           mode='nearest').long().flatten()
    feats = F.normalize(embeddings, dim=1).permute(0, 2, 3, 1).reshape(-1, d)
    valid = (labels != ignore_index).nonzero().squeeze(1)
    if valid.numel() > max_samples:
        pick = torch.randperm(valid.numel(), generator=generator,
                              device=valid.device)[:max_samples]
        valid = valid[pick]
    feats, labels = feats[valid], labels[valid]
    logits = feats @ feats.t() / temperature
    self_mask = torch.eye(len(labels), dtype=torch.bool,
                          device=labels.device)
    logits = logits.masked_fill(self_mask, float('-inf'))
    log_prob = logits - logits.logsumexp(dim=1, keepdim=True)
    positive = (labels[:, None] == labels[None, :]) & ~self_mask
    counts = positive.sum(dim=1)
    has_positive = counts > 0
    if not has_positive.any():
        return embeddings.sum() * 0
    mean_log_prob = log_prob.masked_fill(~positive, 0).sum(dim=1)[
        has_positive] / counts[has_positive]
    return -mean_log_prob.mean()


@MODELS.register_module()
class PixelContrastLoss(nn.Module):
    """:func:`pixel_contrast_loss` times ``loss_weight``.

    Args:
        temperature (float): Softmax temperature. Default: 0.1.
        max_samples (int): Pixels sampled per batch. Default: 1024.
        loss_weight (float): Weight of the term. Default: 0.1 (inferred:
            the weight of Wang et al. 2021; the FRM paper's was not found).
        ignore_index (int): Label left out. Default: 255.
        loss_name (str): Key in the losses dict. Default: 'loss_contrast'.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 max_samples: int = 1024,
                 loss_weight: float = 0.1,
                 ignore_index: int = 255,
                 loss_name: str = 'loss_contrast'):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got '
                             f'{temperature}')
        if max_samples < 2:
            raise ValueError(f'max_samples must be at least 2, got '
                             f'{max_samples}')
        self.temperature = temperature
        self.max_samples = max_samples
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, embeddings: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * pixel_contrast_loss(
            embeddings, labels, self.temperature, self.max_samples,
            self.ignore_index)
