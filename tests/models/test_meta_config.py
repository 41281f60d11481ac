"""Meta connection models: question labels from the stored form, and what 'behind' means."""

from app.models import MetaForm


def test_labels_map_question_and_option_keys_and_ignore_junk():
    form = MetaForm(
        form_id="1",
        questions=[
            {
                "key": "treatment",
                "label": "Which treatment?",
                "options": [{"key": "hair", "value": "Hair transplant"}, {"key": 7}],
            },
            {"key": "email"},
            "not a question",
            {"label": "no key"},
        ],
    )
    keys, options = form.labels()
    assert keys == {"treatment": "Which treatment?", "email": "email"}
    assert options == {"hair": "Hair transplant"}


def test_a_form_is_behind_only_when_meta_holds_more_than_we_do():
    assert MetaForm(form_id="1", shortfall=3).behind
    assert not MetaForm(form_id="1", shortfall=0).behind
    assert not MetaForm(form_id="1", shortfall=-2).behind  # deleted on Meta, test leads
    assert not MetaForm(form_id="1").behind  # not counted yet
