"""Accuracy of any inference path on real data: mIoU of an image -> logits
callable over a CamVid split, so a fast path can be held to its fp32
baseline."""
from typing import Callable

import cv2
import numpy as np
import torch
from mmseg.evaluation.metrics import IoUMetric

from cgnet_mm.datasets import CamVidDataset

from .wrapper import as_input


def camvid_miou(predict: Callable[[torch.Tensor], torch.Tensor], root: str,
                split: str = 'val') -> float:
    """mIoU (%) of ``predict`` (BGR float (1, 3, H, W), 0-255 -> logits at
    that size) on ``root/<split>`` at the images' own size, void ignored."""
    dataset = CamVidDataset(
        data_root=root, check_labels=False, pipeline=[],
        data_prefix=dict(img_path=split, seg_map_path=split + 'annot'))
    classes = len(CamVidDataset.METAINFO['classes'])
    areas = []
    with torch.no_grad():
        for index in range(len(dataset)):
            item = dataset.get_data_info(index)
            label = cv2.imread(item['seg_map_path'], cv2.IMREAD_GRAYSCALE)
            label = torch.from_numpy(label.astype(np.int64))
            label[label == CamVidDataset.VOID] = 255
            image = as_input(cv2.imread(item['img_path']))
            pred = predict(image).argmax(1)[0]
            areas.append(IoUMetric.intersect_and_union(pred, label, classes,
                                                       255))
    totals = [sum(a[i] for a in areas) for i in range(4)]
    iou = IoUMetric.total_area_to_metrics(*totals, ['mIoU'])['IoU']
    return float(np.nanmean(iou) * 100)
