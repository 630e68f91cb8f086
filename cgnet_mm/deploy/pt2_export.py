"""Export a fast CPU path as an AOTInductor package (``.pt2``) that checks
itself before it is written.

The package holds the compiled kernels of :func:`fast_module`'s graph
(fp32 or int8), so the target machine needs torch (the same version) but
no compiler and no mmseg: ``torch._inductor.aoti_load_package(path)``
returns a callable with the ONNX export's input and output contract. The
package is loaded back and compared with the eager segmentor on a
real-looking image and held to the limits of :mod:`.verify`.
"""
import os.path as osp
import tempfile
from typing import Dict, Optional, Sequence

import torch

from .fast import Calibration, dynamic_hw, check_mode, fast_module
from .verify import (PREPROCESSING, ExportError, real_looking_input,
                     worst_figures, write_verified)
from .wrapper import ExportableSegmentor, agreement


def export_pt2(segmentor: torch.nn.Module, out: str, mode: str,
               shape: Sequence[int] = (512, 1024), dynamic: bool = False,
               calibration: Calibration = None,
               image: Optional[str] = None,
               metadata: Optional[dict] = None) -> Dict[str, float]:
    """Compiles ``mode``'s graph into ``out`` once it has passed the check;
    returns the worst figures over the checked sizes."""
    check_mode(mode)
    if not out.endswith('.pt2'):
        raise ExportError(f'--out {out!r}: a fast-path export is an '
                          'AOTInductor package and its name must end in '
                          '.pt2 (without --fast the export is ONNX)')
    h, w = (int(v) for v in shape)
    reference = ExportableSegmentor(segmentor)
    graph = fast_module(segmentor, mode, calibration)
    meta = dict(preprocessing=PREPROCESSING, fast=mode, **(metadata or {}))
    meta = {k: v if isinstance(v, str) else repr(v) for k, v in meta.items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'model.pt2')
        try:
            with torch.no_grad():
                program = torch.export.export(
                    graph, (real_looking_input((h, w), image), ),
                    dynamic_shapes=dynamic_hw() if dynamic else None)
                torch._inductor.aoti_compile_and_package(
                    program, package_path=path, inductor_configs={
                        'freezing': True, 'aot_inductor.metadata': meta})
            package = torch._inductor.aoti_load_package(path)
        except Exception as err:  # export and inductor raise many types
            raise ExportError(f'compiling the {mode} package failed, nothing '
                              f'was written: {type(err).__name__}: '
                              f'{err}') from err
        with torch.no_grad():
            worst = worst_figures(
                lambda x: agreement(package(x), reference(x)), (h, w),
                dynamic, image)
        write_verified({path: out}, worst, mode)
    return worst
