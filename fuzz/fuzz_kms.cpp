// fuzz_kms: the KMS machine (REQUEST_INIT_PSK and RESOLVE_INIT_PSK in),
// driven by fuzzed messages and fuzzed policy decisions; a real Initiator
// and Responder make the genuine messages. roles_fuzz.hpp says how the
// input is read and what is checked after every input.
//
// Corpus: fuzz/corpus/kms/ (seed-* files written by seed_corpus: every
// mode with and without forking, then what fuzzing found).
#include "roles_fuzz.hpp"

namespace {

void fuzz_one(mikey::bytes_view in) { mikey_fuzz::roles_fuzz::run(in, mikey_fuzz::roles_fuzz::role::kms); }

}  // namespace

MIKEY_FUZZ_TARGET(fuzz_one)
