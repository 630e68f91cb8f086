"""ADE20K (Zhou et al., CVPR 2017), the 150-class SceneParsing benchmark
(ADEChallengeData2016): mmseg's ``ADE20KDataset`` with its files checked
when it is built (:class:`cgnet_mm.datasets.label_check.LabelCheckMixin`).

Raw labels hold 0 ("other") and the classes 1-150; with mmseg's
``reduce_zero_label`` they load as 255 (ignored) and 0-149.
"""
from mmseg.datasets import ADE20KDataset as MMSegADE20KDataset

from cgnet_mm.registry import DATASETS

from .label_check import LabelCheckMixin


@DATASETS.register_module()
class ADE20KDataset(LabelCheckMixin, MMSegADE20KDataset):
    """mmseg's ADE20K dataset, plus a check of every image and label.

    Args:
        img_suffix (str): Image file suffix, as mmseg's (also read by
            ``cgnet-mm train``'s data check). Default: '.jpg'.
        seg_map_suffix (str): Label file suffix, as mmseg's.
            Default: '.png'.
        reduce_zero_label (bool): Load raw 0 ("other") as 255 (ignored)
            and raw class v as v - 1, as mmseg's. Default: True.
        check_labels (bool): Read every image and label once when the
            dataset is built (with a progress bar: ~20000 files for
            training) and stop at the first bad one, naming it: a missing
            label, values other than 0-150 and 255, a size other than the
            image's, an unreadable or truncated file. Default: True.
        **kwargs: The rest of :class:`mmseg.datasets.ADE20KDataset`'s
            arguments.
    """
    LABEL_FIX = ('Labels must be the annotations/*.png of '
                 'ADEChallengeData2016 (0 = other, 1-150 = classes); fix '
                 'or remove this file.')

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = True,
                 check_labels: bool = True,
                 **kwargs):
        super().__init__(img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label,
                         check_labels=check_labels, **kwargs)
