"""Helpers that read mmengine configs."""
from typing import Iterator


def leaf_datasets(cfg) -> Iterator[dict]:
    """Leaf dataset configs, looking through wrappers (Concat, Repeat)."""
    if 'datasets' in cfg:
        for sub in cfg['datasets']:
            yield from leaf_datasets(sub)
    elif 'dataset' in cfg:
        yield from leaf_datasets(cfg['dataset'])
    else:
        yield cfg
