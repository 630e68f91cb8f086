"""Script that `mim run cgnet_mm class_weights ...` runs; see cgnet_mm.tools.class_weights."""
from cgnet_mm.tools.class_weights import main

if __name__ == '__main__':
    main()
