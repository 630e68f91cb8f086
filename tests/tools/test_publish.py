import hashlib

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from cgnet_mm.tools.publish import main, publish
from cgnet_mm.utils.zoo import verify


def test_publish_strips_training_state_and_names_by_hash(tmp_path, capsys):
    src = tmp_path / 'iter_8.pth'
    hub = MessageHub.get_instance('publish_test')
    hub.update_scalar('train/loss', np.float64(1.0))
    torch.save(dict(state_dict={'w': torch.ones(3)},
                    meta=dict(iter=8, seed=0, cfg='long config text'),
                    optimizer={'state': {}}, message_hub=hub.state_dict()),
               src)
    path, sha = publish(str(src), str(tmp_path / 'zoo' / 'tiny'))
    assert sha == hashlib.sha256(open(path, 'rb').read()).hexdigest()
    assert path.endswith(f'tiny-{sha[:8]}.pth')
    saved = torch.load(path)
    assert set(saved) == {'state_dict', 'meta'}
    assert saved['meta'] == dict(iter=8, seed=0)
    assert verify(path, sha[:8], 'the name') == sha


def test_publish_missing_source(tmp_path):
    with pytest.raises(SystemExit, match=r"error: checkpoint '.*no\.pth' "
                       'does not exist'):
        main([str(tmp_path / 'no.pth'), str(tmp_path / 'out')])
