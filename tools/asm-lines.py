#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Preprocess a guest .S file into assembler source whose every instruction
carries its own source line in DWARF.

GNU as gives an instruction that comes out of a .macro (or .rept/.irp)
expansion the line of the invocation, so a trace or gdb cannot say where in a
macro a step is.  This runs the C preprocessor, follows its linemarkers to know
the file and line of each line of its output, and puts `.loc FILE LINE` in front
of every line that holds an instruction: inside a .macro body as well, so each
expansion carries the body's lines.  `.file` directives name the files; with
them GNU as makes no line information of its own, so the .loc lines are all
there is and nothing contradicts them.

GNU as keeps line information for code sections only and warns about a .loc
anywhere else (the AP trampoline's real-mode code lives in .rodata), so the
sections are followed too: a .loc outside a macro body is written only in a code
section; one inside a body is guarded by a symbol that says whether the code
around the body's invocations is in a code section.

usage: asm-lines.py --depfile DEP --output OUT INPUT -- CC [CPPFLAGS...]
"""

import argparse
import os
import re
import subprocess
import sys

LINEMARKER = re.compile(r'^#\s*(\d+)\s+"((?:[^"\\]|\\.)*)"')
# A label at the start of a statement: a name, a local number, or a name built
# from macro arguments (\name\()_x, .L\@); `::` is not one.
LABEL = re.compile(r'^([^\s:,"=;]+):(?!:)\s*')
ASSIGNMENT = re.compile(r'^[^\s=,"]+\s*=(?!=)')
CODE_SECTION = re.compile(r'^\.(text|init|fini)(\.|$)')
IN_CODE = '.Lasm_lines_in_code'


def statements(text):
    """The statements of one line: split at ';' and cut at '#' (x86 GNU as's
    comment character), neither counting inside a string."""
    out, cur, in_str, i = [], [], False, 0
    while i < len(text):
        c = text[i]
        if in_str:
            cur.append(c)
            if c == '\\' and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            cur.append(c)
        elif c == '#':
            break
        elif c == ';':
            out.append(''.join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append(''.join(cur))
    return [s.strip() for s in out if s.strip()]


def first_word(stmt):
    """The statement's operation with its labels taken off ('' for none)."""
    while True:
        m = LABEL.match(stmt)
        if not m:
            break
        stmt = stmt[m.end():]
    if not stmt or ASSIGNMENT.match(stmt):
        return ''
    return re.split(r'[\s,]', stmt, maxsplit=1)[0]


def macro_names(lines):
    names = set()
    for _, _, text in lines:
        for stmt in statements(text):
            words = re.split(r'[\s,]+', stmt, maxsplit=2)
            if words[0].lower() == '.macro' and len(words) > 1:
                names.add(words[1].lower())
    return names


def has_instruction(text, macros):
    """Whether a statement of the line emits an instruction.  Directives, labels,
    assignments and macro invocations do not (an invocation's body carries its
    own lines); a macro argument in operation place (\\insn) most likely is one."""
    for stmt in statements(text):
        word = first_word(stmt)
        if word and not word.startswith('.') and word.lower() not in macros:
            return True
    return False


def is_code(args):
    """Whether `.section NAME[, "FLAGS"...]` names a code section: its flags say
    so, or without flags its name does, as GNU as decides for ELF."""
    parts = [p.strip() for p in args.split(',')]
    name = parts[0].strip('"')
    if len(parts) > 1 and parts[1].startswith('"'):
        return 'x' in parts[1].strip('"')
    return bool(CODE_SECTION.match(name))


class Sections:
    """The section the assembler is in, followed through the directives that
    switch it: whether it is a code section, the stack .pushsection keeps and
    what .previous goes back to."""

    def __init__(self):
        self.code, self.previous, self.stack = True, True, []

    def _enter(self, code):
        self.previous, self.code = self.code, code

    def apply(self, stmt):
        words = stmt.split(None, 1)
        op, args = words[0].lower(), (words[1] if len(words) > 1 else '')
        if op == '.text':
            self._enter(True)
        elif op in ('.data', '.bss'):
            self._enter(False)
        elif op == '.section':
            self._enter(is_code(args))
        elif op == '.pushsection':
            self.stack.append((self.code, self.previous))
            self._enter(is_code(args))
        elif op == '.popsection' and self.stack:
            self.code, self.previous = self.stack.pop()
        elif op == '.previous':
            self.code, self.previous = self.previous, self.code


def read_lines(cpp_output):
    """(file, line, text) for each line of cpp output, linemarkers included
    with file None: they stay in the output for the assembler's messages."""
    lines, path, lineno = [], None, 0
    for text in cpp_output.split('\n'):
        m = LINEMARKER.match(text)
        if m:
            lineno = int(m.group(1))
            path = m.group(2)
            lines.append((None, 0, text))
            continue
        lines.append((path, lineno, text))
        lineno += 1
    return lines


def annotate(lines):
    macros = macro_names(lines)
    # File 1 names the compile unit: the file assembled, not its first header.
    first = LINEMARKER.match(lines[0][2]) if lines else None
    numbers = {first.group(2): 1} if first else {}
    out = []
    sections, depth = Sections(), 0
    for path, lineno, text in lines:
        prefix = ''
        if path is not None and not path.startswith('<') and has_instruction(text, macros):
            num = numbers.setdefault(path, len(numbers) + 1)
            if depth > 0:
                prefix = '.if %s; .loc %d %d; .endif; ' % (IN_CODE, num, lineno)
            elif sections.code:
                prefix = '.loc %d %d; ' % (num, lineno)
        was_code = sections.code
        for stmt in statements(text):
            op = stmt.split(None, 1)[0].lower()
            if op == '.macro':
                depth += 1
            elif op == '.endm' and depth > 0:
                depth -= 1
            elif depth == 0:
                sections.apply(stmt)
        if sections.code != was_code:
            # After the switch, on the same line (so without its comment).
            text = '\t%s; .set %s, %d' % ('; '.join(statements(text)), IN_CODE, int(sections.code))
        # On the line they are for, so the assembler's own messages keep its number.
        out.append(('\t' + prefix if prefix else '') + text)
    head = ['\t.file %d "%s"' % (num, path) for path, num in numbers.items()]
    head.append('.set %s, 1' % IN_CODE)
    return '\n'.join(head + out) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--output', required=True)
    ap.add_argument('--depfile', required=True)
    ap.add_argument('input')
    ap.add_argument('cc', nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cc = args.cc[1:] if args.cc and args.cc[0] == '--' else args.cc
    if not cc:
        ap.error('no compiler after --')
    # An absolute input makes every path in the line table absolute, headers
    # found beside it included, so gdb finds the files from any directory.
    cmd = cc + ['-E', '-x', 'assembler-with-cpp', '-MD', '-MF', args.depfile, '-MQ', args.output,
                os.path.abspath(args.input)]
    cpp = subprocess.run(cmd, stdout=subprocess.PIPE, universal_newlines=True)
    if cpp.returncode != 0:
        return cpp.returncode
    text = annotate(read_lines(cpp.stdout))
    with open(args.output, 'w') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
