import sys
from pathlib import Path

# let test modules share small helpers (tests/toy.py) without making tests a package
sys.path.insert(0, str(Path(__file__).parent))
