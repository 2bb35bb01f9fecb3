from tests.api.conftest import api, clock  # noqa: F401  (the API app fixture, re-exported)
from tests.public.conftest import public  # noqa: F401  (the public pages' app and world, re-exported)
