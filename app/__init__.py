"""Meta Lead Desk: the application factory."""

from flask import Flask

from config import Config


def create_app(config_class: type[Config] = Config) -> Flask:
    from app import (
        blueprints,
        cli,
        database,
        errors,
        events,
        logging_setup,
        security,
        tasks,
        templating,
    )
    from app.events.managers import client_manager
    from app.extensions import csrf, db, limiter, login_manager, mail, migrate, socketio
    from app.i18n import web as language

    config_class.finalize()
    app = Flask(__name__, static_folder="../static", instance_relative_config=False)
    app.config.from_object(config_class)
    logging_setup.configure_logging(app)
    for ext in (db, login_manager, csrf, mail, limiter):
        ext.init_app(app)
    database.configure_engine(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    socketio.init_app(
        app,
        async_mode="threading",
        client_manager=client_manager(app),  # a new one per app: no queue carries over
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
    )
    for module in (security, language, blueprints, errors, templating, cli, events):
        module.register(app)
    tasks.init_app(app)
    return app
