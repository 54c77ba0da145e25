#!/usr/bin/env bash
# Installs provcheck: the binary, its man pages and its shell completions.
#
#   Scripts/install.sh [--prefix DIR] [--skip-build] [--binary PATH]
#
#   --prefix DIR    install under DIR (default: /usr/local):
#                     DIR/bin/provcheck
#                     DIR/share/man/man1/provcheck.1, provcheck-<subcommand>.1 (e.g. provcheck-verify.1)
#                     DIR/share/bash-completion/completions/provcheck
#                     DIR/share/zsh/site-functions/_provcheck
#                     DIR/share/fish/vendor_completions.d/provcheck.fish
#   --skip-build    do not build: install an existing binary (--binary, else .build/release, else .build/debug).
#                   Man pages come from swift-argument-parser's generate-manual when it was built
#                   (swift build [-c release] --product generate-manual), else from each command's --help text.
#   --binary PATH   the provcheck binary to install (implies --skip-build).
#
# Without --skip-build: installs missing system packages (Scripts/install-deps.sh), then
# `swift build -c release --product provcheck` and `--product generate-manual` (swift-argument-parser's manual
# generator, from the package's own dependency: nothing is downloaded when the dependency is already fetched).
set -euo pipefail

prefix=/usr/local
skip_build=0
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --skip-build) skip_build=1; shift ;;
    --binary) [ $# -ge 2 ] || { echo "install.sh: --binary needs a path" >&2; exit 2; }; binary="$2"; skip_build=1; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$prefix" ] || { echo "install.sh: --prefix is empty" >&2; exit 2; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

generate_manual=""
if [ "$skip_build" -eq 0 ]; then
  Scripts/install-deps.sh
  echo "install.sh: building provcheck (release)" >&2
  swift build -c release --product provcheck
  swift build -c release --product generate-manual
  bin_dir="$(swift build -c release --show-bin-path)"
  binary="$bin_dir/provcheck"
  generate_manual="$bin_dir/generate-manual"
else
  if [ -z "$binary" ]; then
    for candidate in .build/release/provcheck .build/debug/provcheck; do
      if [ -x "$candidate" ]; then binary="$candidate"; break; fi
    done
  fi
  [ -n "$binary" ] && [ -x "$binary" ] || {
    echo "install.sh: --skip-build: no provcheck binary (build it: swift build -c release --product provcheck)" >&2
    exit 2
  }
  for candidate in "$(dirname "$binary")/generate-manual" .build/release/generate-manual .build/debug/generate-manual; do
    if [ -x "$candidate" ]; then generate_manual="$candidate"; break; fi
  done
fi

"$binary" --version >/dev/null || { echo "install.sh: $binary does not run" >&2; exit 2; }

man_dir="$prefix/share/man/man1"
bash_dir="$prefix/share/bash-completion/completions"
zsh_dir="$prefix/share/zsh/site-functions"
fish_dir="$prefix/share/fish/vendor_completions.d"
mkdir -p "$prefix/bin" "$man_dir" "$bash_dir" "$zsh_dir" "$fish_dir"

install -m 0755 "$binary" "$prefix/bin/provcheck.tmp.$$"
mv -f "$prefix/bin/provcheck.tmp.$$" "$prefix/bin/provcheck"
installed="$prefix/bin/provcheck"

# Man pages: one for provcheck, one per subcommand (hidden ones and `help` left out).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "$generate_manual" ]; then
  date_args=()
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then date_args=(--date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)"); fi
  "$generate_manual" "$installed" --multi-page "${date_args[@]}" -o "$work"
  man_source="generate-manual"
else
  # Fallback: the --help text of every command, preformatted in a man page.
  man_source="--help"
  write_page() { # $1: file name (without .1), $2…: subcommand path
    local page="$1"; shift
    local title; title="$(echo "provcheck $*" | sed 's/ *$//')"
    local upper; upper="$(echo "${page//./-}" | tr '[:lower:]' '[:upper:]')"
    {
      echo ".TH $upper 1 \"\" \"provcheck $("$installed" --version)\" \"provcheck manual\""
      echo ".SH NAME"
      echo "$title"
      echo ".SH DESCRIPTION"
      echo ".nf"
      COLUMNS=80 "$installed" "$@" --help | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"
      echo ".fi"
    } > "$work/$page.1"
  }
  write_page provcheck
  subcommands="$(COLUMNS=200 "$installed" --help | awk '/^SUBCOMMANDS:/{on=1; next} on && /^  [a-z]/{print $1}')"
  for sub in $subcommands; do
    write_page "provcheck.$sub" "$sub"
    nested="$(COLUMNS=200 "$installed" "$sub" --help | awk '/^SUBCOMMANDS:/{on=1; next} on && /^  [a-z]/{print $1}')"
    for child in $nested; do write_page "provcheck.$sub.$child" "$sub" "$child"; done
  done
fi
count=0
for page in "$work"/*.1; do
  name="$(basename "$page" .1)"
  case "$name" in provcheck.help|provcheck.archive-probe) continue ;; esac
  install -m 0644 "$page" "$man_dir/${name//./-}.1"
  count=$((count + 1))
done

"$installed" --generate-completion-script bash > "$bash_dir/provcheck"
"$installed" --generate-completion-script zsh > "$zsh_dir/_provcheck"
"$installed" --generate-completion-script fish > "$fish_dir/provcheck.fish"

echo "installed provcheck $("$installed" --version) in $prefix:"
echo "  $installed"
echo "  $man_dir: $count man pages (from $man_source; try: man provcheck-verify)"
echo "  completions: $bash_dir/provcheck, $zsh_dir/_provcheck, $fish_dir/provcheck.fish"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "note: $prefix/bin is not on PATH" ;; esac
