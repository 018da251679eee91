import sys

from dscoder_cli import main

sys.exit(main())
