"""The documentation a newcomer walks: a short top README, a page beside
each family's metafile, links that lead somewhere, and each generated
table in the page its command rewrites."""
import os.path as osp
import re
from glob import glob

import pytest

from tests.helpers import REPO

FAMILIES = ('cgnet', 'sgcpnet', 'cgrseg', 'frm')
PAGES = ['README.md'] + [f'configs/{f}/README.md' for f in FAMILIES] + sorted(
    osp.relpath(p, REPO) for p in glob(osp.join(REPO, 'docs', '*.md')))
# block -> the page whose command (`--update-readme PAGE`) rewrites it
BLOCKS = {
    'benchmark': 'configs/cgnet/README.md',
    'camvid': 'configs/cgnet/README.md',
    'camvid_trainval': 'configs/cgnet/README.md',
    'train_speed': 'docs/training.md',
    'cpu-latency': 'docs/deployment.md',
    'cpu-throughput': 'docs/deployment.md',
    'int8-profile': 'docs/deployment.md',
    'family': 'docs/benchmarks.md',
    'demo-fps': 'docs/benchmarks.md',
}
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')


def prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code spans."""
    text = re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)
    return re.sub(r'`[^`\n]*`', '', text)


def anchors(path: str) -> set:
    """GitHub's anchors of the headings in the Markdown file ``path``."""
    with open(path) as f:
        headings = re.findall(r'^#+ (.+)$', prose(f.read()), flags=re.M)
    return {re.sub(r'[^\w\- ]', '', h.strip().lower()).replace(' ', '-')
            for h in headings}


def read(page: str) -> str:
    with open(osp.join(REPO, page)) as f:
        return f.read()


def test_top_readme_is_an_overview():
    assert len(read('README.md').splitlines()) <= 450


@pytest.mark.parametrize('family', FAMILIES)
def test_family_folder_holds_metafile_and_page(family):
    for name in ('metafile.yaml', 'README.md'):
        assert osp.isfile(osp.join(REPO, 'configs', family, name)), name


@pytest.mark.parametrize('page', PAGES)
def test_relative_links_lead_to_files_and_headings(page):
    broken = []
    for target in LINK.findall(prose(read(page))):
        if re.match(r'[a-z]+:', target):  # https:, mailto:
            continue
        path, _, anchor = target.partition('#')
        path = osp.normpath(osp.join(REPO, osp.dirname(page), path)) \
            if path else osp.join(REPO, page)
        if not osp.exists(path) or anchor and (
                not path.endswith('.md') or anchor not in anchors(path)):
            broken.append(target)
    assert not broken, f'{page}: {broken}'


@pytest.mark.parametrize('block,page', sorted(BLOCKS.items()))
def test_generated_block_lives_in_its_page(block, page):
    pages = [p for p in PAGES if f'<!-- {block}:start -->' in read(p)]
    assert pages == [page]
    text = read(page)
    assert text.index(f'<!-- {block}:start -->') < text.index(
        f'<!-- {block}:end -->')
