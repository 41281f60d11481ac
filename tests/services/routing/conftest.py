import pytest


@pytest.fixture
def app_config():
    # Every day, all day, unless a test gives someone their own hours.
    return {"TEAM_WORK_HOURS": "1234567", "APP_TIMEZONE": "Europe/Istanbul"}
