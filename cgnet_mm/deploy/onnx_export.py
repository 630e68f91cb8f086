"""ONNX export that checks its own output.

The exported graph is the whole segmentor (preprocessing included, see
:class:`ExportableSegmentor`). Before the file is written, ``onnx.checker``
validates it and onnxruntime's logits are compared with torch's on a
real-looking image: a model whose max abs logit difference exceeds 1e-4 or
whose argmax agrees on fewer than 99.9% of pixels is refused
(:mod:`.verify`).
"""
import json
import os.path as osp
import tempfile
from typing import Dict, Optional, Sequence

import torch

from .verify import (PREPROCESSING, ExportError, real_looking_input,
                     worst_figures, write_verified)
from .wrapper import ExportableSegmentor, agreement


def compare(session, model: torch.nn.Module,
            image: torch.Tensor) -> Dict[str, float]:
    """Max abs logit difference and argmax agreement, onnxruntime vs torch."""
    ort_logits = session.run(None, {'image': image.numpy()})[0]
    with torch.no_grad():
        return agreement(torch.from_numpy(ort_logits), model(image))


def onnx_graph(model: ExportableSegmentor, sample: torch.Tensor,
               dynamic: bool, path: str):
    """Exports ``model`` to ONNX at ``path`` (traced on ``sample``; any
    height and width when ``dynamic``) and returns the proto once
    ``onnx.checker`` has passed it. The OpenVINO export starts from it."""
    import onnx
    dims = torch.export.Dim.DYNAMIC
    try:
        torch.onnx.export(
            model, (sample, ), path, input_names=['image'],
            output_names=['logits'], dynamo=True, external_data=False,
            dynamic_shapes={'image': {2: dims, 3: dims}} if dynamic else None)
        proto = onnx.load(path)
        onnx.checker.check_model(proto, full_check=True)
    except Exception as err:  # exporter and checker raise many types
        raise ExportError(f'ONNX export failed, nothing was written: '
                          f'{type(err).__name__}: {err}') from err
    return proto


def as_exportable(segmentor: torch.nn.Module) -> ExportableSegmentor:
    """``segmentor`` as the image -> logits module every export takes."""
    return segmentor if isinstance(segmentor, ExportableSegmentor) \
        else ExportableSegmentor(segmentor)


def export_onnx(segmentor: torch.nn.Module, out: str,
                shape: Sequence[int] = (512, 1024), dynamic: bool = False,
                image: Optional[str] = None,
                metadata: Optional[dict] = None) -> Dict[str, float]:
    """Exports, verifies and only then writes ``out``. Returns the worst
    figures over the checked input sizes (two sizes when ``dynamic``)."""
    import onnx
    import onnxruntime as ort
    model = as_exportable(segmentor)
    h, w = (int(v) for v in shape)
    sample = real_looking_input((h, w), image)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'model.onnx')
        proto = onnx_graph(model, sample, dynamic, path)
        meta = dict(preprocessing=PREPROCESSING, **(metadata or {}))
        for key, value in meta.items():
            proto.metadata_props.add(
                key=key,
                value=value if isinstance(value, str) else json.dumps(value))
        onnx.save(proto, path)
        session = ort.InferenceSession(path,
                                       providers=['CPUExecutionProvider'])
        worst = worst_figures(lambda x: compare(session, model, x), (h, w),
                              dynamic, image)
        write_verified({path: out}, worst, 'fp32', what='onnxruntime',
                       against='torch')
    return worst
