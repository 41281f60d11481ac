"""`/admin/…`: superadmin pages to run the system (accounts, Meta connections, sync health).

Routes live in one module per area; each registers on this blueprint when imported."""

from flask import Blueprint

from app.security import superadmin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@superadmin_required
def require_superadmin() -> None:
    """Every admin page is for superadmins only (staff get 403, anonymous the login page)."""


from app.blueprints.admin import (  # noqa: E402,F401  (register routes)
    accounts_routes,
    mail_routes,
    meta_routes,
    privacy_routes,
    routing_routes,
    user_edit_routes,
    whatsapp_routes,
)
