"""Deployment: fast CPU paths, and exports (ONNX, AOTInductor) that verify
themselves before writing."""
from .fast import FAST_MODES, FastPathError, FastSegmentor, fast_module
from .onnx_export import ExportError, export_onnx
from .pt2_export import export_pt2
from .wrapper import ExportableSegmentor

__all__ = [
    'ExportError', 'ExportableSegmentor', 'FAST_MODES', 'FastPathError',
    'FastSegmentor', 'export_onnx', 'export_pt2', 'fast_module'
]
