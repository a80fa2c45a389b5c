"""For each paragraph, count the words at least min_length characters long."""

FAMILY = "needless_copies"
ENTRY_POINT = "long_word_counts"


def long_word_counts(paragraphs, min_length):
    counts = []
    for paragraph in list(paragraphs):
        words = list(paragraph.split())
        long_words = list(filter(lambda word: len(word) >= min_length, words))
        counts.append(len(list(long_words)))
    return counts


def reference(paragraphs, min_length):
    return [sum([len(word) >= min_length for word in paragraph.split()])
            for paragraph in paragraphs]


def check(candidate):
    assert candidate([], 3) == []
    assert candidate([""], 3) == [0]
    assert candidate(["a bb ccc dddd"], 3) == [2]
    assert candidate(["one two", "three four five"], 4) == [0, 3]
    assert candidate(["same same same"], 4) == [3]
    assert candidate(["x"], 0) == [1]
    assert candidate(["  spaced   out  words "], 6) == [1]


def workload():
    import random
    rng = random.Random(62)
    vocabulary = ["the", "inventory", "shipment", "was", "delayed", "by", "a", "storm", "warehouse",
                  "to", "restock", "order", "late", "pallet", "of", "goods", "arrived"]
    paragraphs = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 40)))
                  for _ in range(600)]
    return [(paragraphs, 5)]
