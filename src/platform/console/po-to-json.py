#!/usr/bin/env python3
"""Writes the console's translations as JSON: {"zh_CN": {"msgid": "msgstr", ...}, ...}.

Only the messages whose references (the "#:" comments xgettext writes) lie below --source-prefix
are taken, so the browser loads the console's strings and not the whole project's. An untranslated
or fuzzy message is left out: the console then shows the English, as gettext would.
"""
import argparse
import ast
import json
import os


def entries(path):
    """Yields (references, flags, msgctxt, msgid, msgstr) for each entry of the .po file."""
    refs, flags, fields, key = [], [], {}, None

    def done():
        if 'msgid' in fields:
            yield refs, flags, fields.get('msgctxt'), fields['msgid'], fields.get('msgstr', '')

    with open(path, encoding='utf-8') as po:
        for line in po:
            line = line.strip()
            if not line:
                yield from done()
                refs, flags, fields, key = [], [], {}, None
            elif line.startswith('#:'):
                refs += line[2:].split()
            elif line.startswith('#,'):
                flags += [f.strip() for f in line[2:].split(',')]
            elif line.startswith('#'):
                continue
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
            else:
                key, _, text = line.partition(' ')
                if key in fields:
                    # a new entry without a blank line between (msgmerge always writes one)
                    yield from done()
                    refs, flags, fields = [], [], {}
                fields[key] = ast.literal_eval(text)
    yield from done()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--source-prefix', required=True)
    parser.add_argument('--output', required=True)
    parser.add_argument('po', nargs='+')
    args = parser.parse_args()
    catalogues = {}
    for path in args.po:
        messages = {}
        for refs, flags, context, msgid, msgstr in entries(path):
            if (msgid and msgstr and context is None and 'fuzzy' not in flags
                    and any(r.startswith(args.source_prefix) for r in refs)):
                messages[msgid] = msgstr
        catalogues[os.path.splitext(os.path.basename(path))[0]] = messages
    temp = args.output + '.tmp'
    with open(temp, 'w', encoding='utf-8') as out:
        json.dump(catalogues, out, ensure_ascii=False, sort_keys=True, indent=0)
        out.write('\n')
    os.replace(temp, args.output)


if __name__ == '__main__':
    main()
