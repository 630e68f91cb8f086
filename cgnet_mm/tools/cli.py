"""``cgnet-mm``: one console entry point for the package's tools."""
import sys
from importlib import import_module
from typing import Optional, Sequence

from cgnet_mm.utils.errors import exit_with_error

COMMANDS = {
    'convert': 'cgnet_mm.tools.convert',
    'train': 'cgnet_mm.tools.train',
    'test': 'cgnet_mm.tools.test',
    'download': 'cgnet_mm.tools.download',
    'publish': 'cgnet_mm.tools.publish',
    'benchmark': 'cgnet_mm.tools.benchmark',
    'class-weights': 'cgnet_mm.tools.class_weights',
    'demo': 'cgnet_mm.tools.demo',
    'plot-log': 'cgnet_mm.tools.plot_log',
    'export': 'cgnet_mm.tools.export',
}


def main(argv: Optional[Sequence[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        usage = 'usage: cgnet-mm {%s} ...' % ','.join(COMMANDS)
        if argv and argv[0] not in ('-h', '--help'):
            print(usage, file=sys.stderr)
            exit_with_error(f'unknown command {argv[0]!r}')
        print(usage)
        return
    import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == '__main__':
    main()
