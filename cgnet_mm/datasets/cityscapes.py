"""Cityscapes (Cordts et al., CVPR 2016): mmseg's ``CityscapesDataset``
(19 train ids, 255 ignored) with its files checked when it is built
(:class:`cgnet_mm.datasets.label_check.LabelCheckMixin`).
"""
from mmseg.datasets import CityscapesDataset as MMSegCityscapesDataset

from cgnet_mm.registry import DATASETS

from .label_check import LabelCheckMixin


@DATASETS.register_module()
class CityscapesDataset(LabelCheckMixin, MMSegCityscapesDataset):
    """mmseg's Cityscapes dataset, plus a check of every image and label.

    Args:
        img_suffix (str): Image file suffix, as mmseg's (also read by
            ``cgnet-mm train``'s data check). Default: '_leftImg8bit.png'.
        seg_map_suffix (str): Label file suffix, as mmseg's.
            Default: '_gtFine_labelTrainIds.png'.
        check_labels (bool): Read every image and label once when the
            dataset is built (with a progress bar: ~3000 files for train)
            and stop at the first bad one, naming it: a missing label,
            values other than the train ids 0-18 and ``ignore_index``, a
            size other than the image's, an unreadable or truncated file
            (:mod:`cgnet_mm.datasets.file_check`). Default: True.
        **kwargs: The rest of :class:`mmseg.datasets.CityscapesDataset`'s
            arguments (``ignore_index`` default 255).
    """
    LABEL_IDS = 'train ids'
    LABEL_FIX = ('Labels must be the *_gtFine_labelTrainIds.png files that '
                 '`mim run mmseg cityscapes <data_root>` writes (not '
                 '*_labelIds.png); regenerate them, or fix or remove this '
                 'file.')

    def __init__(self,
                 img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labelTrainIds.png',
                 check_labels: bool = True,
                 **kwargs):
        super().__init__(img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix,
                         check_labels=check_labels, **kwargs)
