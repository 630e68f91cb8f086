from .checks import CheckError

__all__ = ["CheckError"]
