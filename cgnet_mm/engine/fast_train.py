"""Fast training by one switch: ``fast_train = True`` in a config (or
``--fast`` on ``cgnet-mm train`` / ``mim train``).

What it changes, through mmengine's hooks and the config, so the training
loop stays mmengine's:

- the allocator keeps freed memory (:mod:`cgnet_mm.utils.malloc`; glibc
  Linux only, the log says when it is left as is), in every training
  process: the hook sets it, so ``mim train`` and each ``--launcher`` rank
  get it too;
- channels-last model and inputs: oneDNN's convolutions on x86 and cuDNN's
  on tensor-core GPUs run fastest on NHWC; the CG block's depthwise 3x3
  convolutions and its concatenations gain most;
- ``torch.compile`` (inductor) of the segmentor's tensor work, forward and
  backward: the feature extractor and each head's ``forward``
  (:class:`FastTrainHook`);
- subnormal floats are flushed to zero (x86 FTZ/DAZ,
  :func:`flush_denormals`): as CGNet trains, some weights, gradients and
  Adam moments fall below 1.2e-38, and each operation on such a number
  takes a slow microcode path. Measured on the CamVid run's iteration-5500
  weights (2-core Intel Xeon, eager, batch 4, 2 threads): 1.9 s per step
  without, 0.9 s with; the run had slowed from 1.6 to 4.3 s per
  iteration over iterations 2500-5600;
- the training set's images are decoded once per loader worker and kept in
  memory (:class:`cgnet_mm.datasets.CachedLoading`): on 2 cores the loader
  competes with the step for the CPU;
- on CUDA only, mixed precision through mmengine's ``AmpOptimWrapper``
  (bf16 where the GPU supports it, which needs no loss scaling, else fp16
  with a dynamic loss scale). mmengine's AMP wrapper refuses CPUs; bf16
  autocast on a CPU pays only with ``avx512_bf16``/AMX, which the CPUs this
  was measured on do not expose (docs/training.md).

What was measured (a probe on one fixed batch, allocator keeping freed
memory; batch 8, 360x360, 2 threads, 2-core Intel Xeon with AVX-512, s/step;
2026-12-07): eager 2.24, channels-last 1.94, channels-last with the loss
compiled 2.22, channels-last with feature extractor and head compiled 1.52,
and with the loss compiled as well 1.64-1.75. So the switch compiles the
network and leaves the loss eager.

Why not the Runner's own ``compile`` option: it compiles all of
``train_step``, data preprocessor and loss included. The preprocessor takes
a list of images whose sizes vary with the random scale (CamVid's 0.5x crops
are smaller than 360x360), and the loss stacks per-image label objects, so
dynamo recompiled those frames at every new size until its limit of 8 and
then ran them eager: measured here, 20 minutes of a 47k CamVid run without
reaching iteration 50. The hook compiles only what takes tensors; automatic
dynamic shapes then give one graph for all batch sizes after the first
recompile.

The numerics stay fp32 on CPU, apart from subnormals read and written as
zero: eager and fast runs from one seed give the same losses up to float
re-association (tests/engine/test_fast_train.py states the tolerance).
"""
import copy
from typing import List, Optional, Union

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from cgnet_mm.datasets import cache_loading
from cgnet_mm.registry import HOOKS
from cgnet_mm.utils.config import leaf_datasets
from cgnet_mm.utils.malloc import keep_freed_memory


def flush_denormals() -> Optional[str]:
    """Makes the CPU treat subnormal floats as zero (FTZ/DAZ) in this
    thread and in every thread it starts from now on: a thread copies its
    creator's floating-point state, and torch sets it for the calling
    thread only. So call it before torch starts its thread pool (the first
    parallel operation), as ``cgnet-mm train --fast`` does before it
    builds the runner. Returns None, or why nothing changed, for the log.
    """
    if not torch.set_flush_denormal(True):
        return 'subnormal floats left as is: this CPU has no flush-to-zero'
    return None


def to_channels_last(model: nn.Module) -> nn.Module:
    """Makes ``model``'s 4-d parameters channels-last in place and its data
    preprocessor emit channels-last batches. Parameters keep their identity
    (``Module.to`` swaps ``.data``), so an optimizer built before still
    holds them."""
    model.to(memory_format=torch.channels_last)
    preprocessor = getattr(model, 'data_preprocessor', None)
    if isinstance(preprocessor, nn.Module) and not getattr(
            preprocessor, '_cgnet_mm_channels_last', False):
        preprocessor.register_forward_hook(_inputs_channels_last)
        preprocessor._cgnet_mm_channels_last = True
    return model


def _inputs_channels_last(module, args, output):
    """Forward hook: the batch a data preprocessor returns, as NHWC."""
    inputs = output.get('inputs') if isinstance(output, dict) else None
    if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
        output['inputs'] = inputs.contiguous(memory_format=torch.channels_last)
    return output


def compile_for_training(model: nn.Module, **compile_cfg) -> nn.Module:
    """Compiles, in place, ``model.extract_feat`` and each decode/auxiliary
    head's ``forward``: the tensor-only part of an mmseg segmentor's
    training step. ``compile_cfg`` goes to ``torch.compile``."""
    compiled = getattr(model, '_cgnet_mm_compiled', False)
    if compiled or not hasattr(model, 'extract_feat'):
        return model
    model.extract_feat = torch.compile(model.extract_feat, **compile_cfg)
    heads = [getattr(model, 'decode_head', None)]
    aux = getattr(model, 'auxiliary_head', None)
    heads += list(aux) if isinstance(aux, nn.ModuleList) else [aux]
    for head in heads:
        if head is not None:
            head.forward = torch.compile(head.forward, **compile_cfg)
    model._cgnet_mm_compiled = True
    return model


@HOOKS.register_module()
class FastTrainHook(Hook):
    """Channels-last and compiled training (see the module docstring).

    Acts in ``before_train``, after the weights are initialised (or a
    checkpoint resumed): random initialisers fill a tensor in memory order,
    so a channels-last model initialised from the same seed would start
    from other (permuted) weights than an eager one. The optimizer, built
    earlier, keeps the same parameter objects.

    Args:
        channels_last (bool): NHWC model and inputs. Default: True.
        compile (bool | dict): ``torch.compile`` arguments, True for
            inductor's defaults, False to leave the model uncompiled.
            Default: True.
        keep_freed_memory (bool): Set the process's allocator to keep
            freed memory (:mod:`cgnet_mm.utils.malloc`), in ``before_run``.
            Default: True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, channels_last: bool = True,
                 compile: Union[bool, dict] = True,
                 keep_freed_memory: bool = True) -> None:
        self.channels_last = channels_last
        if compile is True:
            compile = dict(backend='inductor')
        self.compile = dict(compile) if compile else None
        self.keep_freed_memory = keep_freed_memory

    def before_run(self, runner) -> None:
        runner.logger.info('fast_train: ' + (
            flush_denormals() or 'subnormal floats flushed to zero'))
        if not self.keep_freed_memory:
            return
        why_not = keep_freed_memory()
        runner.logger.info('fast_train: ' + (why_not or (
            'allocator keeps freed memory (glibc mallopt: mmap threshold '
            '1 GiB, trim threshold 2 GiB)')))

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if self.channels_last:
            to_channels_last(model)
            runner.logger.info('fast_train: model and inputs channels-last')
        if self.compile is not None:
            compile_for_training(model, **self.compile)
            runner.logger.info(
                f'fast_train: feature extractor and heads compiled '
                f'({self.compile}); the first iterations compile (minutes '
                'on a CPU)')


def enable_fast_training(cfg, cuda: Optional[bool] = None) -> List[str]:
    """Turns ``cfg`` (an mmengine Config) into its fast-training form in
    place and returns one line per change, for the log. ``cuda`` defaults
    to whether a CUDA GPU is visible. An optim wrapper other than the plain
    ``OptimWrapper`` (e.g. AMP already chosen) is kept."""
    cuda = torch.cuda.is_available() if cuda is None else cuda
    changes = []
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(_is_fast_hook(h) for h in hooks):
        hooks.append(dict(type='cgnet_mm.FastTrainHook'))
        cfg.custom_hooks = hooks
        changes.append('subnormal floats flushed to zero, allocator '
                       'keeps freed memory, channels-last model '
                       'and inputs, torch.compile (inductor) of the feature '
                       'extractor and heads (FastTrainHook)')
    train_loader = cfg.get('train_dataloader') or {}
    cached = 0
    for ds in leaf_datasets(train_loader):
        pipeline = ds.get('pipeline') or []
        wrapped = cache_loading(pipeline)
        if wrapped != list(pipeline):
            ds['pipeline'] = wrapped
            cached += 1
    if cached:
        changes.append(f'training images decoded once and kept in memory '
                       f'(CachedLoading, {cached} dataset(s))')
    wrapper = cfg.optim_wrapper
    if cuda and wrapper.get('type', 'OptimWrapper') == 'OptimWrapper':
        amp = copy.deepcopy(dict(wrapper))
        amp['type'] = 'AmpOptimWrapper'
        if torch.cuda.is_bf16_supported():
            amp['dtype'] = 'bfloat16'
            changes.append('mixed precision: AmpOptimWrapper, bfloat16')
        else:
            amp['loss_scale'] = 'dynamic'
            changes.append('mixed precision: AmpOptimWrapper, float16 with '
                           'dynamic loss scale')
        cfg.optim_wrapper = amp
    return changes


def _is_fast_hook(hook) -> bool:
    kind = hook.get('type') if isinstance(hook, dict) else None
    return kind is FastTrainHook or str(kind).split('.')[-1] == (
        'FastTrainHook')
