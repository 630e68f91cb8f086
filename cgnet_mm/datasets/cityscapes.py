"""Cityscapes (Cordts et al., CVPR 2016) with its files checked when the
dataset is built: mmseg's ``CityscapesDataset`` (19 train ids, 255
ignored) reads labels only while training or testing runs, so a stray
value crashes training mid-run or silently lowers the mIoU of a test.
"""
from typing import List

from mmseg.datasets import CityscapesDataset as MMSegCityscapesDataset

from cgnet_mm.registry import DATASETS

from .file_check import check_files

TRAIN_IDS_FIX = ('Labels must be the *_gtFine_labelTrainIds.png files that '
                 '`mim run mmseg cityscapes <data_root>` writes (not '
                 '*_labelIds.png); regenerate them, or fix or remove this '
                 'file.')


@DATASETS.register_module()
class CityscapesDataset(MMSegCityscapesDataset):
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

    def __init__(self,
                 img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labelTrainIds.png',
                 check_labels: bool = True,
                 **kwargs):
        self.check_labels = check_labels
        super().__init__(img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if self.check_labels:
            num = len(self.METAINFO['classes']) + int(self.reduce_zero_label)
            check_files(
                [(d['img_path'], d['seg_map_path']) for d in data_list],
                [*range(num), self.ignore_index], 'Cityscapes',
                f'train ids 0-{num - 1} or {self.ignore_index} (ignored)',
                TRAIN_IDS_FIX)
        return data_list
