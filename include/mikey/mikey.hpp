// mikey-ticket: the umbrella header. Including it gives the whole library;
// single_include/mikey/mikey.hpp is this header with everything inlined.
#pragma once

#include "core/config.hpp"
#include "core/bytes.hpp"
#include "core/registry.hpp"
#include "core/errc.hpp"
#include "core/result.hpp"
#include "core/reader.hpp"
#include "core/writer.hpp"
#include "core/strong_types.hpp"
#include "payload/common.hpp"
#include "payload/hdr.hpp"
#include "payload/kemac.hpp"
#include "payload/key_validity.hpp"
#include "payload/pke.hpp"
#include "payload/dh.hpp"
#include "payload/sign.hpp"
#include "payload/timestamp.hpp"
#include "payload/id.hpp"
#include "payload/verification.hpp"
#include "payload/sp.hpp"
#include "payload/rand.hpp"
#include "payload/err.hpp"
#include "payload/general_extension.hpp"
#include "payload/chain.hpp"
#include "payload/ticket.hpp"
#include "message.hpp"
#include "schema.hpp"
#include "crypto/crypto.hpp"
#ifndef MIKEY_NO_BOTAN  // parse-only use without Botan: see core/config.hpp
#include "crypto/botan_backend.hpp"
#endif
