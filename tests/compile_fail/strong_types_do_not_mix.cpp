// A CS ID cannot be passed where a CSB ID is expected: strong types do not
// convert into each other (nor from plain integers).
// expect-error: (conversion from|cannot convert|no viable conversion|could not convert)
#include <mikey/mikey.hpp>

static unsigned bundle(mikey::csb_id id) { return id.get(); }

int main() {
    const mikey::cs_id cs{1};
#if MIKEY_COMPILE_FAIL
    return static_cast<int>(bundle(cs));
#else
    return static_cast<int>(bundle(mikey::csb_id{cs.get()})) - 1;
#endif
}
