// mikey-ticket: the crypto layer in one include (without a backend: add
// botan_backend.hpp, or your own model of crypto_backend).
#pragma once

#include "../core/secret.hpp"
#include "backend.hpp"
#include "labels.hpp"
#include "prf.hpp"
#include "derive.hpp"
#include "algorithms.hpp"
#include "protection_keys.hpp"
#include "kemac_cipher.hpp"
#include "mac.hpp"
#include "kemac.hpp"
