"""Deployment: fast CPU paths, and exports (ONNX, OpenVINO IR, AOTInductor)
that verify themselves before writing."""
from .fast import FAST_MODES, FastPathError, FastSegmentor, fast_module
from .onnx_export import ExportError, export_onnx
from .openvino_export import OpenVINOSegmentor, export_openvino
from .pt2_export import export_pt2
from .wrapper import ExportableSegmentor

__all__ = [
    'ExportError', 'ExportableSegmentor', 'FAST_MODES', 'FastPathError',
    'FastSegmentor', 'OpenVINOSegmentor', 'export_onnx', 'export_openvino',
    'export_pt2', 'fast_module'
]
