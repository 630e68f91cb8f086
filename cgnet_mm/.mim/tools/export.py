"""Script that `mim run cgnet_mm export ...` runs; see cgnet_mm.tools.export."""
from cgnet_mm.tools.export import main

if __name__ == '__main__':
    main()
