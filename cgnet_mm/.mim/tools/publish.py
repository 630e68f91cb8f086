"""Script that `mim run cgnet_mm publish ...` runs; see cgnet_mm.tools.publish."""
from cgnet_mm.tools.publish import main

if __name__ == '__main__':
    main()
