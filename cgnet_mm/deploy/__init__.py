"""Deployment: export to ONNX with self-verification."""
from .onnx_export import ExportError, export_onnx
from .wrapper import ExportableSegmentor

__all__ = ['ExportError', 'ExportableSegmentor', 'export_onnx']
