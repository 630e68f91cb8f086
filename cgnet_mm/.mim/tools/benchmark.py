"""Script that `mim run cgnet_mm benchmark ...` runs; see cgnet_mm.tools.benchmark."""
from cgnet_mm.tools.benchmark import main

if __name__ == '__main__':
    main()
