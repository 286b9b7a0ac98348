"""Old import path of ``AccessSettings``, kept only for ``helixflow.rest_bridge.stack``.

Import ``helixflow.router.access.settings`` instead; this module goes once stack.py does.
"""

from helixflow.router.access.settings import AccessSettings

__all__ = ["AccessSettings"]
