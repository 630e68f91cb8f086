import pytest
import torch
import torch.nn.functional as F
from mmseg.models.losses import CrossEntropyLoss as MMSegCrossEntropyLoss

from cgnet_mm.models.losses import CrossEntropyLoss
from cgnet_mm.registry import MODELS

WEIGHTS = [2.6, 6.7, 3.5, 9.9, 0.5]


def _batch(seed=0):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 5, 6, 7, generator=gen)
    label = torch.randint(0, 5, (2, 6, 7), generator=gen)
    label[0, :2] = 255  # ignored pixels
    label[1, :, :3] = 255
    return logits, label


def test_weighted_loss_equals_pytorch_with_ignored_pixels():
    logits, label = _batch()
    loss = CrossEntropyLoss(class_weight=WEIGHTS, avg_non_ignore=True)
    expected = F.cross_entropy(logits, label, weight=torch.tensor(WEIGHTS),
                               ignore_index=255)
    assert torch.allclose(loss(logits, label, ignore_index=255), expected,
                          rtol=1e-6, atol=1e-6)


def test_weighted_loss_ignores_regardless_of_avg_non_ignore():
    logits, label = _batch(1)
    a = CrossEntropyLoss(class_weight=WEIGHTS)(logits, label, ignore_index=255)
    b = CrossEntropyLoss(class_weight=WEIGHTS, avg_non_ignore=True)(
        logits, label, ignore_index=255)
    assert torch.equal(a, b)


def test_unweighted_loss_is_mmsegs():
    logits, label = _batch(2)
    ours = CrossEntropyLoss(avg_non_ignore=True)(logits, label,
                                                 ignore_index=255)
    theirs = MMSegCrossEntropyLoss(avg_non_ignore=True)(logits, label,
                                                        ignore_index=255)
    assert torch.equal(ours, theirs)


def test_mmseg_weighted_loss_crashes_on_ignored_pixels():
    """The bug this loss exists for (mmseg issues #3734, #3412)."""
    logits, label = _batch()
    with pytest.raises(IndexError, match='out of bounds'):
        MMSegCrossEntropyLoss(class_weight=WEIGHTS)(logits, label,
                                                    ignore_index=255)


def test_all_ignored_gives_zero_and_gradient():
    logits, label = _batch()
    logits.requires_grad_(True)
    label[:] = 255
    loss = MODELS.build(dict(type='cgnet_mm.CrossEntropyLoss', class_weight=WEIGHTS))
    value = loss(logits, label, ignore_index=255)
    value.backward()
    assert value.item() == 0 and logits.grad is not None
