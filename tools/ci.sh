#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs
# everything CI checks. .ci/run calls it.
#
#   bash tools/ci.sh                 all steps
#   MIKEY_CI_STEPS="gcc single" bash tools/ci.sh    only these steps
#
# Steps (each prints one status line; failures are counted, never hidden):
#   packages     install missing Debian packages (tools/install-deps.sh)
#   amalgamate   single_include/mikey/mikey.hpp equals a fresh tools/amalgamate
#   headers      every header under include/ (and the single header) compiles
#                alone, with g++ and with clang++
#   parse-only   tests/parse_only/ against the single header with -DMIKEY_NO_BOTAN
#                and no Botan on the include path, plain and with -fno-exceptions
#                -fno-rtti -Os (g++), each run
#   gcc          the suite against include/ (doctest, compile-fail tests, README
#                example, corpus replay, ...), then `meson install` into build-ci-install
#   single       the suite against single_include/ (-Dsingle_header=true)
#   asan         the suite under AddressSanitizer + UBSan
#   noexcept     the suite built with -fno-exceptions
#   consumers    a tiny program built three ways against the library: meson
#                subproject, CMake find_package, pkg-config (needs gcc's install)
#   fuzz         clang + ASan/UBSan: the suite (doctest, compile-fail tests with
#                clang++, README example, corpus replays; not tools/ or the
#                interop checks, which the gcc and asan steps run), then every
#                libFuzzer target for a bounded time (MIKEY_FUZZ_SECONDS in all,
#                default 240: a smoke run that keeps CI well inside its time
#                budget; longer campaigns: fuzz/README.md)
#
# Counts: a meson test is one test (from meson-logs/testlog.json); a header,
# a parse-only configuration, a consumer build, a fuzz target and the
# amalgamation check are one each; a build that fails counts as one failure.
# The last line is `N passed, N failed`; the exit status is 1 when anything
# failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
JOBS=${MIKEY_JOBS:-2}
STEPS=${MIKEY_CI_STEPS:-packages amalgamate headers parse-only gcc single asan noexcept consumers fuzz}
FUZZ_SECONDS=${MIKEY_FUZZ_SECONDS:-240}
INSTALL_PREFIX=$ROOT/build-ci-install
LOGS=$ROOT/build-ci-logs
mkdir -p "$LOGS"

PACKAGES=(meson ninja-build pkg-config g++ libbotan-2-dev doctest-dev nlohmann-json3-dev
          libbenchmark-dev tshark libgstreamer-plugins-base1.0-dev clang libclang-rt-14-dev
          cmake python3 python3-cryptography libsrtp2-dev)

total_pass=0
total_fail=0
summary=()
started=$(date +%s)

want() { [[ " $STEPS " == *" $1 "* ]]; }

# record STEP PASSED FAILED [NOTE]
record() {
  local step=$1 p=$2 f=$3 note=${4:-}
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  local mark=ok
  [ "$f" -gt 0 ] && mark=FAIL
  local line
  line=$(printf '[%-4s] %-16s %4d ok, %3d failed  %s' "$mark" "$step" "$p" "$f" "$note")
  summary+=("$line")
  echo "$line"
}

banner() { printf '\n==== %s (%ds) ====\n' "$1" $(( $(date +%s) - started )); }

# Counts meson test results of BUILD_DIR from its testlog.json: prints "PASS FAIL".
count_meson_tests() {
  python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = 0
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line).get("result", "")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r != "SKIP":
                failed += 1
except OSError:
    failed = 1
print(passed, failed)
PY
}

# suite STEP BUILD_DIR [meson setup options...]: configure, build, meson test
# (with $SUITE_TEST_ARGS added to meson test's arguments).
suite() {
  local step=$1 dir=$2
  shift 2
  banner "$step: meson setup $dir $*"
  local t0
  t0=$(date +%s)
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$LOGS/$step.setup.log" 2>&1
  else
    rm -rf "$dir"
    meson setup "$dir" "$@" >"$LOGS/$step.setup.log" 2>&1
  fi || { cat "$LOGS/$step.setup.log"; record "$step" 0 1 "meson setup failed"; return 1; }
  if ! ninja -C "$dir" -j "$JOBS" >"$LOGS/$step.build.log" 2>&1; then
    grep -E -B2 -A20 'error|FAILED' "$LOGS/$step.build.log" | head -120
    record "$step" 0 1 "build failed (log: $LOGS/$step.build.log)"
    return 1
  fi
  rm -f "$dir/meson-logs/testlog.json"
  # shellcheck disable=SC2086  # SUITE_TEST_ARGS is a list of words
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$JOBS" ${SUITE_TEST_ARGS:-} \
    >"$LOGS/$step.test.log" 2>&1
  local counts
  counts=$(count_meson_tests "$dir")
  if [ "${counts#* }" != 0 ]; then
    # the failing tests' own output (--print-errorlogs), then meson's summary
    sed -n '/^Summary of Failures:/q;p' "$LOGS/$step.test.log" | grep -vE '^ *[0-9]+/[0-9]+ .* (OK|SKIP|EXPECTEDFAIL) ' | tail -n 100
    sed -n '/^Summary of Failures:/,/^Ok:/p' "$LOGS/$step.test.log" | head -40
  fi
  record "$step" ${counts% *} ${counts#* } "$(( $(date +%s) - t0 ))s, meson test in $dir"
}

if want packages; then
  banner packages
  if bash tools/install-deps.sh "${PACKAGES[@]}"; then
    record packages 1 0
  else
    record packages 0 1 "apt-get failed"
  fi
fi

if want amalgamate; then
  banner "amalgamate: single_include/ up to date"
  if python3 tools/amalgamate --check; then
    record amalgamate 1 0
  else
    record amalgamate 0 1 "run tools/amalgamate and commit single_include/"
  fi
fi

if want headers; then
  for cxx in g++ clang++; do
    banner "headers: each compiles alone ($cxx)"
    if ! command -v "$cxx" >/dev/null 2>&1; then
      record "headers-$cxx" 0 1 "$cxx not found"
      continue
    fi
    hout=$(python3 tests/header_check/run --compiler "$cxx" --jobs "$JOBS" 2>&1)
    echo "$hout" | grep -v '^  ok ' || true
    last=$(echo "$hout" | tail -n 1)
    if [[ $last =~ ^headers:\ ([0-9]+)\ ok,\ ([0-9]+)\ failed ]]; then
      record "headers-$cxx" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
      record "headers-$cxx" 0 1 "header check did not run"
    fi
  done
fi

if want parse-only; then
  banner "parse-only: the single header with MIKEY_NO_BOTAN, without Botan"
  if ! command -v g++ >/dev/null 2>&1; then
    record parse-only 0 2 "g++ not found"
  else
    pout=$(python3 tests/parse_only/run --compiler g++ --build-dir "$ROOT/build-ci-parse-only" 2>&1)
    echo "$pout"
    last=$(echo "$pout" | tail -n 1)
    if [[ $last =~ ^parse-only:\ ([0-9]+)\ ok,\ ([0-9]+)\ failed ]]; then
      record parse-only "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
      record parse-only 0 2 "tests/parse_only/run did not run"
    fi
  fi
fi

if want gcc; then
  if suite gcc build-ci-gcc --prefix="$INSTALL_PREFIX"; then
    rm -rf "$INSTALL_PREFIX"
    if ! meson install -C build-ci-gcc --no-rebuild >"$LOGS/install.log" 2>&1; then
      cat "$LOGS/install.log"
      record install 0 1 "meson install failed"
    fi
  fi
fi

if want single; then
  # -O0 without debug info: these builds check compilation and behaviour, and
  # the gcc step already compiles everything at -O2 (where gcc warns most).
  suite single build-ci-single -Dsingle_header=true -Dtools=false -Dexamples=false \
    -Doptimization=0 -Ddebug=false
fi

if want asan; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  # sanitized programs run several times slower: scale the tests' timeouts
  # -Og with line tables only (-g1): the sanitizers' reports keep file:line, and
  # the build takes under half the time of -O1 -g (tests/conference.cpp: 35 s vs 81 s).
  SUITE_TEST_ARGS=--timeout-multiplier=4 suite asan build-ci-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Doptimization=g -Ddebug=false "-Dcpp_args=['-fno-sanitize-recover=all','-g1']"
fi

if want noexcept; then
  # doctest's CHECK_THROWS* become no-ops instead of static_assert failures.
  suite noexcept build-ci-noexcept "-Dcpp_args=['-fno-exceptions','-DDOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS']" \
    -Dtools=false -Dexamples=false -Doptimization=0 -Ddebug=false
fi

if want consumers; then
  banner "consumers: meson subproject, CMake find_package, pkg-config"
  cdir=$ROOT/build-ci-consumer
  rm -rf "$cdir"
  mkdir -p "$cdir"
  if [ ! -f "$INSTALL_PREFIX/share/pkgconfig/mikey-ticket.pc" ]; then
    record consumers 0 3 "no install in $INSTALL_PREFIX (the gcc step installs it)"
  else
    cp -r tests/consumer "$cdir/src"
    # meson subproject: a copy of the library's own files as subprojects/mikey-ticket
    sub=$cdir/src/meson/subprojects/mikey-ticket
    mkdir -p "$sub"
    cp -r meson.build meson_options.txt include single_include cmake "$sub/"
    mkdir -p "$sub/tools" && cp tools/amalgamate "$sub/tools/"
    if meson setup "$cdir/meson" "$cdir/src/meson" --force-fallback-for=mikey-ticket >"$cdir/meson.log" 2>&1 &&
       ninja -C "$cdir/meson" >>"$cdir/meson.log" 2>&1 && "$cdir/meson/consumer"; then
      record consumer-meson 1 0
    else
      tail -n 40 "$cdir/meson.log"
      record consumer-meson 0 1 "log: $cdir/meson.log"
    fi
    if cmake -S "$cdir/src/cmake" -B "$cdir/cmake" -DCMAKE_PREFIX_PATH="$INSTALL_PREFIX" >"$cdir/cmake.log" 2>&1 &&
       cmake --build "$cdir/cmake" >>"$cdir/cmake.log" 2>&1 && "$cdir/cmake/consumer"; then
      record consumer-cmake 1 0
    else
      tail -n 40 "$cdir/cmake.log"
      record consumer-cmake 0 1 "log: $cdir/cmake.log"
    fi
    pc_flags=$(PKG_CONFIG_PATH="$INSTALL_PREFIX/share/pkgconfig" pkg-config --cflags --libs mikey-ticket 2>"$cdir/pkgconfig.log")
    # shellcheck disable=SC2086  # pkg-config output is a list of words
    if [ -n "$pc_flags" ] &&
       g++ -std=c++20 -Wall -Wextra -Werror "$cdir/src/consumer.cpp" $pc_flags -o "$cdir/consumer-pkgconfig" >>"$cdir/pkgconfig.log" 2>&1 &&
       "$cdir/consumer-pkgconfig"; then
      record consumer-pc 1 0 "pkg-config --cflags --libs mikey-ticket: $pc_flags"
    else
      cat "$cdir/pkgconfig.log"
      record consumer-pc 0 1 "log: $cdir/pkgconfig.log"
    fi
  fi
fi

if want fuzz; then
  if [ ! -f fuzz/meson.build ]; then
    banner "fuzz: no fuzz/meson.build yet, skipped"
  elif ! command -v clang++ >/dev/null 2>&1; then
    banner "fuzz"
    record fuzz 0 1 "clang++ not found"
  else
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    fdir=build-ci-fuzz
    # clang + ASan/UBSan build: the suite (its meson tests count like every
    # other step's), and the libFuzzer binaries run below.
    if CXX=clang++ SUITE_TEST_ARGS=--timeout-multiplier=4 suite clang-suite "$fdir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
         -Doptimization=1 -Ddebug=false "-Dcpp_args=['-fno-sanitize-recover=all','-g1']" -Dtests=true -Dinterop=false -Dtools=false -Dexamples=false; then
      mapfile -t targets < <(meson introspect --targets "$fdir" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("fuzz_") and "/fuzz/" in t["defined_in"]:
        print(t["filename"][0])')
      banner "fuzz: ${#targets[@]} libFuzzer targets, ${FUZZ_SECONDS}s in all"
      if [ ${#targets[@]} -eq 0 ]; then
        record fuzz 0 1 "no fuzz_* executables in fuzz/meson.build"
      else
        per=$(( FUZZ_SECONDS / ${#targets[@]} ))
        [ "$per" -lt 5 ] && per=5
        fp=0
        ff=0
        for exe in "${targets[@]}"; do
          name=$(basename "$exe")
          target=${name#fuzz_}
          work=$fdir/fuzz-run/$target
          rm -rf "$work"
          mkdir -p "$work/corpus"
          seeds=()
          [ -d "fuzz/corpus/$target" ] && seeds=("fuzz/corpus/$target")
          if timeout $((per + 120)) "$exe" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
               -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "${seeds[@]}" \
               >"$work/log" 2>&1; then
            fp=$((fp + 1))
            echo "  ok   $target: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -Eo '[0-9]+$') runs in ${per}s"
          else
            ff=$((ff + 1))
            echo "  FAIL $target: crash or error; artifacts in $work/"
            grep -E -A30 'ERROR: |runtime error|SUMMARY' "$work/log" | head -60
            echo "  (reproduce: $exe $work/crash-*; add it to fuzz/corpus/$target/ once fixed)"
          fi
        done
        record fuzz "$fp" "$ff" "${per}s per target"
      fi
    fi
  fi
fi

banner "summary"
printf '%s\n' "${summary[@]}"
echo "elapsed: $(( $(date +%s) - started ))s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
