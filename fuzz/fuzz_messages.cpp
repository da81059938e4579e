// fuzz_messages: message_view::parse on arbitrary bytes, and on success
// everything check_message() checks (check_message.hpp): every view and
// nested chain exercised, MAC coverage inside the message, schemas strict and
// lenient, and the message written again from its views' builders equal to
// the input.
//
// Corpus: fuzz/corpus/messages/ (the *.bin files are the sample messages of
// tests/samples.hpp, written by tests/make_samples; the others were found by
// fuzzing, and crash-* files are fixed bugs kept as regression tests).
#include "check_message.hpp"

namespace {

void fuzz_one(mikey::bytes_view in) { (void)mikey_fuzz::check_message(in); }

}  // namespace

MIKEY_FUZZ_TARGET(fuzz_one)
