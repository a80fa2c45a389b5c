"""Replace every ASCII digit in a text with '#', e.g. to redact card or phone numbers in logs."""

FAMILY = "string_concat"
ENTRY_POINT = "mask_digits"


def mask_digits(text):
    masked = ""
    for ch in text:
        if ch in "0123456789":
            masked += "#"
        else:
            masked += ch
    return masked


def reference(text):
    return text.translate(str.maketrans("0123456789", "##########"))


def check(candidate):
    assert candidate("") == ""
    assert candidate("7") == "#"
    assert candidate("x") == "x"
    assert candidate("card 4111-1111") == "card ####-####"
    assert candidate("no digits here!") == "no digits here!"
    assert candidate("-42.5") == "-##.#"
    assert candidate("a1b22c333") == "a#b##c###"
    assert candidate("\u0663 is Arabic-Indic three") == "\u0663 is Arabic-Indic three"


def workload():
    import random
    rng = random.Random(14)
    alphabet = "abcdefghijklmnopqrstuvwxyz     ,.:-0123456789"
    return [("".join(rng.choice(alphabet) for _ in range(12000)),) for _ in range(5)]
