#include "replication/core/change.h"

namespace tideway::replication {

std::size_t RowImage::byte_size() const {
  std::size_t n = sizeof(RowImage) + columns.size() * sizeof(Datum);
  for (const auto& d : columns) {
    if (d.state != Datum::State::kValue) continue;
    if (const auto* t = std::get_if<TextValue>(&d.value.data())) n += t->bytes.size();
    else if (const auto* b = std::get_if<BytesValue>(&d.value.data())) n += b->bytes.size();
    else if (const auto* j = std::get_if<JsonValue>(&d.value.data())) n += j->text.size();
    else if (const auto* e = std::get_if<EngineValue>(&d.value.data())) n += e->bytes.size();
    else if (const auto* dec = std::get_if<DecimalValue>(&d.value.data())) n += dec->digits.size();
  }
  return n;
}

std::size_t Change::byte_size() const {
  std::size_t n = sizeof(Change);
  if (before) n += before->byte_size();
  if (after) n += after->byte_size();
  return n + truncated.size() * sizeof(void*);
}

std::size_t event_byte_size(const StreamEvent& e) {
  if (const auto* c = std::get_if<Change>(&e)) return c->byte_size();
  if (const auto* d = std::get_if<DdlEvent>(&e)) return sizeof(StreamEvent) + d->statement.size();
  return sizeof(StreamEvent);
}

}  // namespace tideway::replication
