#pragma once
// Binlog event type codes of MySQL (1-42) and MariaDB (160-171), and their names.
// The codes are the byte at offset 4 of every v4 event header. MariaDB starts its own
// types at 160 so the two ranges never collide; a code we do not know is still a valid
// event (returned as UnknownEvent), because a newer server may add types that are safe
// to skip (LOG_EVENT_IGNORABLE_F).

#include <cstdint>
#include <string>

namespace tideway::replication::mysql {

enum class EventType : std::uint8_t {
  kUnknown = 0,
  kStartV3 = 1,
  kQuery = 2,
  kStop = 3,
  kRotate = 4,
  kIntvar = 5,
  kLoad = 6,
  kSlave = 7,
  kCreateFile = 8,
  kAppendBlock = 9,
  kExecLoad = 10,
  kDeleteFile = 11,
  kNewLoad = 12,
  kRand = 13,
  kUserVar = 14,
  kFormatDescription = 15,
  kXid = 16,
  kBeginLoadQuery = 17,
  kExecuteLoadQuery = 18,
  kTableMap = 19,
  kPreGaWriteRows = 20,
  kPreGaUpdateRows = 21,
  kPreGaDeleteRows = 22,
  kWriteRowsV1 = 23,
  kUpdateRowsV1 = 24,
  kDeleteRowsV1 = 25,
  kIncident = 26,
  kHeartbeat = 27,
  kIgnorable = 28,
  kRowsQuery = 29,
  kWriteRowsV2 = 30,
  kUpdateRowsV2 = 31,
  kDeleteRowsV2 = 32,
  kGtid = 33,
  kAnonymousGtid = 34,
  kPreviousGtids = 35,
  kTransactionContext = 36,
  kViewChange = 37,
  kXaPrepare = 38,
  kPartialUpdateRows = 39,
  kTransactionPayload = 40,
  kHeartbeatV2 = 41,
  kGtidTagged = 42,
  kMariaAnnotateRows = 160,
  kMariaBinlogCheckpoint = 161,
  kMariaGtid = 162,
  kMariaGtidList = 163,
  kMariaStartEncryption = 164,
  kMariaQueryCompressed = 165,
  kMariaWriteRowsCompressedV1 = 166,
  kMariaUpdateRowsCompressedV1 = 167,
  kMariaDeleteRowsCompressedV1 = 168,
  kMariaWriteRowsCompressed = 169,
  kMariaUpdateRowsCompressed = 170,
  kMariaDeleteRowsCompressed = 171,
};

/// Upper-case name without the "_EVENT" suffix ("WRITE_ROWS_V2", "MARIA_GTID"), or
/// "UNKNOWN_<code>" for a code we do not know.
std::string event_type_name(std::uint8_t code);

/// Header flag LOG_EVENT_IGNORABLE_F: a reader that does not know the event type may
/// skip the event instead of failing.
inline constexpr std::uint16_t kLogEventIgnorableFlag = 0x80;
/// Header flag LOG_EVENT_ARTIFICIAL_F: made up by the server (e.g. a relay log's fake
/// ROTATE), not written by a client transaction; its log position is 0.
inline constexpr std::uint16_t kLogEventArtificialFlag = 0x20;

}  // namespace tideway::replication::mysql
