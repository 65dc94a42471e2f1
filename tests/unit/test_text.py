from pipeline.core.text import clean, count_words, normalise_for_matching, strip_annotations


def test_annotations_are_not_words_but_placeholders_are():
    assert count_words("I told [PARTNER] [laughs] it was fine") == 6
    assert count_words("[inaudible] [crosstalk]") == 0
    assert count_words("down at [PROBATION OFFICE] on Monday") == 5


def test_contractions_count_once():
    assert count_words("I didn't know, I’d never seen it") == 7


def test_clean_removes_inline_timestamps_and_collapses_space():
    assert clean("Yeah  [00:12:04]  so\n then") == "Yeah so then"


def test_strip_annotations_keeps_placeholders():
    assert strip_annotations("[laughs] me and [CHILD]").split() == ["me", "and", "[CHILD]"]


def test_normalise_for_matching_folds_quotes_dashes_space_and_case():
    assert normalise_for_matching("It’s  “fine” – really…") == normalise_for_matching('it\'s "fine" - really...')
