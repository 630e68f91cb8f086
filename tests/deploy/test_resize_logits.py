"""``resize_logits``, the resize our OpenVINO IR leaves to its caller:
OpenCV's planes equal torch's bilinear resize, torch where OpenCV cannot."""
import torch
import torch.nn.functional as F

from cgnet_mm.deploy.wrapper import resize_logits


def test_opencv_resize_equals_torch_bilinear():
    logits = torch.randn(2, 5, 13, 17) * 10
    for size in ((104, 136), (26, 68)):  # powers of two: 8; 2 by 4
        ref = F.interpolate(logits, size=size, mode='bilinear',
                            align_corners=False)
        out = resize_logits(logits, size, align_corners=False)
        assert out.shape == ref.shape and out.is_contiguous()
        assert (out - ref).abs().max() <= 2e-5  # values up to ~45


def test_torch_resize_where_opencv_differs():
    logits = torch.randn(1, 3, 13, 17)
    for size, align in (((97, 131), False), ((39, 51), False),
                        ((7, 9), False), ((104, 136), True)):
        ref = F.interpolate(logits, size=size, mode='bilinear',
                            align_corners=align)
        assert torch.equal(resize_logits(logits, size, align), ref)
    half = logits.half()
    assert resize_logits(half, (26, 34), False).dtype == torch.float16


def test_logits_at_the_size_are_returned_as_they_are():
    logits = torch.randn(1, 3, 13, 17)
    assert resize_logits(logits, torch.Size([13, 17]), False) is logits
