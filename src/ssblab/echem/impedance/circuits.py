"""Equivalent circuits: elements, a parsed circuit grammar, impedance and analytic Jacobians.

A circuit is written as a string such as ``R0-p(R1,CPE1)-p(R2,CPE2)-CPE3``: ``-`` joins in
series, ``p(a, b, ...)`` joins in parallel, parentheses group. The string is parsed by a small
recursive-descent parser (never evaluated as code); see docs/eis.md for the grammar.

Elements (``omega = 2 pi f`` in rad/s, parameter units in brackets):

=======  ==========================================  ===========================================
element  impedance                                   parameters
=======  ==========================================  ===========================================
R        R                                           ``R0`` [ohm]
C        1 / (j omega C)                             ``C1`` [F]
L        j omega L                                   ``L1`` [H]
CPE      1 / (Q (j omega)^n)                         ``CPE1_Q`` [F s^(n-1)], ``CPE1_n`` [-]
W        sigma sqrt(2) / sqrt(j omega)               ``W1`` [ohm s^-1/2] (semi-infinite)
Ws       R tanh(sqrt(j omega tau)) / sqrt(j w tau)   ``Ws1_R`` [ohm], ``Ws1_tau`` [s] (short)
Wo       R coth(sqrt(j omega tau)) / sqrt(j w tau)   ``Wo1_R`` [ohm], ``Wo1_tau`` [s] (open)
=======  ==========================================  ===========================================

The Jacobian is exact: each element gives dZ/dp, series adds, parallel multiplies a branch's
derivatives by ``(Z / Z_branch)^2`` (from ``Z = 1 / sum(1 / Z_i)``).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ssblab.errors import InputError

_TANH_CLIP = 20.0  # tanh(x) == 1 to double precision beyond Re(x) = 20; avoids overflow


# --- elements --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ElementType:
    """One kind of circuit element: its parameters and its impedance with derivatives."""

    symbol: str
    description: str
    parameters: tuple[tuple[str, str, float, float], ...]  # (suffix, unit, lower, upper)
    evaluate: Callable  # (omega, *params) -> (Z, [dZ/dp ...]), broadcasting over params


# Derivatives that do not depend on frequency are returned as scalars and broadcast on use.
def _resistor(w, r):
    return r + 0j * w, [1.0]


def _capacitor(w, c):
    z = 1.0 / (1j * w * c)
    return z, [-z / c]


def _inductor(w, ind):
    return 1j * w * ind, [1j * w]


def _cpe(w, q, n):
    log_jw = np.log(w) + 0.5j * np.pi
    z = np.exp(-n * log_jw) / q
    return z, [-z / q, -z * log_jw]


def _warburg(w, sigma):
    unit = np.sqrt(2.0) / np.sqrt(1j * w)  # = (1 - j) / sqrt(omega)
    return sigma * unit, [unit]


def _sqrt_jwt(w, tau):
    x = np.sqrt(1j * w * tau)
    return x, np.minimum(x.real, _TANH_CLIP) + 1j * x.imag


def _warburg_short(w, r, tau):
    x, xc = _sqrt_jwt(w, tau)
    t = np.tanh(xc)
    shape = t / x
    dshape_dx = ((1 - t * t) * x - t) / (x * x)
    return r * shape, [shape, r * dshape_dx * x / (2 * tau)]


def _warburg_open(w, r, tau):
    x, xc = _sqrt_jwt(w, tau)
    c = 1 / np.tanh(xc)
    shape = c / x
    dshape_dx = (-(c * c - 1) * x - c) / (x * x)
    return r * shape, [shape, r * dshape_dx * x / (2 * tau)]


_INF = np.inf
ELEMENTS: dict[str, ElementType] = {
    e.symbol: e
    for e in (
        ElementType("R", "resistor", (("", "ohm", 0.0, _INF),), _resistor),
        ElementType("C", "capacitor", (("", "F", 0.0, _INF),), _capacitor),
        ElementType("L", "inductor", (("", "H", 0.0, _INF),), _inductor),
        ElementType("CPE", "constant-phase element",
                    (("Q", "F s^(n-1)", 0.0, _INF), ("n", "", 0.0, 1.0)), _cpe),
        ElementType("W", "semi-infinite Warburg", (("", "ohm s^-1/2", 0.0, _INF),), _warburg),
        ElementType("Ws", "finite-length Warburg, transmissive (short)",
                    (("R", "ohm", 0.0, _INF), ("tau", "s", 0.0, _INF)), _warburg_short),
        ElementType("Wo", "finite-length Warburg, reflective (open)",
                    (("R", "ohm", 0.0, _INF), ("tau", "s", 0.0, _INF)), _warburg_open),
    )
}
_LABEL = re.compile(r"([0-9_a-z][A-Za-z0-9_]*)?")
_ALIASES = {"Q": "CPE", "CPE": "CPE", "T": "CPE", "G": "Wo"}  # other programs' symbols


# --- the circuit tree ------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Element:
    """An element in a circuit: its name (``R0``), type and its columns in the parameter vector."""

    name: str
    kind: ElementType
    start: int  # first parameter index

    @property
    def stop(self) -> int:
        return self.start + len(self.kind.parameters)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        if len(self.kind.parameters) == 1:
            return (self.name,)
        return tuple(f"{self.name}_{suffix}" for suffix, *_ in self.kind.parameters)


@dataclasses.dataclass(frozen=True)
class Series:
    children: tuple
    start: int
    stop: int


@dataclasses.dataclass(frozen=True)
class Parallel:
    children: tuple
    start: int
    stop: int


Node = Element | Series | Parallel


class _Parser:
    """Recursive descent over ``circuit := series``; ``series := term ('-' term)*``;
    ``term := 'p(' series (',' series)+ ')' | '(' series ')' | ELEMENT``."""

    _TOKEN = re.compile(r"\s*(?:(?P<par>p\()|(?P<name>[A-Za-z][A-Za-z0-9_]*)|(?P<sym>[-,()]))")

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.n_params = 0
        self.names: set[str] = set()
        self.depth = 0

    MAX_DEPTH = 32  # brackets within brackets; deeper is a typo, and would exhaust the stack

    def error(self, message: str, pos: int | None = None) -> InputError:
        pos = self.pos if pos is None else pos
        text, caret = self.text, pos
        if len(text) > 120:  # show 120 characters around the problem, not a pasted novel
            start = max(0, min(pos - 60, len(text) - 120))
            text, caret = f"...{text[start:start + 120]}...", pos - start + 3
            return InputError(f"circuit ({len(self.text)} characters): {message} at position "
                              f"{pos}\n  {text}\n  {' ' * caret}^")
        return InputError(f"circuit {text!r}: {message} at position {pos}\n"
                          f"  {text}\n  {' ' * caret}^")

    def peek(self):
        m = self._TOKEN.match(self.text, self.pos)
        if m is None:
            rest = self.text[self.pos:].strip()
            if not rest:
                return None, None, len(self.text)
            at = len(self.text) - len(self.text[self.pos:].lstrip())
            raise self.error(f"unexpected character {self.text[at]!r}", at)
        return m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)

    def take(self):
        kind, value, at = self.peek()
        self.pos = self._TOKEN.match(self.text, self.pos).end() if kind else len(self.text)
        return kind, value, at

    def parse(self) -> Node:
        if not self.text.strip():
            raise InputError("circuit: empty circuit string; expected e.g. 'R0-p(R1,CPE1)'")
        node = self.series()
        kind, value, at = self.peek()
        if kind is not None:
            raise self.error(f"unexpected {value!r}; expected '-' or the end", at)
        return node

    def series(self) -> Node:
        start = self.n_params
        terms = [self.term()]
        while self.peek()[1] == "-":
            self.take()
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else Series(tuple(terms), start, self.n_params)

    def term(self) -> Node:
        kind, value, at = self.take()
        if kind == "par" or value == "(":
            self.depth += 1
            if self.depth > self.MAX_DEPTH:
                raise self.error(f"brackets nested more than {self.MAX_DEPTH} deep", at)
            try:
                return self._bracket(kind, at)
            finally:
                self.depth -= 1
        if kind == "name":
            return self.element(value, at)
        found = "the end" if kind is None else repr(value)
        raise self.error(f"expected an element or 'p(' but found {found}", at)

    def _bracket(self, kind, at) -> Node:
        if kind == "par":
            start = self.n_params
            branches = [self.series()]
            while self.peek()[1] == ",":
                self.take()
                branches.append(self.series())
            self.expect(")")
            if len(branches) < 2:
                raise self.error("p(...) needs at least two branches separated by ','", at)
            return Parallel(tuple(branches), start, self.n_params)
        node = self.series()
        self.expect(")")
        return node

    def expect(self, symbol: str):
        kind, value, at = self.take()
        if value != symbol:
            found = "the end" if kind is None else repr(value)
            raise self.error(f"expected {symbol!r} but found {found}", at)

    def element(self, name: str, at: int) -> Element:
        # the label after the symbol starts with a digit, '_' or a lower-case letter, so a
        # typo such as 'CPR1' is reported rather than read as a capacitor labelled 'PR1'
        symbol = next((s for s in sorted(ELEMENTS, key=len, reverse=True)
                       if name.startswith(s) and _LABEL.fullmatch(name[len(s):])), None)
        if symbol is None:
            letters = re.match(r"[A-Za-z]+", name).group()
            guess = (_ALIASES.get(letters) or _ALIASES.get(letters.upper())
                     or {k.upper(): k for k in ELEMENTS}.get(letters.upper()))
            if guess is None:
                close = difflib.get_close_matches(letters, ELEMENTS, n=1, cutoff=0.5)
                guess = close[0] if close else None
            if guess is not None:
                hint = f" (did you mean {guess + name[len(letters):]!r}?)"
            else:
                prefix = next((s for s in sorted(ELEMENTS, key=len, reverse=True)
                               if name.startswith(s)), None)
                hint = f" (did you mean {prefix + '_' + name[len(prefix):]!r}?)" if prefix else ""
            raise self.error(f"unknown element {name!r}; element names are a symbol "
                             f"({', '.join(ELEMENTS)}) and a label starting with a digit, '_' "
                             f"or a lower-case letter{hint}", at)
        if name in self.names:
            raise self.error(f"element name {name!r} is used twice; give each element its own "
                             "label (R0, R1, ...)", at)
        self.names.add(name)
        element = Element(name, ELEMENTS[symbol], self.n_params)
        self.n_params = element.stop
        return element


def _walk(node: Node):
    yield node
    if not isinstance(node, Element):
        for child in node.children:
            yield from _walk(child)


def _evaluate(node: Node, w: np.ndarray, p: np.ndarray, jac: np.ndarray | None) -> np.ndarray:
    """Impedance of ``node``; writes d Z / d p into ``jac[..., :, start:stop]`` if given."""
    if isinstance(node, Element):
        # one parameter set: scalars (cheaper than broadcasting (1,) arrays); several: columns
        args = (p[i] if p.ndim == 1 else p[..., i, None] for i in range(node.start, node.stop))
        z, grads = node.kind.evaluate(w, *args)
        if jac is not None:
            for i, g in enumerate(grads):
                jac[..., node.start + i] = g
        return z
    parts = [_evaluate(child, w, p, jac) for child in node.children]
    if isinstance(node, Series):
        return sum(parts)
    z = 1.0 / sum(1.0 / part for part in parts)
    if jac is not None:
        for child, part in zip(node.children, parts):
            if child.stop > child.start:
                jac[..., child.start:child.stop] *= ((z / part) ** 2)[..., None]
    return z


class Circuit:
    """An equivalent circuit parsed from a string.

    Parameters are ordered as the elements appear in the string. ``params`` arguments may be
    a mapping name -> value or an array whose last axis is the parameter axis (leading axes
    broadcast, e.g. one row per spectrum).

    Examples
    --------
    >>> c = Circuit("R0-p(R1,CPE1)")
    >>> c.parameter_names
    ('R0', 'R1', 'CPE1_Q', 'CPE1_n')
    >>> c.parameter_units["CPE1_Q"]
    'F s^(n-1)'
    >>> z = c.impedance({"R0": 10, "R1": 100, "CPE1_Q": 1e-6, "CPE1_n": 1.0}, [1e9, 1e-9])
    >>> np.round(z.real, 3).tolist()
    [10.0, 110.0]
    >>> Circuit("R0-p(R1,Q1)")
    Traceback (most recent call last):
    ...
    ssblab.errors.InputError: circuit 'R0-p(R1,Q1)': unknown element 'Q1'; ... at position 8
      R0-p(R1,Q1)
              ^
    """

    def __init__(self, text: str):
        if isinstance(text, Circuit):
            text = text.text
        if not isinstance(text, str):
            raise InputError(f"circuit: expected a string such as 'R0-p(R1,CPE1)', "
                             f"found {type(text).__name__}")
        self.text = text
        self.root = _Parser(text).parse()
        self.elements: tuple[Element, ...] = tuple(
            n for n in _walk(self.root) if isinstance(n, Element))
        self.parameter_names: tuple[str, ...] = tuple(
            name for e in self.elements for name in e.parameter_names)
        self.parameter_units: dict[str, str] = {
            name: unit for e in self.elements
            for name, (_, unit, *_) in zip(e.parameter_names, e.kind.parameters)}

    def __repr__(self) -> str:
        return f"Circuit({self.text!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Circuit) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    @property
    def n_parameters(self) -> int:
        return len(self.parameter_names)

    def default_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Physical bounds: every R, C, L, Q, sigma, tau >= 0 and 0 < n <= 1."""
        lower = [lo for e in self.elements for _, _, lo, _ in e.kind.parameters]
        upper = [hi for e in self.elements for _, _, _, hi in e.kind.parameters]
        return np.array(lower), np.array(upper)

    def vector(self, params, *, name: str = "params") -> np.ndarray:
        """The parameter array for ``params`` (mapping or array), checked for names and length."""
        if isinstance(params, Mapping):
            missing = [k for k in self.parameter_names if k not in params]
            extra = [k for k in params if k not in self.parameter_names]
            if missing or extra:
                hint = ""
                if extra:
                    lower = {k.lower(): k for k in self.parameter_names}
                    close = difflib.get_close_matches(extra[0].lower(), lower, n=1)
                    hint = f" (did you mean {lower[close[0]]!r} for {extra[0]!r}?)" if close else ""
                raise InputError(f"{name}: circuit {self.text!r} has parameters "
                                 f"{list(self.parameter_names)}; missing {missing}, "
                                 f"unknown {extra}{hint}")
            return np.array([float(params[k]) for k in self.parameter_names])
        p = np.asarray(params, dtype=float)
        if p.ndim == 0 or p.shape[-1] != self.n_parameters:
            raise InputError(f"{name}: circuit {self.text!r} has {self.n_parameters} parameters "
                             f"{list(self.parameter_names)}, found an array of shape {p.shape}")
        return p

    def impedance(self, params, frequency_Hz) -> np.ndarray:
        """Complex impedance / ohm at ``frequency_Hz``; shape ``params.shape[:-1] + (F,)``."""
        p = self.vector(params)
        w = 2 * np.pi * np.asarray(frequency_Hz, dtype=float)
        z = _evaluate(self.root, w, p, None)
        return np.broadcast_to(z, p.shape[:-1] + w.shape).copy()

    def jacobian(self, params, frequency_Hz) -> np.ndarray:
        """Complex derivatives dZ/dp, shape ``params.shape[:-1] + (F, n_parameters)``."""
        return self.impedance_and_jacobian(params, frequency_Hz)[1]

    def impedance_and_jacobian(self, params, frequency_Hz) -> tuple[np.ndarray, np.ndarray]:
        """Both the impedance and its Jacobian in one pass."""
        p = self.vector(params)
        w = 2 * np.pi * np.asarray(frequency_Hz, dtype=float)
        jac = np.zeros(p.shape[:-1] + w.shape + (self.n_parameters,), dtype=complex)
        z = _evaluate(self.root, w, p, jac)
        return np.broadcast_to(z, jac.shape[:-1]).copy(), jac

    def arc_blocks(self) -> list[tuple[Element, Element]]:
        """The ``p(R, C)`` and ``p(R, CPE)`` blocks: (resistor, capacitive element) pairs."""
        blocks = []
        for node in _walk(self.root):
            if isinstance(node, Parallel) and len(node.children) == 2:
                kinds = {c.kind.symbol: c for c in node.children if isinstance(c, Element)}
                cap = kinds.get("CPE") or kinds.get("C")
                if "R" in kinds and cap is not None:
                    blocks.append((kinds["R"], cap))
        return blocks


def as_circuit(circuit: str | Circuit) -> Circuit:
    """``circuit`` itself or the parsed string (parsed once per distinct string)."""
    if isinstance(circuit, Circuit):
        return circuit
    return _parse_cached(circuit) if isinstance(circuit, str) else Circuit(circuit)


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str) -> Circuit:
    return Circuit(text)


def element_names(circuit: str | Circuit) -> Sequence[str]:
    """Element names of ``circuit`` in order of appearance."""
    return [e.name for e in as_circuit(circuit).elements]
