from tests.api.conftest import api, clock  # noqa: F401  (the API app fixture, re-exported)
