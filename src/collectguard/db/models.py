"""Every table of every domain, imported in one place (migrations, emptying a test database)."""

from collectguard.api import models as api  # noqa: F401
from collectguard.auth import models as auth  # noqa: F401
from collectguard.complaints import models as complaints  # noqa: F401
from collectguard.complaints import signal_models as complaint_signals  # noqa: F401
from collectguard.db.base import Base
from collectguard.gate import models as gate  # noqa: F401
from collectguard.holds import models as holds  # noqa: F401
from collectguard.incidents import models as incidents  # noqa: F401
from collectguard.ledger import models as ledger  # noqa: F401
from collectguard.monitoring import models as monitoring  # noqa: F401
from collectguard.notices import models as notices  # noqa: F401
from collectguard.oversight import models as oversight  # noqa: F401
from collectguard.public import models as public  # noqa: F401
from collectguard.qa import storage as qa  # noqa: F401
from collectguard.registry import models as registry  # noqa: F401
from collectguard.registry import refusals  # noqa: F401
from collectguard.retention import models as retention  # noqa: F401
from collectguard.users import models as users  # noqa: F401

metadata = Base.metadata
