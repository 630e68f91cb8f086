"""Shared model tester (the shape of smp's tests/models/base.py): every
model family runs the same checks through one of its real Cityscapes
configs; its test file is a subclass naming the config and its figures.

Checks: build from config (parameter count), a `cgnet-mm benchmark` row,
decode-head output at the head's stride and logits at the input size, a
gradient for every parameter, ONNX and OpenVINO (fp32, NNCF int8) export
parity, the fast fp32 and int8 CPU paths, hash-checked loading from a URL,
`mim train` / kill / `--resume` / `mim test`, and, for a family whose
CamVid weights ship in the package (a zoo entry of its collection with its
file there), their hash and size against the zoo entry, offline use by zoo
name and their val mIoU on the real CamVid (when ../shared has it).
mmseg's TTA runs once, for CGNet (tests/tools/test_tta_and_benchmark.py).
"""
import hashlib
import os.path as osp
from typing import Optional, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.runner import Runner
from mmseg.registry import MODELS

from cgnet_mm.apis import (DEMO_IMAGE, build_segmentor, init_segmentor,
                           segment, shipped_checkpoint)
from cgnet_mm.deploy import (ExportableSegmentor, FastSegmentor, export_onnx,
                             export_openvino)
from cgnet_mm.deploy.fast import FastPathError
from cgnet_mm.deploy.onnx_export import real_looking_input
from cgnet_mm.tools.benchmark import benchmark_config
from cgnet_mm.utils.zoo import ZooError, find_model, load_index, sha256_of
from tests.e2e.mim_flow import needs_mim, train_kill_resume_test
from tests.helpers import (CONFIGS, params_without_grad, randomize,
                           seeded_model, serve_directory, shared_or_skip,
                           shipped_zoo_names)


class ModelTester:
    """Subclasses set ``config`` (a Cityscapes config in configs/), the
    family's zoo ``collection``, the expected ``num_params`` and the decode
    head's ``output_stride``."""

    config: str
    collection: str
    num_params: int
    output_stride: int = 8
    # > 128 per side: the dynamic int8 graph, exported on the calibration
    # photo, has no case for SGCPNet's P7 (1/128) of size 1
    image_size: Tuple[int, int] = (136, 160)
    # int8 on random weights: logits close to fp32, argmax not meaningful
    int8_min_cosine: float = 0.9
    # the smallest side the dynamic int8 graph runs (deepest stride + 1);
    # None: not pinned
    int8_smallest_side: Optional[int] = None
    # parameters whose gradient is zero on the first step by design (a
    # zero-initialised layer after them); the others must all get one
    no_grad_at_init: Tuple[str, ...] = ()
    # a test module that already checks both fast paths on trained weights
    # (compiling a model costs minutes on 2 cores: not twice)
    fast_paths_checked_by: Optional[str] = None
    # the largest file of shipped weights the family's issue allows, in MiB
    shipped_max_mib: float = 0.0

    def _skip_if_fast_paths_checked(self):
        if self.fast_paths_checked_by:
            pytest.skip('the fast paths of this model are checked on its '
                        f'shipped weights by {self.fast_paths_checked_by}')

    @property
    def config_path(self) -> str:
        return osp.join(CONFIGS, self.config)

    @pytest.fixture(scope='class')
    def segmentor(self):
        """Random weights and BN statistics (seeded), eval mode."""
        model = revert_sync_batchnorm(
            MODELS.build(Config.fromfile(self.config_path).model))
        return randomize(model, seed=3)

    def test_builds_with_expected_parameters(self, segmentor):
        assert sum(p.numel() for p in segmentor.parameters()) == \
            self.num_params

    @pytest.mark.parametrize('size', [(64, 96), (61, 83)])
    def test_head_stride_and_logits_at_input_size(self, segmentor, size):
        x = torch.rand(1, 3, *size)
        with torch.no_grad():
            head = segmentor.decode_head(segmentor.backbone(x))
            logits = ExportableSegmentor(segmentor)(x * 255)
        classes = segmentor.decode_head.num_classes
        stride = self.output_stride
        assert head.shape == (1, classes, -(-size[0] // stride),
                              -(-size[1] // stride))
        assert logits.shape == (1, classes, *size)

    @pytest.mark.slow
    def test_benchmark_row(self):
        """`cgnet-mm benchmark` takes the config: counts, memory, latency."""
        row = benchmark_config(self.config_path, shape=self.image_size,
                               warmup=0, repeat=1)
        assert row['params'] == self.num_params
        assert row['flops'] > 0 and row['mem_mib_cpu'] > 0
        assert row['latency_ms_cpu'] > 0

    def test_every_parameter_gets_a_gradient(self):
        cfg = Config.fromfile(self.config_path)
        cfg.model.data_preprocessor.size = (64, 64)
        model = seeded_model(cfg)
        assert sorted(params_without_grad(
            model, cfg.model.decode_head.num_classes)) == \
            sorted(self.no_grad_at_init)

    @pytest.mark.slow
    def test_onnx_export_parity(self, segmentor, tmp_path):
        pytest.importorskip('onnxruntime', reason='onnxruntime not '
                            'installed (deploy extra)')
        out = tmp_path / 'model.onnx'
        figures = export_onnx(segmentor, str(out), self.image_size,
                              dynamic=True)
        assert out.exists()
        assert figures['max_abs_diff'] <= 1e-4
        assert figures['argmax_agreement'] >= 0.999

    @pytest.mark.slow
    @pytest.mark.parametrize('int8', [False, True], ids=['fp32', 'int8'])
    def test_openvino_export_parity(self, segmentor, tmp_path, int8):
        pytest.importorskip('openvino', reason='openvino not installed '
                            '(openvino extra)')
        pytest.importorskip('nncf', reason='nncf not installed (openvino '
                            'extra)')
        out = tmp_path / 'model.xml'
        # static: the dynamic ONNX graph is checked above, and exporting it
        # costs ~3x the time (the dynamic IR: tests/deploy, on CGNet); int8
        # without the final resize, so both IR shapes are held to torch
        figures = export_openvino(segmentor, str(out), self.image_size,
                                  int8=int8, resize=not int8)
        assert out.exists() and (tmp_path / 'model.bin').exists()
        if int8:
            assert figures['argmax_agreement'] >= 0.97
        else:
            assert figures['max_abs_diff'] <= 1e-4
            assert figures['argmax_agreement'] >= 0.999

    @pytest.mark.slow
    def test_fast_fp32_equals_eager(self, segmentor):
        self._skip_if_fast_paths_checked()
        image = real_looking_input(self.image_size)
        with torch.no_grad():
            ref = ExportableSegmentor(segmentor)(image)
        out = FastSegmentor(segmentor, 'fp32')(image)
        assert out.shape == ref.shape
        assert (out - ref).abs().max() <= 1e-4

    @pytest.mark.slow
    def test_fast_int8_is_quantized_and_close(self, segmentor):
        self._skip_if_fast_paths_checked()
        pytest.importorskip('torchao', reason='torchao not installed '
                            '(deploy extra): the int8 path needs it')
        image = real_looking_input(self.image_size)
        with torch.no_grad():
            ref = ExportableSegmentor(segmentor)(image)
        fast = FastSegmentor(segmentor, 'int8')
        out = fast(image)
        ops = {str(node.target) for node in fast.module.graph.nodes}
        assert any('quantize_per_tensor' in op for op in ops)
        assert out.shape == ref.shape
        cosine = torch.nn.functional.cosine_similarity(
            out.flatten(), ref.flatten(), dim=0)
        assert cosine >= self.int8_min_cosine
        if self.int8_smallest_side:
            side = fast.smallest_side
            assert side == self.int8_smallest_side
            with pytest.raises(FastPathError, match=rf'sides are at least '
                               rf'{side} px for this model; this one is '
                               rf'{side - 1}x{self.image_size[1]}'):
                fast(real_looking_input((side - 1, self.image_size[1])))

    def test_hash_checked_loading_from_url(self, segmentor, tmp_path,
                                           monkeypatch):
        root = tmp_path / 'www'
        root.mkdir()
        tmp = root / 'tmp.pth'
        torch.save({'state_dict': segmentor.state_dict()}, tmp)
        data = tmp.read_bytes()
        sha = hashlib.sha256(data).hexdigest()[:8]
        tmp.rename(root / f'model-{sha}.pth')
        bad = bytearray(data)
        bad[len(bad) // 2] ^= 0xFF
        (root / f'bad-{sha}.pth').write_bytes(bytes(bad))
        monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
        cfg = Config.fromfile(self.config_path)
        with serve_directory(root) as base:
            loaded = build_segmentor(cfg, f'{base}/model-{sha}.pth')
            with pytest.raises(ZooError, match=rf"bad-{sha}\.pth' is "
                               r'corrupted or incomplete'):
                build_segmentor(cfg, f'{base}/bad-{sha}.pth')
        ours = segmentor.state_dict()
        assert all(torch.equal(v, ours[k])
                   for k, v in loaded.state_dict().items())

    @pytest.mark.slow
    @pytest.mark.e2e
    @needs_mim
    def test_mim_train_kill_resume_test(self, cityscapes, tmp_path):
        train_kill_resume_test(self.config_path, cityscapes, tmp_path)

    def _shipped_or_skip(self) -> str:
        """The family's zoo entry whose weights ship in the package."""
        index = load_index()
        names = [name for name in shipped_zoo_names()
                 if index[name]['In Collection'] == self.collection]
        if not names:
            pytest.skip(f'no trained {self.collection} weights ship in the '
                        'package')
        return names[0]

    def test_shipped_weights_match_zoo_entry(self):
        name = self._shipped_or_skip()
        config, ckpt = shipped_checkpoint(name)
        entry = find_model(name)
        assert sha256_of(ckpt) == entry['SHA256']
        assert osp.basename(ckpt).endswith(f'-{entry["SHA256"][:8]}.pth')
        assert osp.getsize(ckpt) <= self.shipped_max_mib * 2**20
        assert entry['Metadata']['Parameters'] == sum(
            p.numel() for p in build_segmentor(Config.fromfile(config),
                                               ckpt).parameters())

    def test_shipped_model_segments_offline_by_name(self):
        model = init_segmentor(self._shipped_or_skip())
        label = segment(model, DEMO_IMAGE)
        # a trained model finds several classes in the road scene
        assert len(set(label.flatten().tolist())) >= 4

    @pytest.mark.slow
    def test_shipped_val_miou_at_least_reported(self, tmp_path):
        """The weights reach the zoo entry's CamVid val mIoU minus 0.5."""
        name = self._shipped_or_skip()
        root = shared_or_skip('data', 'camvid')
        config, ckpt = shipped_checkpoint(name)
        cfg = Config.fromfile(config)
        cfg.test_dataloader.dataset.data_root = root
        cfg.test_dataloader.num_workers = 0
        cfg.test_dataloader.persistent_workers = False
        cfg.load_from = ckpt
        cfg.work_dir = str(tmp_path)
        metrics = Runner.from_cfg(cfg).test()
        reported = find_model(name)['Results']['Metrics']['mIoU']
        assert metrics['mIoU'] >= reported - 0.5
