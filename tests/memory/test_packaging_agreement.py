"""The scalar packaging rule for catalog parts and the device-geometry rule agree."""

import pytest

from kvpipe import catalog
from kvpipe.hardware.packaging import RETICLE_AREA_MM2, max_units_per_die
from kvpipe.memory import reticle_figures

WITH_DEVICE = [t.name for t in catalog.memories() if t.device]


@pytest.mark.parametrize("name", WITH_DEVICE)
def test_units_per_reticle_die_agree(name):
    tech = catalog.memory(name)
    assert max_units_per_die(tech, RETICLE_AREA_MM2) == reticle_figures(catalog.device(tech.device)).units


def test_h100_class_die_takes_six_hbm_sites():
    # 814 mm^2 die, long edge sqrt(814 x 33/26) = 32.1 mm; 10.5 mm of shoreline per stack
    # -> floor(32.1 / 10.5) = 3 per edge, 6 sites (H100 SXM: 6 sites, 5 stacks active)
    assert max_units_per_die(catalog.memory("hbm3"), 814.0) == 6
