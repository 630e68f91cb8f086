"""The whole segmentor as one image -> logits function, for export.

Input: a float32 NCHW image in BGR order with 0-255 values (what
``cv2.imread`` gives, transposed). Output: logits (N, C, H, W) at the input
size. Normalisation and BGR->RGB come from the config's data preprocessor.
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models import EncoderDecoder


class ExportableSegmentor(nn.Module):
    """Preprocessing + backbone + head + resize, always in eval mode.

    ``train()`` is refused: a wrapper left in training mode silently
    exported BN with batch statistics (argmax agreement ~11-16% with
    torch), so this one cannot be switched back.
    """

    def __init__(self, segmentor: EncoderDecoder):
        super().__init__()
        pre = segmentor.data_preprocessor
        self.swap_rb = bool(getattr(pre, 'channel_conversion', False))
        self.register_buffer('mean', pre.mean.detach().clone().view(1, -1, 1,
                                                                    1))
        self.register_buffer('std', pre.std.detach().clone().view(1, -1, 1, 1))
        self.backbone = copy.deepcopy(segmentor.backbone)
        self.decode_head = copy.deepcopy(segmentor.decode_head)
        self.align_corners = segmentor.decode_head.align_corners
        super().train(False)

    def train(self, mode: bool = True):
        if mode:
            raise RuntimeError('ExportableSegmentor is inference-only')
        return super().train(False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if self.swap_rb:
            image = image.flip(1)
        x = (image - self.mean) / self.std
        logits = self.decode_head(self.backbone(x))
        return F.interpolate(logits, size=image.shape[2:], mode='bilinear',
                             align_corners=self.align_corners)
