"""`cgnet-mm convert --from sgcpnet` against a re-implementation of the
authors' model (tests/models/original_sgcpnet.py) with random weights."""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from cgnet_mm.apis import build_segmentor
from cgnet_mm.tools.convert import main
from cgnet_mm.tools.convert_sgcpnet import convert_sgcpnet, key_table
from cgnet_mm.utils import CheckError
from cgnet_mm.utils.zoo import ZooError, find_model, load_index
from tests.helpers import CONFIGS, REPO
from tests.models.original_sgcpnet import OriginalSGCPNet

CONFIG = osp.join(CONFIGS, 'sgcpnet_1024x1024_29k_cityscapes.py')
BIAS = 'sgcp.td.conv4_up.pointwise_conv.conv.bias'
ZOO_NAME = 'sgcpnet_1024x1024_cityscapes_authors'


def randomize(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Random weights and BN statistics scaled so the signal survives 11
    blocks and three fusion passes, and positive fusion weights so no branch
    is cut off (tests.helpers.randomize's small draw leaves the logits nearly
    constant over the image, which would hide a misplaced tensor); then
    eval mode."""
    gen = torch.Generator().manual_seed(seed)

    def uniform(shape, low, high):
        return low + (high - low) * torch.rand(shape, generator=gen)

    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.dtype.is_floating_point:
                continue
            if tensor.dim() == 4:  # conv: He-scaled
                std = (2 / tensor[0].numel())**.5
                tensor.copy_(torch.randn(tensor.shape, generator=gen) * std)
            elif name.endswith(('running_var', 'bn.weight')) or \
                    re.search(r'\.(bn\d|\d)\.weight$', name):
                tensor.copy_(uniform(tensor.shape, 0.3, 1.0))
            elif re.search(r'p\d_w\d$', name):
                tensor.copy_(uniform(tensor.shape, 0.1, 1.1))
            else:  # biases and running means
                tensor.copy_(torch.randn(tensor.shape, generator=gen) * 0.5)
    return model.eval()


@pytest.fixture(scope='module')
def original():
    return randomize(OriginalSGCPNet(num_classes=19), seed=5)


def authors_checkpoint(model, **extra) -> dict:
    """Their format: DataParallel's state dict under 'segmenter'."""
    return dict(segmenter={f'module.{k}': v
                           for k, v in model.state_dict().items()},
                epoch_start=349, **extra)


def head_logits(model, x):
    """Our logits at 1/8, before the resize to the input: what their
    forward returns."""
    with torch.no_grad():
        return model.decode_head(model.extract_feat(x))


def test_reference_has_the_authors_parameter_count(original):
    assert sum(p.numel() for p in original.parameters()) == 607_826


def test_cli_converts_and_logits_equal_authors(original, tmp_path):
    src, dst = tmp_path / 'cityscapes.pth.tar', tmp_path / 'out' / 'sgcp.pth'
    torch.save(authors_checkpoint(original, best_val=70.1), src)
    main(['--from', 'sgcpnet', str(src), str(dst)])
    saved = torch.load(dst, weights_only=True)
    assert saved['meta']['converted_from'] == 'zhouyuan888888/SGCPNet'
    assert saved['meta']['sgcpnet'] == dict(epoch_start=349, num_classes=19)
    model = build_segmentor(Config.fromfile(CONFIG), str(dst))  # strict
    x = torch.randn(2, 3, 97, 131)
    theirs = original(x)
    ours = head_logits(model, x)
    assert ours.shape == theirs.shape == (2, 19, 13, 17)
    assert theirs.std(dim=(2, 3)).min() > 0.1  # varies over the image
    assert (ours - theirs).abs().max() <= 1e-4


def test_bias_folded_into_running_mean(original):
    converted, _ = convert_sgcpnet(authors_checkpoint(original))
    state = original.state_dict()
    node = 'decode_head.top_down.fusions.1.conv'
    mean = state['sgcp.td.conv4_up.bn.running_mean']
    assert torch.equal(converted[f'{node}.pointwise_conv.bn.running_mean'],
                       (mean.double() - state[BIAS].double()).float())
    biases = [v for k, v in converted.items()
              if k.endswith('depthwise_conv.conv.bias')]
    assert len(biases) == 12 and not any(b.any() for b in biases)


def test_unfolded_bias_would_show(original):
    """The parity test can see a bias left out: dropping one changes the
    logits by far more than its tolerance."""
    checkpoint = authors_checkpoint(original)
    converted, _ = convert_sgcpnet(checkpoint)
    state = original.state_dict()
    mean = 'decode_head.top_down.fusions.1.conv.pointwise_conv.bn.running_mean'
    converted[mean] = state['sgcp.td.conv4_up.bn.running_mean']
    model = build_segmentor(Config.fromfile(CONFIG))
    model.load_state_dict(converted, strict=True)
    x = torch.randn(1, 3, 64, 96)
    assert (head_logits(model, x) - original(x)).abs().max() > 1e-2


def test_bare_state_dict_without_prefix(original):
    converted, info = convert_sgcpnet(original.state_dict())
    assert info == dict(num_classes=19)
    assert len(converted) == len(build_segmentor(
        Config.fromfile(CONFIG)).state_dict())


def test_every_source_key_in_the_table_once(original):
    pairs, folds = key_table()
    theirs = [t for t, _ in pairs + folds]
    assert sorted(theirs) == sorted(original.state_dict())
    ours = [o for _, o in pairs]
    assert len(set(ours)) == len(ours)
    assert len(folds) == 12


@pytest.mark.parametrize('theirs, ours', [
    ('l1.1.running_var', 'backbone.stem.bn.running_var'),
    ('l2.se.se.1.weight', 'backbone.stages.0.0.se.squeeze.conv.weight'),
    ('l2.se.se.5.bias', 'backbone.stages.0.0.se.excite.bn.bias'),
    ('l3.1.conv2.weight', 'backbone.stages.1.1.depthwise_conv.conv.weight'),
    ('l4.3.shortcut.1.running_mean',
     'backbone.stages.2.3.shortcut.bn.running_mean'),
    ('l5.2.bn3.weight', 'backbone.stages.3.2.linear_conv.bn.weight'),
    ('conv5.bias', 'backbone.projections.2.conv.bias'),
    ('sgcp.td_bu.unit.0.p3_down_channel.0.conv.weight',
     'decode_head.lateral_convs.0.conv.weight'),
    ('sgcp.td_bu.unit.0.p5_to_p6.1.running_var',
     'decode_head.p6_conv.bn.running_var'),
    ('sgcp.td_bu.unit.0.p5_down_channel_2.0.conv.bias',
     'decode_head.bottom_up_laterals.1.conv.bias'),
    ('sgcp.td_bu.unit.0.p6_w1',
     'decode_head.guided_top_down.fusions.3.weight'),
    ('sgcp.td_bu.unit.0.p7_w2',
     'decode_head.guided_bottom_up.fusions.3.weight'),
    ('sgcp.td_bu.unit.0.conv4_down.depthwise_conv.conv.weight',
     'decode_head.guided_bottom_up.fusions.0.conv.depthwise_conv.conv.weight'),
    ('sgcp.td.conv3_up.bn.weight',
     'decode_head.top_down.fusions.0.conv.pointwise_conv.bn.weight'),
    ('classifier.bias', 'decode_head.conv_seg.bias'),
])
def test_key_table(theirs, ours):
    assert dict(key_table()[0])[theirs] == ours


def test_extra_key_is_named(original):
    checkpoint = authors_checkpoint(original)
    checkpoint['segmenter']['module.sgcp.td.conv7_down.bn.weight'] = \
        torch.ones(64)
    with pytest.raises(CheckError, match=r'no conversion rule .*: '
                       r'sgcp\.td\.conv7_down\.bn\.weight$'):
        convert_sgcpnet(checkpoint)


def test_missing_key_is_named(original):
    checkpoint = authors_checkpoint(original)
    del checkpoint['segmenter'][f'module.{BIAS}']
    with pytest.raises(CheckError, match=r'lacks parameters SGCPNet needs: '
                       rf'{BIAS}$'):
        convert_sgcpnet(checkpoint)


def test_wrong_shape_is_named(original):
    checkpoint = authors_checkpoint(original)
    checkpoint['segmenter']['module.l3.0.conv1.weight'] = torch.zeros(
        72, 24, 1, 1)
    with pytest.raises(CheckError, match=r'shapes differ from SGCPNet with '
                       r'19 classes: l3\.0\.conv1\.weight \(72, 24, 1, 1\) '
                       r'!= \(72, 16, 1, 1\)$'):
        convert_sgcpnet(checkpoint)


def test_cli_missing_key_is_one_error_line(original, tmp_path, capsys):
    checkpoint = authors_checkpoint(original)
    del checkpoint['segmenter']['module.l1.0.weight']
    torch.save(checkpoint, tmp_path / 'bad.pth.tar')
    dst = tmp_path / 'out.pth'
    with pytest.raises(SystemExit, match=r'error: .*lacks parameters SGCPNet '
                       r'needs: l1\.0\.weight'):
        main(['--from', 'sgcpnet', str(tmp_path / 'bad.pth.tar'), str(dst)])
    assert not dst.exists()


def test_not_a_state_dict():
    with pytest.raises(CheckError, match=r"expected the SGCPNet authors' "
                       r"checkpoint \{'segmenter'"):
        convert_sgcpnet(dict(segmenter=dict(epoch=3)))


def test_zoo_entry_names_the_source_and_has_no_download():
    entry = load_index()[ZOO_NAME]
    assert 'Weights' not in entry and 'SHA256' not in entry
    assert entry['Converted From']['Code'] == \
        'https://github.com/zhouyuan888888/SGCPNet'
    model = build_segmentor(Config.fromfile(osp.join(REPO, entry['Config'])))
    assert entry['Metadata']['Parameters'] == sum(
        p.numel() for p in model.parameters())
    with pytest.raises(ZooError, match=r'no weights to download: get the '
                       r'file from https://drive\.google\.com/drive/folders/'
                       r'1VuN_qSXjU3A1vQhT1JJH4PZbdJcHmdO2.* `cgnet-mm '
                       'convert`'):
        find_model(ZOO_NAME)
