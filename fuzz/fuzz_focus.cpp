// fuzz_focus: the conference focus (conference/focus.hpp) driven by a
// program of joins, REFERs, call-outs, leaves, management changes, CSB
// update deliveries and forged / replayed messages over the in-memory world
// of tests/conference_world.hpp. focus_fuzz.hpp says how the input is read
// and what is checked after every step.
//
// Corpus: fuzz/corpus/focus/ (seed-* files written by seed_corpus: flows
// 2-5 in both key models, management, forged deliveries; then what fuzzing
// found).
#include "focus_fuzz.hpp"

namespace {

void fuzz_one(mikey::bytes_view in) { mikey_fuzz::focus_fuzz::run(in); }

}  // namespace

MIKEY_FUZZ_TARGET(fuzz_one)
