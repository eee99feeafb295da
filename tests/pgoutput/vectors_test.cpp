// The captured pgoutput vectors: every vector of both fixture files is decoded and every
// field of its "expected" object is compared. A field name this test does not know fails
// the test, so a new expectation in the fixtures cannot be skipped silently.

#include <catch2/catch.hpp>
#include <string>

#include "replication/postgres/pgoutput_decoder.h"
#include "tests/pgoutput/fixture_vectors.h"
#include "tests/pgoutput/pgoutput_encoder.h"

namespace tideway::replication::postgres {
namespace {

using nlohmann::json;
using test::PgoutputVector;

// Each expected field is compared as JSON: actual_field() renders the decoded value in the
// vocabulary of the fixture (which differs between the two sources) and fails for a field
// name it does not know, so no expectation goes unchecked.

// An LSN is given as "X/Y" text (electric) or as the 64-bit integer (pypgoutput).
json lsn_like(const Lsn& lsn, const json& expected) {
  if (expected.is_string()) {
    CHECK(Lsn::parse(expected.get<std::string>()) == lsn);  // and the text parses back
    return lsn.to_string();
  }
  return lsn.value;
}

// Values as electric lists them: a string, null for 'n', "unchanged_toast" for 'u'.
json values(const TupleData& tuple) {
  json out = json::array();
  for (const auto& c : tuple.columns) {
    switch (c.kind) {
      case ColumnKind::kNull:
        out.push_back(nullptr);
        break;
      case ColumnKind::kUnchangedToast:
        out.push_back("unchanged_toast");
        break;
      case ColumnKind::kText:
        out.push_back(c.bytes);
        break;
      case ColumnKind::kBinary:  // no fixture has one; render it so it cannot match text
        out.push_back("binary:" + c.bytes);
        break;
    }
  }
  return out;
}

json optional_values(const std::optional<TupleData>& tuple) {
  return tuple ? values(*tuple) : json(nullptr);
}

// Columns as pypgoutput lists them: {kind, length, data}.
json column_details(const TupleData& tuple) {
  json out = json::array();
  for (const auto& c : tuple.columns) {
    out.push_back({{"kind", std::string(1, static_cast<char>(c.kind))},
                   {"length", c.bytes.size()},
                   {"data", c.bytes}});
  }
  return out;
}

// electric spells the identity out, pypgoutput gives the wire character.
json identity_like(ReplicaIdentity identity, const json& expected) {
  const auto wire = std::string(1, static_cast<char>(identity));
  if (expected.get<std::string>().size() == 1) return wire;
  switch (identity) {
    case ReplicaIdentity::kDefault:
      return "default";
    case ReplicaIdentity::kNothing:
      return "nothing";
    case ReplicaIdentity::kFull:
      return "all_columns";
    case ReplicaIdentity::kIndex:
      return "index";
  }
  return wire;
}

// Relation columns, with exactly the keys the expected columns use.
json relation_columns(const std::vector<RelationColumn>& columns, const json& expected) {
  json out = json::array();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    if (i >= expected.size()) {  // more columns than expected: make the mismatch visible
      out.push_back(c.name);
      continue;
    }
    json col = json::object();
    for (const auto& [key, unused] : expected[i].items()) {
      if (key == "key")
        col[key] = c.is_key();
      else if (key == "part_of_pkey")
        col[key] = c.flags;
      else if (key == "name")
        col[key] = c.name;
      else if (key == "type_oid")
        col[key] = c.type_oid;
      else if (key == "typmod" || key == "atttypmod")
        col[key] = c.type_modifier;
      else
        FAIL("unchecked expected relation column field " << key);
    }
    out.push_back(std::move(col));
  }
  return out;
}

json actual_field(const PgoutputMessage& message, const std::string& key, const json& expected) {
  if (const auto* b = std::get_if<BeginMessage>(&message)) {
    if (key == "final_lsn") return lsn_like(b->final_lsn, expected);
    if (key == "commit_ts") return b->commit_time.to_iso8601();
    if (key == "xid") return b->xid;
  } else if (const auto* c = std::get_if<CommitMessage>(&message)) {
    if (key == "flags") return c->flags;
    if (key == "commit_lsn") return lsn_like(c->commit_lsn, expected);
    if (key == "end_lsn") return lsn_like(c->end_lsn, expected);
    if (key == "commit_ts") return c->commit_time.to_iso8601();
  } else if (const auto* o = std::get_if<OriginMessage>(&message)) {
    if (key == "origin_commit_lsn") return lsn_like(o->origin_commit_lsn, expected);
    if (key == "name") return o->name;
  } else if (const auto* l = std::get_if<LogicalDecodingMessage>(&message)) {
    if (key == "transactional") return l->transactional();
    if (key == "lsn") return lsn_like(l->lsn, expected);
    if (key == "prefix") return l->prefix;
    if (key == "content") return l->content;
  } else if (const auto* r = std::get_if<RelationMessage>(&message)) {
    if (key == "relation_id") return r->relation_id;
    if (key == "namespace") return r->namespace_name;
    if (key == "name" || key == "relation_name") return r->relation_name;
    if (key == "replica_identity") return identity_like(r->replica_identity, expected);
    if (key == "n_columns") return r->columns.size();
    if (key == "columns") return relation_columns(r->columns, expected);
  } else if (const auto* y = std::get_if<TypeMessage>(&message)) {
    if (key == "type_oid") return y->type_oid;
    if (key == "namespace") return y->namespace_name;
    if (key == "name") return y->type_name;
  } else if (const auto* t = std::get_if<TruncateMessage>(&message)) {
    if (key == "number_of_relations") return t->relation_ids.size();
    if (key == "relation_ids") return t->relation_ids;
    if (key == "option_bits") return t->options;
    if (key == "options") {
      json names = json::array();
      if (t->cascade()) names.push_back("cascade");
      if (t->restart_identity()) names.push_back("restart_identity");
      return names;
    }
  } else if (const auto* i = std::get_if<InsertMessage>(&message)) {
    if (key == "relation_id") return i->relation_id;
    if (key == "new") return values(i->new_tuple);
    // A decoded Insert had 'N' before its tuple: the decoder refuses any other marker.
    if (key == "tuple") return "N";
    if (key == "n_columns") return i->new_tuple.columns.size();
    if (key == "columns") return column_details(i->new_tuple);
  } else if (const auto* u = std::get_if<UpdateMessage>(&message)) {
    if (key == "relation_id") return u->relation_id;
    if (key == "key") return optional_values(u->key_tuple);
    if (key == "old") return optional_values(u->old_tuple);
    if (key == "new" || key == "new_tuple") return values(u->new_tuple);
  } else if (const auto* d = std::get_if<DeleteMessage>(&message)) {
    if (key == "relation_id") return d->relation_id;
    if (key == "key" || key == "key_tuple") return optional_values(d->key_tuple);
    if (key == "old") return optional_values(d->old_tuple);
  }
  FAIL("unchecked expected field " << key << " for message type " << message_type_byte(message));
  return nullptr;
}

void check_vector(const PgoutputVector& v) {
  INFO(v.source << " vector " << v.name);
  for (const auto& [key, value] : v.json.items()) {
    if (key == "name" || key == "hex" || key == "expected" || key == "expected_note" ||
        key == "synthetic" || key == "message")
      continue;  // identity, input and free text; "message" is checked below
    if (key == "length") {
      CHECK(v.bytes.size() == value.get<std::size_t>());
      continue;
    }
    FAIL("unknown vector field " << key);
  }
  const json& expected = v.json.at("expected");
  const std::string type = v.json.at("message").get<std::string>();
  REQUIRE(type.size() == 1);
  REQUIRE(v.bytes.at(0) == static_cast<std::uint8_t>(type[0]));

  auto decoded = decode_pgoutput(v.bytes, DecodeOptions{});
  if (expected.contains("unsupported")) {
    REQUIRE(expected.size() == 1);
    REQUIRE(expected.at("unsupported") == true);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kCorruption);
    CHECK(decoded.error().message ==
          "pgoutput: unknown message type '!' (0x21) (at byte offset 0, message is 20 bytes)");
    return;
  }
  REQUIRE(decoded.ok());
  CHECK(message_type_byte(*decoded) == type[0]);
  REQUIRE_FALSE(expected.empty());
  for (const auto& [key, value] : expected.items()) {
    INFO("expected field " << key);
    CHECK(actual_field(*decoded, key, value) == value);
  }
  // Every byte went into a field: writing the fields back gives the captured bytes.
  CHECK(test::encode_pgoutput(*decoded) == v.bytes);
}

TEST_CASE("pgoutput: every electric vector decodes to its expected fields", "[pgoutput]") {
  const auto vectors = test::load_pgoutput_vectors("electric");
  REQUIRE(vectors.size() == 24);
  for (const auto& v : vectors) check_vector(v);
}

TEST_CASE("pgoutput: every pypgoutput vector decodes to its expected fields", "[pgoutput]") {
  const auto vectors = test::load_pgoutput_vectors("pypgoutput");
  REQUIRE(vectors.size() == 7);
  for (const auto& v : vectors) check_vector(v);
}

TEST_CASE("pgoutput: the real captured timestamps match their Unix time", "[pgoutput]") {
  // Begin from pypgoutput: commit 2021-04-20T20:13:16.867121Z, checked independently of
  // the ISO formatter against the Unix time of that instant (1618949596.867121 s).
  const auto vectors = test::load_pgoutput_vectors("pypgoutput");
  const auto& begin = vectors.at(1);
  REQUIRE(begin.name == "begin");
  auto decoded = decode_pgoutput(begin.bytes, DecodeOptions{});
  REQUIRE(decoded.ok());
  const auto& m = std::get<BeginMessage>(*decoded);
  CHECK(m.commit_time.unix_micros() == 1'618'949'596'867'121);
  CHECK(m.final_lsn.to_string() == "0/1663498");
}

}  // namespace
}  // namespace tideway::replication::postgres
