"""Keyboard layouts as drawn for the technician: rows of (kernel key code, key-cap label).

The codes are Linux's `input-event-codes.h` KEY_* numbers: the kernel reports the physical key, so
AZERTY and QWERTY differ only in the labels drawn on the same positions (and the French 105-key
board has the extra `<` key, KEY_102ND, beside the left Shift). The keys of a layout are the ones a
laptop keyboard must have; keys seen outside it (media keys, numeric keypad) are recorded as extras.
"""

from __future__ import annotations

from dataclasses import dataclass

Row = tuple[tuple[int, str], ...]

KEY_ESC, KEY_BACKSPACE, KEY_TAB, KEY_ENTER, KEY_LEFTCTRL = 1, 14, 15, 28, 29
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_LEFTALT, KEY_SPACE, KEY_CAPSLOCK = 42, 54, 56, 57, 58
KEY_102ND, KEY_RIGHTCTRL, KEY_RIGHTALT, KEY_LEFTMETA = 86, 97, 100, 125
KEY_UP, KEY_LEFT, KEY_RIGHT, KEY_DOWN, KEY_DELETE = 103, 105, 106, 108, 111

_FKEYS: Row = ((KEY_ESC, "Esc"), *((59 + i, f"F{i + 1}") for i in range(10)), (87, "F11"), (88, "F12"),
               (KEY_DELETE, "Del"))
_BOTTOM: Row = ((KEY_LEFTCTRL, "Ctrl"), (KEY_LEFTMETA, "Win"), (KEY_LEFTALT, "Alt"), (KEY_SPACE, "Space"),
                (KEY_RIGHTALT, "AltGr"), (KEY_RIGHTCTRL, "Ctrl"), (KEY_LEFT, "←"), (KEY_UP, "↑"),
                (KEY_DOWN, "↓"), (KEY_RIGHT, "→"))


def _row(first: int, labels: str) -> Row:
    return tuple((first + i, label) for i, label in enumerate(labels.split()))


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    rows: tuple[Row, ...]

    @property
    def codes(self) -> frozenset[int]:
        return frozenset(code for row in self.rows for code, _label in row)

    def label(self, code: int) -> str:
        for row in self.rows:
            for key, text in row:
                if key == code:
                    return text
        return f"#{code}"


AZERTY_FR = Layout("azerty-fr", "AZERTY (France)", (
    _FKEYS,
    ((41, "²"), *_row(2, "& é \" ' ( - è _ ç à ) ="), (KEY_BACKSPACE, "⌫")),
    ((KEY_TAB, "Tab"), *_row(16, "A Z E R T Y U I O P ^ $"), (KEY_ENTER, "Entrée")),
    ((KEY_CAPSLOCK, "Verr"), *_row(30, "Q S D F G H J K L M ù"), (43, "*")),
    ((KEY_LEFTSHIFT, "Maj"), (KEY_102ND, "<"), *_row(44, "W X C V B N , ; : !"), (KEY_RIGHTSHIFT, "Maj")),
    _BOTTOM,
))

QWERTY_US = Layout("qwerty-us", "QWERTY (US)", (
    _FKEYS,
    ((41, "`"), *_row(2, "1 2 3 4 5 6 7 8 9 0 - ="), (KEY_BACKSPACE, "Bksp")),
    ((KEY_TAB, "Tab"), *_row(16, "Q W E R T Y U I O P [ ]"), (43, "\\")),
    ((KEY_CAPSLOCK, "Caps"), *_row(30, "A S D F G H J K L ; '"), (KEY_ENTER, "Enter")),
    ((KEY_LEFTSHIFT, "Shift"), *_row(44, "Z X C V B N M , . /"), (KEY_RIGHTSHIFT, "Shift")),
    _BOTTOM,
))

LAYOUTS = {layout.name: layout for layout in (AZERTY_FR, QWERTY_US)}


def get(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown keyboard layout {name!r}; known: {', '.join(LAYOUTS)}") from None
