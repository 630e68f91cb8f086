"""The one way a cgnet_mm dataset checks its files when it is built.

mmseg reads labels only while training or testing runs, so a stray value
crashes training mid-run (``IndexError: Target 199 is out of bounds``,
naming no file) or silently lowers the mIoU of a test. A dataset that
inherits :class:`LabelCheckMixin` first reads every sample once
(:func:`cgnet_mm.datasets.file_check.check_files`) and stops at the first
bad one, naming the file, its values and the fix. The allowed values come
from the dataset's own ``METAINFO`` classes, ``reduce_zero_label`` and
``ignore_index``, so a new dataset gets a correct check by subclassing.
"""
from typing import List

from .file_check import check_files


class LabelCheckMixin:
    """Checks every image and label of a segmentation dataset once, when
    it is built. Put it before the mmseg dataset class in the bases, e.g.
    ``class ADE20KDataset(LabelCheckMixin, mmseg.datasets.ADE20KDataset)``.

    The check runs as the filter step of mmengine's ``full_init``, so it
    sees whatever ``load_data_list`` listed, and a lazily built dataset is
    checked when it initialises.

    Args:
        check_labels (bool): Read every image and label and stop at the
            first bad one: a missing label, a value outside
            :meth:`label_values`, a size other than the image's, an
            unreadable or truncated file. Default: True.
        **kwargs: The dataset's own arguments.
    """
    LABEL_IDS = 'class ids'  # what the label values are called, in messages
    LABEL_FIX = 'Fix or remove this file.'  # what to do about a bad label

    def __init__(self, *args, check_labels: bool = True, **kwargs):
        self.check_labels = check_labels
        super().__init__(*args, **kwargs)

    def label_values(self) -> List[int]:
        """The raw values a label file may hold: the full class list's ids
        and ``ignore_index`` (a custom class subset remaps them after
        loading). With ``reduce_zero_label`` mmseg's ``LoadAnnotations``
        turns raw 0 and 255 into 255 and any other raw v into class v - 1,
        so raw 0 to ``num_classes`` and 255 are allowed."""
        num = len(self.METAINFO['classes'])
        if self.reduce_zero_label:
            return [*range(num + 1), 255]
        return [*range(num), self.ignore_index]

    def expected_labels(self) -> str:
        """:meth:`label_values` in words, for the error message."""
        num = len(self.METAINFO['classes'])
        if self.reduce_zero_label:
            return (f'{self.LABEL_IDS} 1-{num}, or 0 and 255 (ignored; '
                    'reduce_zero_label)')
        return f'{self.LABEL_IDS} 0-{num - 1} or {self.ignore_index} (ignored)'

    def filter_data(self) -> List[dict]:
        data_list = super().filter_data()
        if self.check_labels:
            check_files(
                [(d['img_path'], d['seg_map_path']) for d in data_list],
                self.label_values(),
                type(self).__name__.removesuffix('Dataset'),
                self.expected_labels(), self.LABEL_FIX)
        return data_list
