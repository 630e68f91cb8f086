"""Script that `mim run cgnet_mm download ...` runs; see cgnet_mm.tools.download."""
from cgnet_mm.tools.download import main

if __name__ == '__main__':
    main()
