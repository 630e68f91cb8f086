"""Script that `mim run cgnet_mm demo ...` runs; see cgnet_mm.tools.demo."""
from cgnet_mm.tools.demo import main

if __name__ == '__main__':
    main()
