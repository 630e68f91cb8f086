"""``norm_eval`` as mmseg's backbones have it, once for every backbone."""
from mmengine.model import BaseModule
from mmengine.utils.dl_utils.parrots_wrapper import _BatchNorm


class NormEvalBackbone(BaseModule):
    """A backbone whose BN layers stay in eval mode (frozen statistics)
    during training when ``self.norm_eval`` is True, e.g. for fine-tuning
    with small batches."""

    norm_eval = False

    def train(self, mode: bool = True):
        """Sets train mode, keeping norm layers frozen if ``norm_eval``."""
        super().train(mode)
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
