"""CamVid (Brostow et al., PRL 2009) in the 11-class SegNet layout, as used
by the CGNet paper: 360x480 road scenes, classes 0-10, void = 11.

Expected tree under ``data_root`` (any subset of the splits)::

    train/  trainannot/   (367 images)
    val/    valannot/     (101)
    test/   testannot/    (233)

Images are .png or .jpg, annotations single-channel .png with the same
stem. Void (11) becomes the ignore index 255 on loading, so losses and
metrics skip it.
"""
import os
import os.path as osp
from typing import List, Optional

from mmseg.datasets import BaseSegDataset

from cgnet_mm.registry import DATASETS

from .file_check import MissingDataError
from .label_check import LabelCheckMixin

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg')


LAYOUT = ('expected a SegNet-style CamVid tree: <data_root>/{train,val,test}'
          '/*.png|jpg with <data_root>/{train,val,test}annot/*.png')


@DATASETS.register_module()
class CamVidDataset(LabelCheckMixin, BaseSegDataset):
    """CamVid, 11 classes; label 11 (void) is ignored (mapped to 255).

    Args:
        data_prefix (dict): ``img_path`` and ``seg_map_path`` folders, e.g.
            ``dict(img_path='train', seg_map_path='trainannot')``.
        check_labels (bool): Read every image and annotation once when the
            dataset is built and stop at the first bad one, naming it:
            values other than 0-11 (and 255), a size other than the
            image's, an unreadable or truncated file
            (:class:`cgnet_mm.datasets.label_check.LabelCheckMixin`).
            Default: True.
        **kwargs: The rest of :class:`mmseg.datasets.BaseSegDataset`'s
            arguments.
    """
    METAINFO = dict(
        classes=('Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree',
                 'SignSymbol', 'Fence', 'Car', 'Pedestrian', 'Bicyclist'),
        palette=[[128, 128, 128], [128, 0, 0], [192, 192, 128],
                 [128, 64, 128], [60, 40, 222], [128, 128, 0],
                 [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0],
                 [0, 128, 192]])
    VOID = 11
    LABEL_FIX = ('Use the SegNet CamVid annotations (*annot/ folders), or '
                 'fix or remove this file.')

    def label_values(self) -> List[int]:
        """The class ids, void and ``ignore_index``."""
        return [*super().label_values(), self.VOID]

    def expected_labels(self) -> str:
        return f'0-{self.VOID - 1} and {self.VOID} (void)'

    @classmethod
    def get_label_map(cls, new_classes: Optional[List[str]] = None) -> dict:
        """mmseg's mapping for a custom class subset, plus void -> 255."""
        label_map = super().get_label_map(new_classes) or {}
        label_map.setdefault(cls.VOID, 255)
        return label_map

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', '')
        for folder in (img_dir, ann_dir):
            if not osp.isdir(folder):
                raise MissingDataError(
                    f'CamVid folder {folder!r} does not exist; {LAYOUT}')
        data_list = []
        for name in sorted(os.listdir(img_dir)):
            stem, ext = osp.splitext(name)
            if ext.lower() not in IMG_EXTENSIONS:
                continue
            seg_map = osp.join(ann_dir, stem + '.png')
            if not osp.isfile(seg_map):
                raise MissingDataError(
                    f'CamVid image {osp.join(img_dir, name)!r} has no '
                    f'annotation {seg_map!r}; add it or remove the image')
            data_list.append(
                dict(img_path=osp.join(img_dir, name), seg_map_path=seg_map,
                     label_map=self.label_map,
                     reduce_zero_label=self.reduce_zero_label,
                     seg_fields=[]))
        if not data_list:
            raise MissingDataError(f'no .png/.jpg image in {img_dir!r}; '
                                   f'{LAYOUT}')
        return data_list
