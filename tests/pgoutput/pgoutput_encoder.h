#pragma once
// A test-only pgoutput encoder: the inverse of decode_pgoutput, written from the protocol
// layouts. Tests use it for the round-trip property encode(decode(bytes)) == bytes, which
// checks on every fixture and on thousands of mutated messages that the decoder consumed
// each byte into the field it belongs to (a skipped or misplaced field breaks equality).

#include <cstdint>
#include <vector>

#include "replication/postgres/pgoutput_decoder.h"

namespace tideway::test {

/// Wire bytes of `message`. A streamed-transaction xid is written when the message has
/// one, Stream Abort's abort LSN/time when present; "pg_catalog" is written as "" the way
/// the server does.
std::vector<std::uint8_t> encode_pgoutput(const replication::postgres::PgoutputMessage& message);

}  // namespace tideway::test
