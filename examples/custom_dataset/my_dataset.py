"""An example dataset for docs/custom_dataset.md: three classes, JPEG images
under ``images/<split>/`` and single-channel PNG labels of the same stem
under ``labels/<split>/``. Label values are the class ids 0-2; 255 marks
pixels to ignore.

It is registered in MMSegmentation's registry, the scope cgnet_mm configs
build in (``default_scope = 'mmseg'``), so a config names it
``type='MyDataset'`` once ``custom_imports`` has imported this module.
"""
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from cgnet_mm.datasets import LabelCheckMixin


@DATASETS.register_module()
class MyDataset(LabelCheckMixin, BaseSegDataset):
    """Background, road and car; label 255 is ignored.

    Args:
        img_suffix (str): Image file suffix. Default: '.jpg'.
        seg_map_suffix (str): Label file suffix. Default: '.png'.
        reduce_zero_label (bool): True when raw 0 means "unlabelled" and
            the classes are 1-3 in the files. Default: False.
        check_labels (bool): Read every image and label once when the
            dataset is built and stop at the first bad one, naming it
            (:class:`cgnet_mm.datasets.LabelCheckMixin`). Default: True.
        **kwargs: The rest of :class:`mmseg.datasets.BaseSegDataset`'s
            arguments.
    """
    METAINFO = dict(
        classes=('background', 'road', 'car'),
        palette=[[0, 0, 0], [128, 64, 128], [0, 0, 142]])

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 check_labels: bool = True,
                 **kwargs):
        super().__init__(img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label,
                         check_labels=check_labels, **kwargs)
