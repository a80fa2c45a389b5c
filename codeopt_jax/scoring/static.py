"""Static metrics of a program: token count, AST node count, cyclomatic complexity.

Parsing never executes code, so these run in the trainer's process.
"""

from __future__ import annotations

import ast
import io
import tokenize

from codeopt_jax.scoring.records import StaticMetrics

_SKIPPED_TOKENS = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT,
                   tokenize.ENDMARKER, tokenize.ENCODING}
_BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.IfExp, ast.ExceptHandler, ast.Assert,
             ast.comprehension, ast.match_case)


def token_count(source: str) -> int:
    """Python tokens, not counting layout (newlines, indents) and comments."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return sum(1 for token in tokens if token.type not in _SKIPPED_TOKENS)


def complexity(tree: ast.AST) -> int:
    """McCabe cyclomatic complexity of the whole module: 1 + decision points."""
    points = 0
    for node in ast.walk(tree):
        if isinstance(node, _BRANCHES):
            points += 1
            if isinstance(node, ast.comprehension):
                points += len(node.ifs)
        elif isinstance(node, ast.BoolOp):
            points += len(node.values) - 1
    return 1 + points


def static_metrics(source: str) -> StaticMetrics | None:
    """Metrics of the program, or None when it does not parse."""
    try:
        tree = ast.parse(source)
        tokens = token_count(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return None
    return StaticMetrics(tokens=tokens, ast_nodes=sum(1 for _ in ast.walk(tree)),
                         complexity=complexity(tree))
