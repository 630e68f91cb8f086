"""Script that `mim train cgnet_mm CONFIG ...` runs; see cgnet_mm.tools.train."""
from cgnet_mm.tools.train import main

if __name__ == '__main__':
    main()
