"""Blueprint registration."""

from flask import Flask


def register(app: Flask) -> None:
    from app.blueprints.account.routes import bp as account_bp
    from app.blueprints.admin import bp as admin_bp
    from app.blueprints.analytics.routes import bp as analytics_bp
    from app.blueprints.api.routes import bp as api_bp
    from app.blueprints.auth.routes import bp as auth_bp
    from app.blueprints.bulk.routes import bp as bulk_bp
    from app.blueprints.leads import (
        day_routes,  # noqa: F401  (My day, on the leads blueprint)
        merge_routes,  # noqa: F401  (merging two leads)
        record_routes,  # noqa: F401  (edit, add by hand)
        view_routes,  # noqa: F401  (saved views, on the same)
    )
    from app.blueprints.leads.routes import bp as leads_bp
    from app.blueprints.main import bp as main_bp
    from app.blueprints.scoring.routes import bp as scoring_bp
    from app.blueprints.webhooks.routes import bp as webhooks_bp

    blueprints = (
        main_bp,
        auth_bp,
        leads_bp,
        bulk_bp,
        api_bp,
        scoring_bp,
        analytics_bp,
        webhooks_bp,
        admin_bp,
        account_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
