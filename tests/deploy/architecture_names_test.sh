#!/usr/bin/env bash
# docs/architecture.md names files, classes, functions and fields for a
# newcomer to find: every file it names must exist, and every identifier in
# backticks must occur as a word in the sources (a rename that forgets the
# page fails here).
set -u
root="$(cd "$(dirname "$0")/../.." && pwd)"
doc="$root/docs/architecture.md"
fail=0
cd "$root" || exit 1

# Files: words like registration/decide.cc, tests/support/memory_etcd.h.
while read -r path; do
  [[ -e "$path" ]] || { echo "FAIL: docs/architecture.md names $path, which does not exist"; fail=1; }
done < <(grep -oE '\b[a-z_]+(/[a-z_.]+)+\.(cc|h|md|sh)\b' "$doc" | sort -u)

# Identifiers in backticks: each part of A::B->C.D() must be a word in a source file.
sources=$(git ls-files '*.cc' '*.h' 2>/dev/null || find . -name '*.cc' -o -name '*.h')
while read -r token; do
  # Skip what is not a code name: config keys (dotted lowerCamel), paths,
  # expressions, placeholders.
  [[ "$token" =~ [[:space:]\<\>/\!\|\&=] ]] && continue
  [[ "$token" =~ ^[a-z]+\.[a-z][A-Za-z]*$ ]] && continue
  for part in $(echo "$token" | sed -E 's/\([^)]*\)//g; s/(::|->|\.)/ /g'); do
    [[ "$part" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    if ! grep -qw -- "$part" $sources; then
      echo "FAIL: docs/architecture.md names \`$token\`: no '$part' in the sources"
      fail=1
    fi
  done
done < <(grep -oE '`[^`]+`' "$doc" | tr -d '`' | sort -u)

if [[ $fail -eq 0 ]]; then echo "architecture_names: every name exists"; fi
exit $fail
