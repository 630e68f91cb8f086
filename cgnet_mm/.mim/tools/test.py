"""Script that `mim test cgnet_mm CONFIG --checkpoint CKPT ...` runs; see cgnet_mm.tools.test."""
from cgnet_mm.tools.test import main

if __name__ == '__main__':
    main()
