# shellcheck shell=bash
# Shared by scripts/demo, scripts/test and .ci/run (sourced, not executed).
#
#   rapport_venv [EXTRA]   create .venv with Python >= 3.12 if needed and `pip install -e .[EXTRA]`
#                          unless the same pyproject.toml was already installed with that extra.
#
# Sets ROOT (the repository) and VENV (its .venv) and changes into ROOT.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

_say() { printf '%s\n' "$*" >&2; }

# True when "$1" is a Python interpreter of version 3.12 or later.
_python_ok() {
    [ -n "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

# Print the first Python >= 3.12 found: $RAPPORT_PYTHON, python3 (pyenv reads .python-version
# here), python3.12/3.13 on PATH, pyenv's 3.12, then any ~/.pyenv/versions/3.1[2-9]*.
_find_python() {
    local candidate
    local -a candidates=("${RAPPORT_PYTHON:-}" python3 python3.12 python3.13 python3.14)
    if command -v pyenv >/dev/null 2>&1; then
        candidates+=("$(pyenv which python3.12 2>/dev/null || true)")
    fi
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
        candidates+=("$candidate")
    done
    for candidate in "${candidates[@]}"; do
        [ -n "$candidate" ] || continue
        if [[ "$candidate" != */* ]]; then
            candidate="$(command -v "$candidate" 2>/dev/null)" || continue
        fi
        if _python_ok "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

_venv_create() {
    local python
    if ! python="$(_find_python)"; then
        _say "error: Rapport needs Python 3.12 or later and none was found."
        _say "       Install one (e.g. 'pyenv install 3.12') or point RAPPORT_PYTHON at it."
        return 1
    fi
    _say "Creating .venv with $("$python" -c 'import sys; print(sys.version.split()[0])') ($python)"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
}

rapport_venv() {
    local extra="${1:-}" spec="." stamp fingerprint
    if [ -x "$VENV/bin/python" ] && ! _python_ok "$VENV/bin/python"; then
        _say "The existing .venv has Python older than 3.12: rebuilding it."
        rm -rf "$VENV"
    elif [ -e "$VENV" ] && ! head -n 3 "$VENV/bin/pip" 2>/dev/null | grep -qF "$VENV/bin/python"; then
        # Copied or moved from elsewhere (its scripts would run another directory's Python).
        _say "The existing .venv was made for another directory: rebuilding it."
        rm -rf "$VENV"
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        _venv_create || return 1
    fi
    [ -n "$extra" ] && spec=".[$extra]"
    stamp="$VENV/.rapport-installed${extra:+-$extra}"
    fingerprint="$( { cat "$ROOT/pyproject.toml"; "$VENV/bin/python" -V; printf '%s\n' "$ROOT"; } \
        | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ] && [ -x "$VENV/bin/rapport" ]; then
        return 0
    fi
    _say "Installing Rapport ($spec) into .venv …"
    # PYTHONWARNINGS silences setuptools' notice about editable installs in the build backend.
    PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS=ignore \
        "$VENV/bin/python" -m pip install --quiet --progress-bar off --editable "$spec" || return 1
    printf '%s\n' "$fingerprint" >"$stamp"
    # The test extra contains the base install, so it satisfies a later plain install too.
    [ -n "$extra" ] && printf '%s\n' "$fingerprint" >"$VENV/.rapport-installed"
    return 0
}
