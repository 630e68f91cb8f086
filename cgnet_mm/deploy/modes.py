"""The fast CPU paths' names, apart from :mod:`cgnet_mm.deploy.fast` so a
command line can offer them without importing torch."""

FAST_MODES = ('fp32', 'int8')
