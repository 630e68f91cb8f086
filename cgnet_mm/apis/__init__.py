from cgnet_mm.utils.images import DEMO_IMAGE, read_bgr

from .inference import (build_segmentor, draw_legend, draw_overlay,
                        init_segmentor, segment, shipped_checkpoint)

__all__ = [
    'DEMO_IMAGE', 'build_segmentor', 'draw_legend', 'draw_overlay', 'init_segmentor',
    'read_bgr', 'segment', 'shipped_checkpoint'
]
