"""Script that `mim run cgnet_mm convert ...` runs; see cgnet_mm.tools.convert."""
from cgnet_mm.tools.convert import main

if __name__ == '__main__':
    main()
