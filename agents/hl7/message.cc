#include "agents/hl7/message.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace pumptrack::agents::hl7 {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The `index`-th (1-based) piece of `text` split at `separator`, or "" when there are fewer.
absl::string_view Piece(absl::string_view text, char separator, int index) {
  if (index < 1) return {};
  size_t start = 0;
  for (int i = 1; i < index; ++i) {
    const size_t next = text.find(separator, start);
    if (next == absl::string_view::npos) return {};
    start = next + 1;
  }
  const size_t end = text.find(separator, start);
  return text.substr(start, end == absl::string_view::npos ? absl::string_view::npos : end - start);
}

std::string FormatTimestamp(absl::Time now) { return absl::FormatTime("%Y%m%d%H%M%E3S%z", now, absl::UTCTimeZone()); }

}  // namespace

absl::StatusOr<Message> Message::Parse(absl::string_view text) {
  // MLLP senders sometimes put a line break before the first segment.
  while (!text.empty() && (text.front() == '\r' || text.front() == '\n')) text.remove_prefix(1);
  if (text.size() < 8 || text.substr(0, 3) != "MSH") {
    return absl::InvalidArgumentError("MSH-1: the message does not start with an MSH segment");
  }
  Message message;
  Delimiters& d = message.delimiters_;
  d.field = text[3];
  const size_t encoding_end = text.find(d.field, 4);
  if (encoding_end == absl::string_view::npos) {
    return absl::InvalidArgumentError("MSH-2: the encoding characters are not followed by a field separator");
  }
  const absl::string_view encoding = text.substr(4, encoding_end - 4);
  // 2.7+ may add a fifth character (truncation, usually '#'); it is not a delimiter this parser needs.
  if (encoding.size() < 4 || encoding.size() > 5) {
    return absl::InvalidArgumentError("MSH-2: the encoding characters must be 4 (or 5) characters");
  }
  d.component = encoding[0];
  d.repetition = encoding[1];
  d.escape = encoding[2];
  d.subcomponent = encoding[3];
  for (char c : {d.field, d.component, d.repetition, d.escape, d.subcomponent}) {
    if (c == '\r' || c == '\n' || (static_cast<unsigned char>(c) < 0x20) || (c >= 'A' && c <= 'Z') ||
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      return absl::InvalidArgumentError("MSH-2: a delimiter is a letter, digit or control character");
    }
  }
  if (encoding.find(d.field) != absl::string_view::npos) {
    return absl::InvalidArgumentError("MSH-2: the field separator is also an encoding character");
  }

  absl::flat_hash_map<std::string, int> occurrences;
  for (absl::string_view line : absl::StrSplit(text, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    Segment segment;
    if (line.substr(0, 3) == "MSH" && line.size() > 3 && line[3] == d.field) {
      segment.fields.emplace_back("MSH");
      segment.fields.emplace_back(1, d.field);
      absl::string_view rest = line.substr(4);
      for (absl::string_view field : absl::StrSplit(rest, d.field)) segment.fields.emplace_back(field);
    } else {
      for (absl::string_view field : absl::StrSplit(line, d.field)) segment.fields.emplace_back(field);
    }
    segment.id = segment.fields.front();
    segment.occurrence = ++occurrences[segment.id];
    message.segments_.push_back(std::move(segment));
  }
  return message;
}

absl::string_view Message::RawField(const Segment& segment, int field) {
  if (field < 0 || static_cast<size_t>(field) >= segment.fields.size()) return {};
  return segment.fields[static_cast<size_t>(field)];
}

std::vector<absl::string_view> Message::Repetitions(const Segment& segment, int field) const {
  std::vector<absl::string_view> repetitions;
  const absl::string_view raw = RawField(segment, field);
  if (raw.empty()) return repetitions;
  if (segment.id == "MSH" && field <= 2) return {raw};  // the delimiters themselves
  for (absl::string_view repetition : absl::StrSplit(raw, delimiters_.repetition)) repetitions.push_back(repetition);
  return repetitions;
}

std::string Message::Component(absl::string_view repetition, int component) const {
  return Unescape(Piece(repetition, delimiters_.component, component));
}

std::string Message::Subcomponent(absl::string_view repetition, int component, int subcomponent) const {
  return Unescape(Piece(Piece(repetition, delimiters_.component, component), delimiters_.subcomponent, subcomponent));
}

std::string Message::Get(const Segment& segment, int field, int component) const {
  if (segment.id == "MSH" && field <= 2) return std::string(RawField(segment, field));
  const absl::string_view first = Piece(RawField(segment, field), delimiters_.repetition, 1);
  std::string value = Component(first, component);
  if (value == "\"\"") value.clear();  // HL7's explicit null
  return value;
}

std::string Message::Unescape(absl::string_view text) const {
  const char escape = delimiters_.escape;
  if (text.find(escape) == absl::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != escape) {
      out.push_back(text[i++]);
      continue;
    }
    const size_t end = text.find(escape, i + 1);
    if (end == absl::string_view::npos) {  // unterminated: literal
      out.append(text.data() + i, text.size() - i);
      break;
    }
    const absl::string_view sequence = text.substr(i + 1, end - i - 1);
    if (sequence == "F") {
      out.push_back(delimiters_.field);
    } else if (sequence == "S") {
      out.push_back(delimiters_.component);
    } else if (sequence == "T") {
      out.push_back(delimiters_.subcomponent);
    } else if (sequence == "R") {
      out.push_back(delimiters_.repetition);
    } else if (sequence == "E") {
      out.push_back(escape);
    } else if (!sequence.empty() && sequence[0] == 'X' && sequence.size() % 2 == 1) {
      bool valid = true;
      std::string bytes;
      for (size_t h = 1; h + 1 < sequence.size(); h += 2) {
        const int high = HexValue(sequence[h]);
        const int low = HexValue(sequence[h + 1]);
        if (high < 0 || low < 0) {
          valid = false;
          break;
        }
        bytes.push_back(static_cast<char>(high * 16 + low));
      }
      if (valid) out.append(bytes);
    }
    // Anything else (\H\, \N\, \.br\, \Z..\, \C..\, \M..\) is formatting or a character set switch: dropped.
    i = end + 1;
  }
  return out;
}

std::string Message::Escape(absl::string_view text) const {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == delimiters_.escape) {
      absl::StrAppend(&out, std::string(1, delimiters_.escape), "E", std::string(1, delimiters_.escape));
    } else if (c == delimiters_.field) {
      absl::StrAppend(&out, std::string(1, delimiters_.escape), "F", std::string(1, delimiters_.escape));
    } else if (c == delimiters_.component) {
      absl::StrAppend(&out, std::string(1, delimiters_.escape), "S", std::string(1, delimiters_.escape));
    } else if (c == delimiters_.subcomponent) {
      absl::StrAppend(&out, std::string(1, delimiters_.escape), "T", std::string(1, delimiters_.escape));
    } else if (c == delimiters_.repetition) {
      absl::StrAppend(&out, std::string(1, delimiters_.escape), "R", std::string(1, delimiters_.escape));
    } else if (c == '\r' || c == '\n') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

AckRequest AckRequestOf(const Message& message) {
  AckRequest request;
  request.accept_type = message.Get(message.msh(), 15);
  request.application_type = message.Get(message.msh(), 16);
  request.enhanced = !request.accept_type.empty() || !request.application_type.empty();
  return request;
}

namespace {
bool Wants(absl::string_view type, AckCode code) {
  if (type == "AL") return true;
  if (type == "NE") return false;
  if (type == "ER") return code != AckCode::kAccept;
  if (type == "SU") return code == AckCode::kAccept;
  return true;  // empty or unknown: acknowledge (never leave a sender waiting by mistake)
}
}  // namespace

AckPlan PlanAck(const AckRequest& request, AckCode code) {
  AckPlan plan;
  if (!request.enhanced) {
    plan.send = true;
    return plan;
  }
  if (!request.accept_type.empty() && request.accept_type != "NE") {
    plan.send = Wants(request.accept_type, code);
    plan.commit_codes = true;
    return plan;
  }
  if (request.accept_type.empty() || request.accept_type == "NE") {
    // No accept acknowledgement asked for: the agent's processing ends with the durable write, so the application
    // acknowledgement (MSH-16) is all there is to send, on the same connection.
    plan.send = !request.application_type.empty() && Wants(request.application_type, code);
  }
  return plan;
}

namespace {
absl::string_view CodeText(AckCode code, bool commit) {
  switch (code) {
    case AckCode::kAccept:
      return commit ? "CA" : "AA";
    case AckCode::kError:
      return commit ? "CE" : "AE";
    case AckCode::kReject:
      return commit ? "CR" : "AR";
  }
  return "AE";
}

absl::string_view ErrorName(int code) {
  switch (code) {
    case 100:
      return "Segment sequence error";
    case 101:
      return "Required field missing";
    case 102:
      return "Data type error";
    case 103:
      return "Table value not found";
    case 200:
      return "Unsupported message type";
    case 201:
      return "Unsupported event code";
    case 203:
      return "Unsupported version id";
    default:
      return "Application internal error";
  }
}
}  // namespace

std::string BuildAck(const Message& message, const AckPlan& plan, const Rejection* rejection,
                     absl::string_view control_id, absl::Time now) {
  const Delimiters& d = message.delimiters();
  const Segment& msh = message.msh();
  const std::string f(1, d.field);
  const std::string c(1, d.component);
  const AckCode code = rejection == nullptr ? AckCode::kAccept : rejection->code;
  // Echoed fields are copied as received: they are already escaped for these delimiters.
  std::string trigger = message.Escape(message.Get(msh, 9, 2));
  std::string ack =
      absl::StrCat("MSH", f, msh.fields.size() > 2 ? msh.fields[2] : std::string("^~\\&"), f, Message::RawField(msh, 5),
                   f, Message::RawField(msh, 6), f, Message::RawField(msh, 3), f, Message::RawField(msh, 4), f,
                   FormatTimestamp(now), f, f, "ACK", c, trigger, c, "ACK", f, message.Escape(control_id), f,
                   Message::RawField(msh, 11), f, Message::RawField(msh, 12), "\r");
  absl::StrAppend(&ack, "MSA", f, CodeText(code, plan.commit_codes), f, Message::RawField(msh, 10), "\r");
  if (rejection != nullptr) {
    const std::string location = absl::StrCat(message.Escape(rejection->location.segment), c,
                                              rejection->location.occurrence, c, rejection->location.field);
    absl::StrAppend(&ack, "ERR", f, f, location, f, rejection->hl7_error, c, ErrorName(rejection->hl7_error), c,
                    "HL70357", f, "E", f, f, f, f, message.Escape(rejection->reason), "\r");
  }
  return ack;
}

std::string BuildAckForUnparsable(absl::string_view reason, absl::string_view control_id, absl::Time now) {
  absl::StatusOr<Message> blank = Message::Parse("MSH|^~\\&|||||||||||");
  const Message& m = *blank;
  return absl::StrCat("MSH|^~\\&|||||", FormatTimestamp(now), "||ACK^^ACK|", m.Escape(control_id), "|P|2.6\r",
                      "MSA|AR|\r", "ERR||MSH^1^0|100^Segment sequence error^HL70357|E||||", m.Escape(reason), "\r");
}

}  // namespace pumptrack::agents::hl7
