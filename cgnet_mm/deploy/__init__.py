"""Deployment: fast CPU paths, and exports (ONNX, OpenVINO IR, AOTInductor)
that verify themselves before writing.

Names are imported on first use (PEP 562): importing the package, or one
light submodule, does not pull in inductor, onnx or OpenVINO.
"""
import importlib

_HOMES = {
    'FAST_MODES': 'modes', 'FastPathError': 'fast', 'FastSegmentor': 'fast',
    'fast_module': 'fast', 'ExportError': 'verify',
    'export_onnx': 'onnx_export', 'OpenVINOSegmentor': 'openvino_export',
    'export_openvino': 'openvino_export', 'export_pt2': 'pt2_export',
    'ExportableSegmentor': 'wrapper'
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'.{_HOMES[name]}', __name__), name)
