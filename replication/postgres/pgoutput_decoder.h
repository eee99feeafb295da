#pragma once
// decode_pgoutput: one pgoutput message (the payload of an XLogData 'w' message, starting
// with the type byte) into a PgoutputMessage. The bytes come from the network, so every
// count and length is checked against what remains before anything is allocated, and any
// mismatch (short message, unknown type or kind byte, trailing bytes) is an Error with code
// kCorruption that names the message type and the byte offset; nothing on the wire can
// make the decoder assert or throw.
//
// The decoder is stateless. The two things that change the layout but are not in the
// bytes themselves - whether a streamed transaction is open, and whether Stream Abort
// carries the parallel-apply fields - are the caller's to track and pass in.

#include <cstdint>
#include <span>

#include "common/error.h"
#include "replication/postgres/pgoutput_message.h"

namespace tideway::replication::postgres {

struct DecodeOptions {
  /// proto_version given to START_REPLICATION (1..4). Messages that the server only sends
  /// from a later version (Stream* from 2, two-phase from 3) are rejected below it, so a
  /// version mix-up shows up at the first such message instead of as garbled rows.
  std::uint32_t protocol_version = 1;
  /// True between Stream Start and Stream Stop: Relation, Type, Insert, Update, Delete,
  /// Truncate and Message then carry an Int32 xid after the type byte. Needs version >= 2.
  bool in_streamed_transaction = false;
  /// True when START_REPLICATION asked for streaming = parallel with version >= 4: Stream
  /// Abort then also carries the abort LSN and timestamp.
  bool stream_abort_has_lsn = false;
};

/// Decodes one message. Errors: kCorruption for bad bytes, kInvalidArgument for options
/// that contradict each other (e.g. in_streamed_transaction with protocol version 1).
Result<PgoutputMessage> decode_pgoutput(std::span<const std::uint8_t> message,
                                        const DecodeOptions& options);

}  // namespace tideway::replication::postgres
