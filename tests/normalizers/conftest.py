"""Session fixtures: small trained networks, trained once."""

import pytest
from normhelpers import BINADD, LINEAR2, Trained


@pytest.fixture(scope="session")
def sum_last2() -> Trained:
    return Trained("Sum_Last2", LINEAR2)


@pytest.fixture(scope="session")
def binary_addition() -> Trained:
    return Trained("Binary_Addition", BINADD)
