"""Join words with spaces, wrapping each case-insensitive match of term in [brackets]."""

FAMILY = "combined"
ENTRY_POINT = "highlight_search_term"
TAGS = ["string_concat", "loop_invariant"]


def highlight_search_term(words, term):
    text = ""
    for word in words:
        if word.lower() == term.lower():
            text += "[" + word + "] "
        else:
            text += word + " "
    return text[:-1]


def reference(words, term):
    needle = term.lower()
    return " ".join(["[" + word + "]" if word.lower() == needle else word for word in words])


def check(candidate):
    assert candidate([], "x") == ""
    assert candidate(["alone"], "x") == "alone"
    assert candidate(["Cat"], "cat") == "[Cat]"
    assert candidate(["the", "cat", "sat"], "CAT") == "the [cat] sat"
    assert candidate(["cat", "CAT", "dog"], "cat") == "[cat] [CAT] dog"
    assert candidate(["", "a"], "a") == " [a]"
    assert candidate(["a", ""], "") == "a []"
    assert candidate(["cats", "scat"], "cat") == "cats scat"


def workload():
    import random
    rng = random.Random(118)
    vocab = ["Python", "python", "code", "Fast", "loop", "string", "the", "and", "PyThOn", "join"]
    return [([rng.choice(vocab) for _ in range(3000)], "python") for _ in range(7)]
