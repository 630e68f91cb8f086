"""Script that `mim run cgnet_mm plot_log ...` runs; see cgnet_mm.tools.plot_log."""
from cgnet_mm.tools.plot_log import main

if __name__ == '__main__':
    main()
