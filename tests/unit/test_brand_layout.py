"""workers.brand_layout: the layout rendered once and filled per message gives what the
full Jinja render gives, for any values, and falls back to it when it cannot."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workers.brand_layout import SLOTS, Layout, layout
from workers.emails import EmailRenderer


def _renderer(**kwargs) -> EmailRenderer:
    return EmailRenderer(sender="Acme Talent <talent@acme.example>", company_name="Acme",
                         postal_address="1 Market Street\nSpringfield", **kwargs)


_VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1,
                 max_size=80) | st.sampled_from(["<b>&amp;</b>", "\"'<>&", "TLSLOTsubject_lineX9",
                                                 "{{ x }}", "ünïcode ✉", "a\nb"])


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries(dict.fromkeys(SLOTS, _VALUE)))
def test_filling_the_cut_layout_equals_the_full_render(values):
    brand = Layout(_renderer())

    assert brand.exact  # the shipped layout puts each value in as it is
    assert brand.render(values) == brand._full(values)


def test_an_empty_value_takes_the_full_render():
    brand = Layout(_renderer())
    values = dict.fromkeys(SLOTS, "x") | {"preferences_url": ""}

    assert brand.render(values) == brand._full(values)


def test_a_layout_that_transforms_a_value_is_never_cut(monkeypatch):
    renderer = _renderer()
    original = renderer.render

    def shouting(template, context):  # a layout applying a filter to the subject
        subject, text, html = original(template, context)
        return subject, text, html.replace(str(context["subject_line"]),
                                           str(context["subject_line"]).upper())

    monkeypatch.setattr(renderer, "render", shouting)
    brand = Layout(renderer)
    values = dict.fromkeys(SLOTS, "value")

    assert not brand.exact
    assert "VALUE" in brand.render(values)[1]


def test_one_layout_per_renderer():
    renderer = _renderer()
    assert layout(renderer) is layout(renderer)
    assert layout(_renderer()) is not layout(renderer)
