"""Marks land on the original characters whatever the folding did to the text's length."""

from xiaobao.language.highlight import highlight, snippet


def test_full_width_and_traditional_text_is_marked_in_place():
    assert str(highlight("ＡＴＭ吞卡，學位房", ["atm", "学位"])) == (
        "<mark>ＡＴＭ</mark>吞卡，<mark>學位</mark>房"
    )


def test_characters_that_fold_to_two_keep_later_marks_in_place():
    # ﬁ folds to "fi" and ㍿ to "株式会社": the text grows as it is folded, and the marks after
    # them must still fall on 年费, not two or five characters off.
    assert str(highlight("ﬁ卡㍿的年费", ["年费"])) == "ﬁ卡㍿的<mark>年费</mark>"
    assert str(highlight("ﬁle 年费", ["file", "年费"])) == "<mark>ﬁle</mark> <mark>年费</mark>"


def test_snippet_centres_on_the_words_and_escapes_the_rest():
    text = "<b>" + "无关内容。" * 40 + "客户对信用卡年费有异议。" + "其他。" * 40
    cut = str(snippet(text, ["年费"], width=30))
    assert "<mark>年费</mark>" in cut and cut.startswith("…") and cut.endswith("…")
    assert "<b>" not in cut
