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
    # init_app keeps options from a previous app in this process; a queue must not carry over.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config["REDIS_URL"],
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
    )
    for module in (language, blueprints, errors, security, templating, cli, events):
        module.register(app)
    if app.config["SCHEDULER_ENABLED"]:
        tasks.init_scheduler(app)
    return app
